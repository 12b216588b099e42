/* Sections and where an open chat is drawn; the address bar. showView emits view:show
 * (each section loads itself); openChat emits chat:open (views/conversation.js opens it),
 * so any view can open a chat without importing the conversation. */
import { emit } from './bus.js';
import { $, enc } from './dom.js';
import { myId } from './session.js';
import { S } from './state.js';

const LS_DISPLAY = 'lc-panel:display'; // + ':' + user id: "section" | "popup"

// A phone (phone.css's breakpoint): the chat list and the open conversation are two
// screens, and the pop-up display falls back to the full-screen conversation.
const PHONE = matchMedia('(max-width: 640px)');
export function isPhone() { return PHONE.matches; }
/** Where an open chat is drawn now: the member's setting, except on a phone. */
export function displayMode() { return isPhone() ? 'section' : S.display; }

let popping = false; // while the address bar follows Back / Forward: nothing is pushed
let shownView = null; // the section renderLayout last drew

// The work area shows one section (inbox, team chat, team, saved replies, auto messages,
// settings). An
// open chat is drawn either as the inbox section or as a pop-up over whichever section is
// shown: a per-user display setting, kept in this browser (it changes only where chats
// are drawn, so it needs no server round trip).
export const VIEWS = ['inbox', 'visitors', 'team-chat', 'team', 'replies', 'auto', 'install', 'settings', 'billing'];

// #/<project id>/<section>[/<chat id>]: a reload (or a shared link) comes back to the
// same project, section and open dialogue.
export function readLocation() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map((x) => { try { return decodeURIComponent(x); } catch (e) { return ''; } });
  return { project: parts[0] || null, view: VIEWS.includes(parts[1]) ? parts[1] : 'inbox', chat: parts[2] || null };
}

function writeLocation() {
  if (!S.project) return;
  let hash = '#/' + enc(S.project.id) + '/' + S.view;
  if (S.openId) hash += '/' + enc(S.openId);
  if (location.hash === hash) return;
  // On a phone, opening a chat from the list is a step of its own: the browser's Back
  // returns to the list (popstate below), as the conversation's back button does.
  if (isPhone() && S.openId && !readLocation().chat && !popping) history.pushState({ lcChat: S.openId }, '', hash);
  else history.replaceState(history.state, '', hash);
}

/** The conversation's back button (phones): back to the chat list. */
export function backToList() {
  if (history.state && history.state.lcChat === S.openId && readLocation().chat === S.openId) history.back();
  else emit('chat:close');
}

function onPopState() {
  if (!S.project) return;
  const wanted = readLocation();
  if (wanted.project !== S.project.id) return;
  popping = true;
  try {
    if (wanted.view !== S.view) showView(wanted.view);
    if (!wanted.chat && S.openId && displayMode() === 'section') emit('chat:close');
    else if (wanted.chat && wanted.chat !== S.openId && S.chats.has(wanted.chat)) openChat(wanted.chat);
  } finally {
    popping = false;
  }
}

function displayKey() { return LS_DISPLAY + ':' + (myId() || ''); }

export function loadDisplay() {
  const v = localStorage.getItem(displayKey());
  S.display = v === 'popup' ? 'popup' : 'section';
  document.querySelectorAll('#prefs-form input[name="display"]').forEach((r) => { r.checked = r.value === S.display; });
  renderLayout();
}

/** The member's display setting (views/settings.js's "Your display"). */
export function setDisplay(mode) {
  S.display = mode === 'popup' ? 'popup' : 'section';
  try { localStorage.setItem(displayKey(), S.display); } catch (e) { /* ignore */ }
  renderLayout();
}

export function showView(view) {
  if (!VIEWS.includes(view)) view = 'inbox';
  S.view = view;
  renderLayout();
  emit('view:show', view); // each section loads what it shows (and stops what it polled)
}

export function renderLayout() {
  writeLocation();
  const popup = displayMode() === 'popup';
  document.body.dataset.display = S.display;
  document.body.dataset.view = S.view;
  document.querySelectorAll('#nav .nav-btn').forEach((b) => {
    if (b.dataset.view === S.view) {
      b.setAttribute('aria-current', 'page');
      // The row scrolls sideways on a phone: a section just shown is scrolled into it.
      if (isPhone() && shownView !== S.view) b.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    } else b.removeAttribute('aria-current');
  });
  shownView = S.view;
  markSectionsOverflow();
  for (const v of VIEWS) {
    if (v === 'inbox') continue;
    $('view-' + v).hidden = S.view !== v;
  }
  const conv = $('conversation');
  const chatOpen = !!(S.openId && S.chats.get(S.openId));
  conv.classList.toggle('popup', popup && chatOpen);
  conv.setAttribute('role', popup && chatOpen ? 'dialog' : 'region');
  // Section mode: the conversation is the inbox section. Pop-up: it floats over any section.
  conv.hidden = popup ? (!chatOpen && S.view !== 'inbox') : S.view !== 'inbox';
  $('conv-close').hidden = !(popup && chatOpen);
}

// On a phone the sections' row scrolls sideways: its edges fade (phone.css) where more
// sections are hidden that way, so the row does not look like all there is.
function markSectionsOverflow() {
  const nav = $('nav');
  const hidden = nav.scrollWidth - nav.clientWidth;
  nav.classList.toggle('more-start', hidden > 1 && nav.scrollLeft > 1);
  nav.classList.toggle('more-end', hidden > 1 && nav.scrollLeft < hidden - 1);
}

export function openChat(chatId) {
  emit('chat:open', chatId);
}

// The app's height on a phone: the visual viewport's (what the on-screen keyboard leaves),
// where the browser does not resize the page for the keyboard itself (index.html asks for
// interactive-widget=resizes-content; phone.css falls back to 100dvh).
function fitVisualViewport() {
  const vv = window.visualViewport;
  const root = document.documentElement;
  if (!vv || !isPhone()) { root.style.removeProperty('--app-h'); return; }
  root.style.setProperty('--app-h', Math.round(vv.height) + 'px');
  if (vv.offsetTop || window.scrollY) window.scrollTo(0, 0); // keep the top bar on the screen
}

export function mount() {
  $('nav').addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-view]');
    if (b) showView(b.dataset.view);
  });
  $('nav').addEventListener('scroll', markSectionsOverflow, { passive: true });
  window.addEventListener('resize', markSectionsOverflow);
  window.addEventListener('popstate', onPopState);
  PHONE.addEventListener('change', () => { fitVisualViewport(); renderLayout(); });
  if (window.visualViewport) {
    window.visualViewport.addEventListener('resize', fitVisualViewport);
    window.visualViewport.addEventListener('scroll', fitVisualViewport);
  }
  fitVisualViewport();
}
