/* Settings -> Business hours: the project's time zone, the weekly ranges (several a day,
 * past midnight allowed), dated exceptions (closed, or special hours), the away message,
 * and the server's preview ("Open now · closes at 17:00"), so panel and widget agree.
 * GET / PUT /projects/{pid}/business-hours. A card of its own in the Settings section.
 * The saved state is asked again when it changes (one timer at closes_at / opens_at).
 * Frames: none. Events: view:show, project:loaded, project:reset. */
import { api, projectPath, reportError } from '../core/api.js';
import { on } from '../core/bus.js';
import { $, h } from '../core/dom.js';
import { isLead } from '../core/session.js';
import { S } from '../core/state.js';
import { REPLY_TIMES_ID, replyTimesLine, showReplyTimes } from './hours-reply.js';

const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
const WORKDAY = [{ start: '09:00', end: '17:00' }];
let loaded = null; // the last answer of the server

function zones() {
  const names = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return Array.from(new Set(['UTC', own, ...names])).filter(Boolean).sort();
}

// One range: two time inputs and "Remove". The time input cannot say 24:00: 00:00 as an
// end means midnight (a range ending at or after midnight belongs to the day it starts).
function rangeRow(range, label) {
  const row = h('span', { class: 'hours-range' }, [
    h('input', { type: 'time', class: 'hours-start', 'aria-label': 'Opens at', value: range.start, required: true }),
    '\u2013',
    h('input', { type: 'time', class: 'hours-end', 'aria-label': 'Closes at', value: range.end === '24:00' ? '00:00' : range.end, required: true }),
  ]);
  row.append(h('button', { type: 'button', class: 'btn btn-sm', text: 'Remove', 'aria-label': 'Remove range: ' + label,
    onclick: () => row.remove() }));
  return row;
}

function rangesBox(ranges, label) {
  const list = h('span', { class: 'hours-ranges' }, ranges.map((range) => rangeRow(range, label)));
  const add = h('button', { type: 'button', class: 'btn btn-sm', text: 'Add range', 'aria-label': 'Add range: ' + label,
    onclick: () => list.append(rangeRow(list.children.length ? { start: '18:00', end: '22:00' } : WORKDAY[0], label)) });
  return h('span', { class: 'hours-day-ranges' }, [list, add]);
}

function readRanges(box) {
  return Array.from(box.querySelectorAll('.hours-range')).map((row) => {
    const end = row.querySelector('.hours-end').value;
    return { start: row.querySelector('.hours-start').value, end: end === '00:00' ? '24:00' : end };
  });
}

function exceptionRow(item) {
  const kind = h('select', { class: 'hours-kind', 'aria-label': 'That day' }, [
    h('option', { value: 'closed', text: 'Closed' }), h('option', { value: 'ranges', text: 'Special hours' }),
  ]);
  kind.value = item.closed ? 'closed' : 'ranges';
  const ranges = rangesBox(item.ranges || WORKDAY, item.date || 'that day');
  ranges.hidden = kind.value === 'closed';
  kind.addEventListener('change', () => { ranges.hidden = kind.value === 'closed'; });
  const row = h('div', { class: 'hours-row hours-exception' }, [
    h('input', { type: 'date', class: 'hours-date', 'aria-label': 'Date', value: item.date || '', required: true }), kind, ranges,
  ]);
  row.append(h('button', { type: 'button', class: 'btn btn-sm', text: 'Remove date', onclick: () => row.remove() }));
  return row;
}

// The saved state ("Open now · closes at 17:00") goes stale when that time passes with the
// page open: one timer, at the next change time (a second after, so the server is past it).
const MAX_TIMEOUT_MS = 2 ** 31 - 1; // setTimeout's longest wait
let refreshTimer = 0;
let edited = false; // the preview line shows the edited schedule ("With these changes: ...")

/** Milliseconds until the state `now` changes (closes_at while open, else opens_at), or
 * null when it never does (always open, no opening ahead). */
export function nextChangeWait(now, nowMs) {
  const at = now ? Date.parse(now.open ? now.closes_at : now.opens_at) : NaN;
  if (!Number.isFinite(at)) return null;
  return Math.min(Math.max(at - nowMs, 0) + 1000, MAX_TIMEOUT_MS);
}

function refreshAtNextChange(now) {
  clearTimeout(refreshTimer);
  const wait = nextChangeWait(now, Date.now());
  if (wait !== null) refreshTimer = setTimeout(refreshState, wait);
}

// Only the state is asked again: the form keeps what is being edited.
async function refreshState() {
  if (S.view !== 'settings' || !loaded) return; // shown again, the section loads anew
  const ep = S.epoch;
  try {
    const data = await api('GET', projectPath('/business-hours'));
    if (ep !== S.epoch || !loaded) return;
    loaded.now = data.now;
    loaded.reply_times = data.reply_times;
    if (edited) previewSoon(); // the edited schedule's preview, worked out again
    else {
      $('hours-preview').textContent = data.now ? data.now.label : '';
      showReplyTimes($(REPLY_TIMES_ID), data.reply_times, data.now);
    }
    refreshAtNextChange(data.now);
  } catch (e) { /* the next load of the section shows it */ }
}

function render() {
  const data = loaded || {};
  edited = false;
  refreshAtNextChange(data.now);
  const hours = data.business_hours;
  const lead = isLead();
  $('hours-sub').textContent = lead ? 'Outside these hours the widget says when you are back and nobody is handed a chat.'
    : 'Only managers and the administrator can change business hours.';
  $('hours-preview').textContent = data.now ? data.now.label : '';
  showReplyTimes($(REPLY_TIMES_ID), data.reply_times, data.now);
  $('hours-on').checked = !!hours;
  const zone = $('hours-zone');
  const chosen = (hours && hours.time_zone) || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  if (!Array.from(zone.options).some((o) => o.value === chosen)) zone.append(h('option', { value: chosen, text: chosen }));
  zone.value = chosen;
  const week = hours ? hours.weekly : { mon: WORKDAY, tue: WORKDAY, wed: WORKDAY, thu: WORKDAY, fri: WORKDAY };
  $('hours-week').replaceChildren(...DAYS.map(([key, name]) => h('div', { class: 'hours-row', 'data-day': key }, [
    h('span', { class: 'hours-day', text: name }), rangesBox(week[key] || [], name),
  ])));
  $('hours-exceptions').replaceChildren(...((hours && hours.exceptions) || []).map(exceptionRow));
  $('hours-away').value = data.away_message || '';
  $('hours-details').hidden = !hours;
  $('hours-form').querySelectorAll('input, select, textarea, button').forEach((el) => { el.disabled = !lead; });
  $('hours-result').hidden = true;
}

function body() {
  const away = $('hours-away').value.trim() || null;
  if (!$('hours-on').checked) return { business_hours: null, away_message: away };
  const weekly = {};
  $('hours-week').querySelectorAll('[data-day]').forEach((row) => { weekly[row.dataset.day] = readRanges(row); });
  const exceptions = Array.from($('hours-exceptions').children).map((row) => {
    const date = row.querySelector('.hours-date').value;
    return row.querySelector('.hours-kind').value === 'closed' ? { date, closed: true }
      : { date, ranges: readRanges(row) };
  });
  return { business_hours: { time_zone: $('hours-zone').value, weekly, exceptions }, away_message: away };
}

async function load() {
  const ep = S.epoch;
  try {
    const data = await api('GET', projectPath('/business-hours'));
    if (ep !== S.epoch) return;
    loaded = data;
    render();
  } catch (e) { if (ep === S.epoch) reportError(e, 'Could not load business hours'); }
}

// The edited schedule's preview before Save: the server works it out (POST
// .../business-hours/preview checks it as PUT does and stores nothing) with the rules the
// widget follows, so the preview cannot disagree with it; asked a moment after the last
// edit, and only the latest answer is shown.
let previewTimer = 0;
let previewAsked = 0;
function previewSoon() {
  edited = true;
  clearTimeout(previewTimer);
  const asked = ++previewAsked;
  previewTimer = setTimeout(async () => {
    const ep = S.epoch;
    const line = $('hours-preview');
    try {
      const data = await api('POST', projectPath('/business-hours/preview'), { business_hours: body().business_hours });
      if (ep !== S.epoch || asked !== previewAsked) return;
      line.textContent = 'With these changes: ' + data.now.label;
      showReplyTimes($(REPLY_TIMES_ID), loaded && loaded.reply_times, data.now); // what the widget would say then
    } catch (e) {
      if (ep === S.epoch && asked === previewAsked) line.textContent = 'Not valid yet: ' + (e.message || 'check the hours');
    }
  }, 400);
}

async function save(ev) {
  ev.preventDefault();
  const ep = S.epoch;
  const button = $('hours-save');
  const result = $('hours-result');
  button.disabled = true;
  clearTimeout(previewTimer);
  previewAsked += 1; // a preview still on its way would overwrite the saved state's
  try {
    const data = await api('PUT', projectPath('/business-hours'), body());
    if (ep !== S.epoch) return;
    loaded = data;
    render();
    result.textContent = 'Business hours saved.';
    result.hidden = false;
  } catch (e) {
    if (ep !== S.epoch) return;
    result.textContent = e.message || 'Could not save'; // the server names the bad range
    result.hidden = false;
  } finally {
    button.disabled = !isLead();
  }
}

function build() {
  const zone = h('select', { id: 'hours-zone' }, zones().map((name) => h('option', { value: name, text: name })));
  $('view-settings').querySelector('.view-body').append(
    h('form', { class: 'card form-grid', id: 'hours-form', novalidate: true, 'aria-labelledby': 'hours-title' }, [
      h('h3', { id: 'hours-title', text: 'Business hours' }),
      h('p', { class: 'form-note', id: 'hours-sub' }),
      h('p', { class: 'hours-preview field-wide', id: 'hours-preview', role: 'status' }),
      replyTimesLine(),
      h('label', { class: 'check field-wide' }, [
        h('input', { id: 'hours-on', type: 'checkbox' }), ' Use business hours (off: always open)',
      ]),
      h('div', { class: 'field-wide hours-details', id: 'hours-details' }, [
        h('div', { class: 'field' }, [h('label', { for: 'hours-zone', text: 'Time zone' }), ' ', zone]),
        h('div', { class: 'hours-week', id: 'hours-week', role: 'group', 'aria-label': 'Weekly hours' }),
        h('h4', { text: 'Holidays and special hours' }),
        h('div', { id: 'hours-exceptions', role: 'group', 'aria-label': 'Dates' }),
        h('button', { type: 'button', class: 'btn btn-sm', id: 'hours-add-date', text: 'Add a date',
          onclick: () => $('hours-exceptions').append(exceptionRow({ closed: true })) }),
      ]),
      h('div', { class: 'field field-wide' }, [
        h('label', { for: 'hours-away', text: 'Away message (sent once when a chat starts while nobody is online or outside hours; empty: none)' }),
        h('textarea', { id: 'hours-away', rows: '2', maxlength: '1000' }),
      ]),
      h('div', { class: 'form-actions' }, [
        h('button', { type: 'submit', class: 'btn btn-primary btn-sm', id: 'hours-save', text: 'Save business hours' }),
      ]),
      h('p', { class: 'form-note', id: 'hours-result', role: 'status', hidden: true }),
    ]),
  );
}

export function mount() {
  build();
  $('hours-on').addEventListener('change', (ev) => { $('hours-details').hidden = !ev.target.checked; });
  $('hours-form').addEventListener('submit', save);
  // Every edit: typing, a select or the switch, and the Add / Remove buttons.
  ['input', 'change'].forEach((type) => $('hours-form').addEventListener(type, (ev) => {
    if (ev.target.id !== 'hours-away') previewSoon();
  }));
  $('hours-form').addEventListener('click', (ev) => { if (ev.target.type === 'button') previewSoon(); });
  on('view:show', (view) => { if (view === 'settings') load(); });
  on('project:loaded', () => { if (S.view === 'settings') load(); });
  on('project:reset', () => { loaded = null; clearTimeout(refreshTimer); });
}
