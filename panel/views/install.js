/* The Install section: the <script> tag with its Copy button, the allowed domains, the
 * calls refused from other origins (with "allow this domain"), the widget's look, the
 * identity-verification secret with server samples, and a live "installed?" check.
 *
 * Leads see and change everything; operators see the status, the tag and the domains.
 * Server data reaches the DOM as text only (h()). Frames: none. Events: view:show (the
 * "installed?" check polls only while shown), project:loaded, project:reset.
 */
import { api, projectPath, reportError } from '../core/api.js';
import { on } from '../core/bus.js';
import { $, h } from '../core/dom.js';
import { buildInstall } from './install-markup.js';
import { showView } from '../core/nav.js';
import { isLead, setProjectInfo } from '../core/session.js';
import { S } from '../core/state.js';
import { fullTime, relTimeLong } from '../core/time.js';
import { toast } from '../core/toast.js';

const POLL_MS = 5000; // GET /install (one GetItem + one Query) while the page is shown
const DEFAULT_COLOR = '#4f46e5'; // the widget's own (widget/loader.js)
const DEFAULT_TITLE = 'Chat with us';
const DEFAULT_GREETING = 'Hi there! How can we help you today?';
let timer = null;
let status = null; // the last GET /install answer
let secretShown = false;
let sampleLang = 'node';

// ------------------------------------------------------------ the tag
function widgetUrl() {
  const cfg = S.config;
  // The panel and the widget share a CDN (infra/deploy.sh); config.json may say otherwise.
  return cfg.widget_url || new URL('../widget/loader.js', location.href).href;
}

function tagText() {
  const pid = S.project.id;
  return '<script src="' + widgetUrl() + '" data-project-id="' + pid + '" data-api="' + S.config.api_url + '" async></script>';
}

async function copy(text, element, note) {
  let ok = false;
  try { await navigator.clipboard.writeText(text); ok = true; } catch (e) { ok = false; }
  if (!ok) { // no clipboard permission (plain http, say): select it for Ctrl+C instead
    const range = document.createRange();
    range.selectNodeContents(element);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  if (note) note.textContent = ok ? 'Copied.' : 'Selected: press Ctrl+C (⌘C) to copy.';
  return ok;
}

// ------------------------------------------------------------ status and refusals
function renderStatus() {
  const box = $('install-status');
  const domains = allowedDomains();
  // With no domain allowed the widget runs nowhere, whatever it did before.
  const installed = domains.length && status && status.installed && status.installed.at;
  box.dataset.installed = installed ? 'true' : 'false';
  $('install-status-title').textContent = installed ? 'Installed: the widget is live on your site'
    : domains.length ? 'Waiting for the first page view…' : 'Not installed: add your site\'s domain';
  $('install-status-text').textContent = installed
    ? 'First page view from ' + status.installed.origin + ', ' + fullTime(status.installed.at) + '.'
    : domains.length ? 'Add the tag below to your site and open one of its pages; this turns green within seconds.'
      : 'The widget runs only on the domains you allow (step 2): with none, it shows nowhere.';
}

function allowedDomains() {
  if (status && Array.isArray(status.allowed_domains)) return status.allowed_domains;
  const p = S.projectInfo;
  return (p && p.allowed_domains) || [];
}

function renderRefused() {
  const days = (status && status.refused_by_day) || [];
  const rows = [];
  const allowed = new Set(allowedDomains());
  for (const day of days) {
    for (const o of day.origins || []) {
      const known = /^https?:\/\//.test(o.origin || ''); // not '(no origin)' nor '(unreadable) …'
      const action = isLead() && known
        ? h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Allow this domain',
          'aria-label': 'Allow this domain: ' + o.origin, onclick: (e) => addDomain(o.origin, e.currentTarget) })
        : null;
      rows.push(h('tr', { 'data-origin': o.origin }, [
        h('td', { text: day.day }),
        h('td', { class: 'origin-cell', text: o.origin }),
        h('td', { text: String(o.refused) }),
        h('td', { text: o.last_at ? relTimeLong(o.last_at) : '' }),
        h('td', {}, allowed.has(hostOf(o.origin)) ? h('span', { class: 'tag', text: 'Allowed now' }) : action),
      ]));
    }
  }
  $('refused-body').replaceChildren(...rows);
  $('refused-wrap').hidden = !rows.length;
  $('refused-empty').hidden = !!rows.length;
}

function hostOf(origin) {
  try { return new URL(origin).host; } catch (e) { return origin; }
}

async function poll() {
  if (!S.project) return;
  const ep = S.epoch;
  try {
    const data = await api('GET', projectPath('/install'));
    if (ep !== S.epoch) return;
    // The first answer of a page load only says how things are; a toast is for the change.
    const first = status === null || status === undefined;
    const was = status && status.installed && status.installed.at;
    status = data;
    renderStatus();
    renderRefused();
    if (!editing()) renderDomains();
    if (!was && data.installed && data.installed.at) {
      if (!first) toast('The widget is live on ' + data.installed.origin + '.');
      const p = S.projectInfo;
      if (p) p.installed = true;
    }
  } catch (e) {
    if (ep === S.epoch && e.status !== 0) reportError(e, 'Could not check the installation');
  }
}

function startPolling() {
  stopPolling();
  poll();
  timer = setInterval(() => { if (!document.hidden) poll(); }, POLL_MS);
}

function stopPolling() {
  clearInterval(timer);
  timer = null;
}

// ------------------------------------------------------------ allowed domains
function editing() { return document.activeElement === $('domain-input') && $('domain-input').value; }

function domainError(text) {
  $('domain-error').textContent = text || '';
  $('domain-error').hidden = !text;
  if (text) $('domain-input').setAttribute('aria-invalid', 'true');
  else $('domain-input').removeAttribute('aria-invalid');
}

function renderDomains() {
  const domains = allowedDomains();
  const lead = isLead();
  $('domain-list').replaceChildren(...domains.map((d) => h('li', { class: 'domain-item', 'data-domain': d }, [
    h('code', { text: d }),
    lead ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: 'Remove', 'aria-label': 'Remove ' + d,
      onclick: (e) => saveDomains(domains.filter((x) => x !== d), e.currentTarget) }) : null,
  ])));
  $('domains-empty').hidden = domains.length > 0;
  $('domain-form').hidden = !lead;
  $('domains-readonly').hidden = lead;
}

async function saveDomains(list, button) {
  const ep = S.epoch;
  if (button) button.disabled = true;
  try {
    const data = await api('PATCH', projectPath(''), { allowed_domains: list });
    if (ep !== S.epoch) return false;
    setProjectInfo(data.project);
    if (status) status.allowed_domains = data.project.allowed_domains;
    domainError('');
    renderDomains();
    renderStatus();
    renderRefused();
    return true;
  } catch (e) {
    if (ep === S.epoch) domainError(e.message);
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

async function addDomain(entry, button) {
  const value = String(entry || '').trim();
  if (!value) { domainError('Type a domain such as shop.example.com.'); $('domain-input').focus(); return; }
  const bare = value.toLowerCase().replace(/^[a-z]+:\/\//, '').split('/')[0];
  if (allowedDomains().includes(bare)) {
    domainError(bare + ' is allowed already.');
    $('domain-input').focus();
    return;
  }
  const ok = await saveDomains(allowedDomains().concat([value]), button);
  if (ok) { $('domain-input').value = ''; toast(value + ' is allowed.'); } else { $('domain-input').focus(); }
}

// ------------------------------------------------------------ look
const LOOK_FIELDS = { widget_color: 'look-color-text', widget_title: 'look-title', widget_greeting: 'look-greeting' };

function renderLook() {
  const p = S.projectInfo || {};
  $('look-form').hidden = !isLead();
  $('look-color-text').value = p.widget_color || '';
  $('look-color').value = p.widget_color || DEFAULT_COLOR;
  $('look-title').value = p.widget_title || '';
  $('look-greeting').value = p.widget_greeting || '';
  lookErrors([]);
  renderPreview();
}

function renderPreview() {
  const color = /^#[0-9a-f]{6}$/i.test($('look-color-text').value.trim()) ? $('look-color-text').value.trim() : DEFAULT_COLOR;
  $('look-preview').style.setProperty('--look-accent', color);
  $('look-preview-title').textContent = $('look-title').value.trim() || (S.project && S.project.name) || DEFAULT_TITLE;
  $('look-preview-greeting').textContent = $('look-greeting').value.trim() || DEFAULT_GREETING;
}

function lookErrors(errors) {
  for (const [path, id] of Object.entries(LOOK_FIELDS)) {
    const found = errors.find((x) => x.path === path);
    const box = $(id).closest('.field').querySelector('.row-error');
    box.textContent = found ? found.message.replace(/^'[a-z_]+'\s*/, 'It ') : '';
    box.hidden = !found;
    if (found) $(id).setAttribute('aria-invalid', 'true'); else $(id).removeAttribute('aria-invalid');
  }
}

async function saveLook(body) {
  const ep = S.epoch;
  $('look-save').disabled = true;
  $('look-result').textContent = '';
  try {
    const data = await api('PATCH', projectPath(''), body);
    if (ep !== S.epoch) return;
    setProjectInfo(data.project);
    renderLook();
    $('look-result').textContent = 'Saved: new page views get this look.';
  } catch (e) {
    if (ep !== S.epoch) return;
    const errors = (e.error && e.error.errors) || [];
    if (errors.length) lookErrors(errors); else reportError(e, 'Could not save the look');
  } finally {
    $('look-save').disabled = false;
  }
}

function onLookSubmit(ev) {
  ev.preventDefault();
  saveLook({
    widget_color: $('look-color-text').value.trim() || null,
    widget_title: $('look-title').value.trim() || null,
    widget_greeting: $('look-greeting').value.trim() || null,
  });
}

// ------------------------------------------------------------ identity verification
const SAMPLES = {
  node: ['Node.js', "const crypto = require('crypto');\n// LIVECHAT_SECRET: the secret above, in your server's configuration\nconst hash = crypto.createHmac('sha256', process.env.LIVECHAT_SECRET)\n  .update(String(user.id)).digest('hex');"],
  python: ['Python', 'import hashlib, hmac, os\n\n# LIVECHAT_SECRET: the secret above, in your server\'s configuration\nhash = hmac.new(os.environ["LIVECHAT_SECRET"].encode(), str(user.id).encode(),\n                hashlib.sha256).hexdigest()'],
  php: ['PHP', "<?php\n// LIVECHAT_SECRET: the secret above, in your server's configuration\n$hash = hash_hmac('sha256', (string) $user->id, getenv('LIVECHAT_SECRET'));"],
};
const PAGE_SAMPLE = '\n\n// Then, in the page your server renders for that user:\n' +
  'window.LiveChatQueue = window.LiveChatQueue || [];\n' +
  'LiveChatQueue.push(["identify", {user_id: "42", name: "Ada", email: "ada@example.com",\n' +
  '                                hash: "<the hash from your server>"}]);\n' +
  '// (once the widget has loaded: LiveChat.identify({...}) does the same)';

function renderIdentity() {
  $('install-identity').hidden = !isLead();
  $('identity-tabs').replaceChildren(...Object.entries(SAMPLES).map(([id, [label]]) => h('button', {
    type: 'button', role: 'tab', class: 'code-tab', 'aria-selected': String(id === sampleLang), text: label,
    onclick: () => { sampleLang = id; renderIdentity(); },
  })));
  $('identity-sample').textContent = SAMPLES[sampleLang][1] + PAGE_SAMPLE;
}

async function showSecret() {
  const ep = S.epoch;
  try {
    const data = await api('GET', projectPath('/identity-secret'));
    if (ep !== S.epoch) return;
    $('identity-secret').textContent = data.identity_secret || '';
    secretShown = true;
    $('identity-body').hidden = false;
    $('identity-show').hidden = true;
    renderIdentity();
  } catch (e) {
    reportError(e, 'Could not read the secret');
  }
}

// ------------------------------------------------------------ section life cycle
function render() {
  if (!S.project) return;
  $('install-tag').textContent = tagText();
  $('install-copied').textContent = '';
  renderStatus();
  renderDomains();
  renderRefused();
  renderLook();
  renderIdentity();
  $('identity-body').hidden = !secretShown;
  $('identity-show').hidden = secretShown;
}

function onView(view) {
  if (view === 'install') { render(); startPolling(); } else stopPolling();
}

function reset() {
  stopPolling();
  status = null;
  secretShown = false;
  $('identity-secret').textContent = '';
  domainError('');
}

/** The banner's words while the project allows no domain (views/banner.js). */
export function installBannerParts(p) {
  if (!p || (p.allowed_domains || []).length) return null;
  return [h('strong', { text: 'Not installed yet: add your site\'s domain. ' }),
    h('span', { text: 'The chat widget shows only on the domains you allow. ' }),
    h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Open Install', onclick: () => showView('install') })];
}

export function mount() {
  buildInstall();
  $('install-copy').addEventListener('click', () => copy(tagText(), $('install-tag'), $('install-copied')));
  $('domain-form').addEventListener('submit', (ev) => { ev.preventDefault(); addDomain($('domain-input').value, $('domain-add')); });
  $('domain-input').addEventListener('input', () => domainError(''));
  $('look-form').addEventListener('submit', onLookSubmit);
  $('look-form').addEventListener('input', (ev) => {
    if (ev.target.id === 'look-color') $('look-color-text').value = ev.target.value;
    if (ev.target.id === 'look-color-text' && /^#[0-9a-f]{6}$/i.test(ev.target.value.trim())) $('look-color').value = ev.target.value.trim().toLowerCase();
    renderPreview();
  });
  $('look-reset').addEventListener('click', () => saveLook({ widget_color: null, widget_title: null, widget_greeting: null }));
  $('identity-show').addEventListener('click', showSecret);
  $('identity-copy').addEventListener('click', () => copy($('identity-secret').textContent, $('identity-secret'), null)
    .then((ok) => toast(ok ? 'Secret copied.' : 'Selected: press Ctrl+C (⌘C) to copy.')));
  on('view:show', onView);
  on('project:reset', reset);
  on('project:loaded', () => { if (S.view === 'install') render(); }); // it waited for the role
}

