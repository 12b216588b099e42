/* Operator panel: plain JS, no framework, no build step; native ES modules (see the
 * module map in panel/README.md). Contract: docs/API.md. Security rule: every piece of
 * server data reaches the DOM through textContent / Text nodes (core/dom.js h()), never
 * through innerHTML or friends. */
import { api, ApiError, chatPath, newClientId, projectPath, rawFetch, reportError } from './core/api.js';
import { emit, on } from './core/bus.js';
import { mergeSummary, moveToTop, stateBadge, stateText, unreadTotal } from './core/chats.js';
import { $, avatar, cmpId, enc, h, isNearBottom, paintAvatar, windowFocused } from './core/dom.js';
import { loadDisplay, readLocation, renderLayout, showView } from './core/nav.js';
import { adoptTokens, forgetTokens, isLead, isOwner, loadStoredTokens, LS_PROJECT, LS_TOKENS, myId, refreshTokens, seesAll, setProjectInfo, setTokens } from './core/session.js';
import { onFrame, sendFrame, setWsState, waitForSocket, wsShutdown, wsStart } from './core/socket.js';
import { LS_SOUND, S } from './core/state.js';
import { clock, dayKey, dayLabel, fullTime, parseTime, relTime, relTimeLong, startTicker } from './core/time.js';
import { toast } from './core/toast.js';

import * as nav from './core/nav.js';
import * as socket from './core/socket.js';

const LIST_LIMIT = 30;
const MSG_LIMIT = 100;
const MAX_LEN = 4000;
const TYPING_THROTTLE_MS = 3000;         // at most one typing:true per 3 s
const TYPING_IDLE_MS = 4000;             // typing:false after 4 s without keystrokes
const VISITOR_TYPING_TTL_MS = 8000;      // hide "Visitor is typing…" if no update
const FIRST_OPEN_WAIT_MS = 2500;
const GROUP_GAP_MS = 5 * 60 * 1000;
// The visitors list is read again this often while shown: one Query, no fan-out of
// every page view of every visitor to every open panel.
const VISITORS_POLL_MS = 10 * 1000;

// ---------------------------------------------------------------- screens
function showScreen(name) {
  $('splash').hidden = name !== 'splash';
  $('login').hidden = name !== 'login';
  $('app').hidden = name !== 'app';
  if (name === 'login') document.body.dataset.state = 'login';
  else if (name === 'splash') delete document.body.dataset.state;
}

function showSplash(text, opts) {
  showScreen('splash');
  $('splash-text').textContent = text;
  $('splash-spinner').hidden = !!(opts && opts.error);
  $('splash-retry').hidden = !(opts && opts.retry);
  $('splash-logout').hidden = !(opts && opts.logout);
  $('splash-retry').onclick = opts && opts.retry ? opts.retry : null;
}

function showLogin(message) {
  showScreen('login');
  window.LCSignup.show('login');
  document.title = 'Log in · Live Chat';
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message || '';
  err.classList.toggle('form-info', !!message);
  $('login-password').value = '';
  const email = $('login-email');
  setTimeout(() => (email.value ? $('login-password') : email).focus(), 0);
}

// ---------------------------------------------------------------- login / session
async function onLoginSubmit(ev) {
  ev.preventDefault();
  const email = $('login-email').value.trim();
  const password = $('login-password').value;
  const err = $('login-error');
  err.classList.remove('form-info');
  if (!email || !password) {
    err.textContent = 'Enter your email and password.';
    err.hidden = false;
    return;
  }
  const btn = $('login-submit');
  const challenge = S.loginChallenge && S.loginChallenge.email === email ? S.loginChallenge : null;
  const newPassword = $('login-new-password').value;
  if (challenge && !newPassword) {
    err.textContent = 'Choose your new password.';
    err.hidden = false;
    $('login-new-password').focus();
    return;
  }
  btn.disabled = true;
  btn.textContent = 'Logging in…';
  err.hidden = true;
  unlockAudio();
  try {
    // An invitee's first login answers with a challenge: they set their own password.
    const data = challenge
      ? await rawFetch('POST', '/auth/new-password', { email, session: challenge.session, new_password: newPassword })
      : await rawFetch('POST', '/auth/login', { email, password });
    S.loginChallenge = null;
    $('new-password-field').hidden = true;
    $('login-new-password').value = '';
    if (!data || !data.access_token) throw new ApiError(500, 'bad_response', 'Unexpected response from the server.');
    setTokens(Object.assign({}, data, { obtained_at: Date.now() }));
    $('login-password').value = '';
    startSession();
  } catch (e) {
    if (e.code === 'new_password_required' && e.error.session) {
      S.loginChallenge = { email, session: e.error.session };
      $('new-password-field').hidden = false;
      err.textContent = 'Welcome! Choose your own password to finish joining the team.';
      err.classList.add('form-info');
      err.hidden = false;
      $('login-new-password').focus();
      return;
    }
    if (challenge && e.status === 400) {
      err.textContent = e.message || 'That password cannot be used.';
      err.hidden = false;
      $('login-new-password').focus();
      return;
    }
    if (challenge) { S.loginChallenge = null; $('new-password-field').hidden = true; }
    err.textContent = e.status === 401 ? 'Incorrect email or password.'
      : e.status === 0 ? 'Cannot reach the server. Check your connection and try again.'
        : e.message || 'Login failed.';
    err.hidden = false;
    $('login-password').focus();
    $('login-password').select();
  } finally {
    btn.disabled = false;
    btn.textContent = 'Log in';
  }
}

async function startSession() {
  const ep = ++S.epoch;
  showSplash('Loading your inbox…');
  let me;
  try {
    me = await api('GET', '/me');
  } catch (e) {
    if (ep !== S.epoch || !S.tokens) return;
    showSplash(e.status === 0 ? 'Cannot reach the server.' : 'Could not load your account: ' + e.message,
      { error: true, retry: startSession, logout: true });
    return;
  }
  if (ep !== S.epoch) return;
  S.me = me || {};
  const user = S.me.user || {};
  const projects = Array.isArray(S.me.projects) ? S.me.projects : [];
  $('me-name').textContent = user.name || user.email || 'Operator';
  $('me').title = (user.name || 'Operator') + (user.email ? ' <' + user.email + '>' : '');
  paintAvatar($('me-avatar'), user.name || user.email || 'Operator', user.id || user.email);
  showScreen('app');
  updateNotifyButton();
  renderSound();
  if (!projects.length) {
    S.project = null;
    renderProjectHeader();
    renderList();
    renderConv();
    $('conv-empty-sub').textContent = 'Your account is not a member of any project yet.';
    setWsState('offline');
    document.body.dataset.state = 'ready';
    return;
  }
  S.checkoutOutcome = readCheckoutReturn();
  const wanted = readLocation();
  const last = localStorage.getItem(LS_PROJECT);
  const project = projects.find((p) => p.id === wanted.project) || projects.find((p) => p.id === S.me.last_project_id)
    || projects.find((p) => p.id === last) || projects[0];
  if (wanted.project === project.id) {
    S.view = wanted.view;
    S.wantChat = wanted.chat;
  }
  loadProject(project);
}

/** After the first list page: open the dialogue the address named, if we may see it. */
async function openWantedChat(ep) {
  const chatId = S.wantChat;
  S.wantChat = null;
  if (!chatId) return;
  if (!S.chats.has(chatId)) {
    try {
      const data = await api('GET', chatPath(chatId, ''));
      if (ep !== S.epoch || !data || !data.chat) return;
      S.chats.set(chatId, mergeSummary(null, data.chat));
      if (!S.order.includes(chatId)) S.order.push(chatId);
      renderList();
    } catch (e) {
      return; // gone, or not ours to see: stay on the inbox
    }
  }
  openChat(chatId);
}

/** Clears local state. Called on logout, on refresh failure, on 401 after refresh. */
function endSession(message, callServer) {
  const tokens = S.tokens;
  S.epoch++;
  forgetTokens();
  if (callServer && tokens) {
    rawFetch('POST', '/auth/logout', {}, tokens.access_token).catch(() => {});
  }
  resetProjectState();
  try { // unsent replies were this user's: nobody else may send them
    Object.keys(sessionStorage).filter((k) => k.startsWith('lc-panel:pending:')).forEach((k) => sessionStorage.removeItem(k));
  } catch (e) { /* ignore */ }
  S.me = null;
  S.project = null;
  S.pending.clear();
  S.drafts.clear();
  setWsState('offline');
  showLogin(message);
}

function resetProjectState() {
  wsShutdown();
  stopTyping();
  hideVisitorTyping();
  S.chats.clear();
  S.order = [];
  S.nextCursor = null;
  S.pagesLoaded = 0;
  S.listLoading = false;
  S.listError = null;
  S.listRequestedAt = null;
  S.openId = null;
  S.conv = null;
  S.pending.clear(); // in-flight sends of the old project are ignored (epoch check)
  S.projectInfo = null;
  S.members = [];
  S.replies = [];
  S.autoMessages = [];
  S.chatReplies.clear();
  $('nav-auto').hidden = true;
  closeAutoEditor();
  S.team = { messages: new Map(), loaded: false, loading: false };
  S.billing = null;
  S.visitors = null;
  Install.reset();
  clearInterval(S.visitorsTimer);
  $('visitors-body').replaceChildren();
  $('visitors-count').textContent = '';
  hideSuggestions();
  $('banner').hidden = true;
  $('team-chat-dot').hidden = true;
  $('team-messages').replaceChildren();
  listNodes.clear();
  msgNodes.clear();
  $('chat-list').replaceChildren();
  $('messages').replaceChildren();
}

async function loadProject(project) {
  resetProjectState();
  const ep = ++S.epoch;
  S.project = project;
  try { localStorage.setItem(LS_PROJECT, project.id); } catch (e) { /* ignore */ }
  rememberProject(project.id);
  renderProjectHeader();
  renderConv();
  loadDisplay();
  showView(S.view); // a switch keeps the section: the other project's team, settings…
  loadProjectInfo().then(() => { if (ep === S.epoch && S.view === 'team') renderMembers(); });
  loadMembers();
  loadBilling();
  if (S.checkoutOutcome) {
    toast(S.checkoutOutcome === 'success' ? 'Thank you! The new plan starts as soon as Stripe confirms the payment.'
      : 'You left Checkout without paying; nothing was charged. The project carries on as it was.');
    S.checkoutOutcome = null;
    setTimeout(() => { if (ep === S.epoch) loadBilling(); }, 2000); // the webhook may land a moment later
  }
  S.listLoading = true;
  renderList();
  renderTitle();
  wsStart();
  // Subscribe before the first list read so nothing slips between the two (bounded wait).
  await waitForSocket(FIRST_OPEN_WAIT_MS);
  if (ep !== S.epoch) return;
  await loadChats(false);
  if (ep !== S.epoch) return;
  await openWantedChat(ep);
  if (ep !== S.epoch) return;
  restorePending();
  document.body.dataset.state = 'ready';
}

/** The server keeps the member's last project, so any device opens it next time: one
 * PUT when it changes (not on every reload). A failure only costs that convenience. */
function rememberProject(projectId) {
  if (!S.me || S.me.last_project_id === projectId) return;
  const me = S.me;
  api('PUT', '/me/last-project', { project_id: projectId })
    .then(() => { if (S.me === me) me.last_project_id = projectId; })
    .catch(() => {});
}

async function loadChats(more) {
  if (!S.project) return;
  const ep = S.epoch;
  S.listLoading = true;
  S.listError = null;
  renderList();
  const requestedAt = Date.now();
  let qs = '?limit=' + LIST_LIMIT;
  if (more && S.nextCursor) qs += '&cursor=' + enc(S.nextCursor);
  if (!more) S.listRequestedAt = requestedAt;
  try {
    const data = await api('GET', projectPath('/chats' + qs));
    if (ep !== S.epoch) return;
    const chats = (data && Array.isArray(data.chats)) ? data.chats : [];
    if (more) {
      for (const c of chats) {
        if (!c || !c.id) continue;
        const known = S.chats.has(c.id);
        S.chats.set(c.id, mergeSummary(S.chats.get(c.id), c));
        if (!known) S.order.push(c.id);
      }
      S.nextCursor = data.next_cursor || null;
      S.pagesLoaded++;
    } else {
      mergeFirstPage(chats, data.next_cursor || null);
    }
  } catch (e) {
    if (ep !== S.epoch) return;
    S.listError = e.message;
    reportError(e, 'Could not load conversations');
  } finally {
    if (ep === S.epoch) {
      S.listLoading = false;
      renderList();
      renderTitle();
    }
  }
}

function mergeFirstPage(chats, nextCursor) {
  const ids = [];
  for (const c of chats) {
    if (!c || !c.id) continue;
    let merged = mergeSummary(S.chats.get(c.id), c);
    if (c.id === S.openId && windowFocused() && merged.unread > 0) {
      merged = Object.assign(merged, { unread: 0 });
      markRead(c.id, true);
    }
    S.chats.set(c.id, merged);
    ids.push(c.id);
  }
  const inPage = new Set(ids);
  S.order = ids.concat(S.order.filter((id) => !inPage.has(id)));
  if (S.pagesLoaded <= 1) S.nextCursor = nextCursor;
  S.pagesLoaded = Math.max(1, S.pagesLoaded);
}

const listNodes = new Map(); // chat id -> {li, btn, sig}

function renderList() {
  const ul = $('chat-list');
  const active = document.activeElement;
  const selectedId = S.openId;
  const seen = new Set();
  let i = 0;
  for (const id of S.order) {
    const c = S.chats.get(id);
    if (!c) continue;
    seen.add(id);
    let node = listNodes.get(id);
    if (!node) {
      const btn = h('button', { type: 'button', class: 'chat-item' });
      btn.dataset.chatId = id;
      node = { li: h('li', { class: 'chat-li' }, btn), btn, sig: '' };
      listNodes.set(id, node);
    }
    const sig = JSON.stringify([c.visitor_name, c.visitor_id, c.status, c.state, c.assignee, c.rating, c.unread, c.last_activity_at,
      c.last_message && [c.last_message.id, c.last_message.text, c.last_message.author_type],
      id === selectedId]);
    if (sig !== node.sig) {
      fillChatButton(node.btn, c, id === selectedId);
      node.sig = sig;
    }
    if (ul.children[i] !== node.li) ul.insertBefore(node.li, ul.children[i] || null);
    i++;
  }
  for (const [id, node] of listNodes) {
    if (!seen.has(id)) {
      node.li.remove();
      listNodes.delete(id);
    }
  }
  if (active && active !== document.activeElement && active.isConnected) active.focus({ preventScroll: true });

  const count = S.order.length;
  $('inbox-count').textContent = count ? String(count) + (S.nextCursor ? '+' : '') : '';
  const state = $('list-state');
  if (S.listLoading && !count) {
    state.hidden = false;
    state.className = 'list-state';
    state.replaceChildren(h('span', { class: 'spinner spinner-sm', 'aria-hidden': 'true' }), ' Loading conversations…');
  } else if (S.listError && !count) {
    state.hidden = false;
    state.className = 'list-state list-state-error';
    state.replaceChildren(h('span', { text: 'Could not load conversations. ' }),
      h('button', { type: 'button', class: 'link-btn', text: 'Try again', onclick: () => loadChats(false) }));
  } else if (!count && S.project) {
    state.hidden = false;
    state.className = 'list-state';
    state.replaceChildren(h('strong', { text: 'No conversations yet' }),
      h('span', { text: 'New chats from your website will show up here.' }));
  } else {
    state.hidden = true;
  }
  const more = $('load-more');
  more.hidden = !S.nextCursor;
  more.disabled = S.listLoading;
  more.textContent = S.listLoading && S.nextCursor ? 'Loading…' : 'Load more';
}

function fillChatButton(btn, c, selected) {
  btn.className = 'chat-item' + (selected ? ' selected' : '') + (c.unread > 0 ? ' unread' : '');
  if (selected) btn.setAttribute('aria-current', 'true');
  else btn.removeAttribute('aria-current');
  const name = c.visitor_name || 'Visitor';
  const lm = c.last_message;
  const when = c.last_activity_at || (lm && lm.created_at) || c.created_at;
  const preview = h('span', { class: 'chat-preview' + (lm && lm.author_type === 'operator' ? ' from-team' : '') + (lm && lm.author_type === 'system' ? ' from-system' : '') });
  if (lm && typeof lm.text === 'string') {
    // The prefix is for screen readers, and it keeps the preview from being an element whose
    // whole text equals the message (so "find the bubble by exact text" stays unambiguous).
    preview.append(h('span', { class: 'sr-only', text: lm.author_type === 'operator' ? 'Team replied: '
      : lm.author_type === 'system' ? 'Event: ' : 'Last message: ' }), lm.text);
  } else {
    preview.append(h('em', { text: 'No messages yet' }));
  }
  const bottom = h('span', { class: 'chat-bottom' }, preview);
  if (c.unread > 0) {
    bottom.append(h('span', { class: 'badge' }, [
      h('span', { 'aria-hidden': 'true', text: c.unread > 99 ? '99+' : String(c.unread) }),
      h('span', { class: 'sr-only', text: ' ' + c.unread + ' unread' }),
    ]));
  }
  btn.replaceChildren(
    avatar(name, c.visitor_id || c.id),
    h('span', { class: 'chat-main' }, [
      h('span', { class: 'chat-top' }, [
        h('span', { class: 'chat-name', text: name }),
        h('span', { class: 'chat-state state-' + (c.state || 'open'), title: stateText(c), text: stateBadge(c) }),
        when ? h('time', { class: 'chat-time', datetime: when, title: fullTime(when), 'data-rel': when, text: relTime(when) }) : null,
      ]),
      bottom,
    ]),
  );
}

function renderTitle() {
  const n = unreadTotal();
  const base = (S.project ? S.project.name + ' · ' : '') + 'Inbox';
  document.title = (n > 0 ? '(' + n + ') ' : '') + base;
}

function roleLabel(role) {
  return { administrator: 'Administrator', manager: 'Manager', operator: 'Operator' }[role] || String(role || '');
}

function renderProjectHeader() {
  const projects = (S.me && Array.isArray(S.me.projects)) ? S.me.projects : [];
  const name = S.project ? S.project.name || S.project.id : 'No project';
  $('project-name').textContent = name;
  $('project-name').title = S.project ? name + ' · ' + roleLabel(S.project.role) : '';
  const sw = $('project-switch');
  if (projects.length > 1) {
    const sel = $('project-select');
    // Each says which is which: the name and the member's role there; ✓ marks the open one.
    sel.replaceChildren(...projects.map((p) => {
      const current = S.project && p.id === S.project.id;
      const o = h('option', { value: p.id, text: (current ? '✓ ' : '') + (p.name || p.id) + ' — ' + roleLabel(p.role) });
      if (current) o.selected = true;
      return o;
    }));
    sw.hidden = false;
    $('project-name').hidden = true;
  } else {
    sw.hidden = true;
    $('project-name').hidden = false;
  }
}

// ---------------------------------------------------------------- conversation
function openChat(chatId) {
  if (!S.chats.has(chatId)) return;
  if (S.openId === chatId && S.conv) {
    if (S.chats.get(chatId).unread > 0) markRead(chatId, false);
    $('composer-text').focus();
    return;
  }
  saveDraft();
  stopTyping();
  hideVisitorTyping();
  hideSuggestions();
  if (S.display === 'section' && S.view !== 'inbox') showView('inbox');
  S.openId = chatId;
  S.conv = { chatId, messages: new Map(), loaded: false, error: null, requestedAt: 0, needsSync: false, truncated: false, seenUpTo: null };
  msgNodes.clear();
  $('messages').replaceChildren();
  renderList();
  renderConv();
  const ta = $('composer-text');
  ta.value = S.drafts.get(chatId) || '';
  autoGrow();
  updateCharCount();
  if (!matchMedia('(pointer: coarse)').matches) ta.focus({ preventScroll: true });
  loadConversation(S.conv);
  loadVisitorFacts(S.conv);
  markRead(chatId, false);
  if (isLead()) loadMembers(); // who is online now, for the "Assign to" list
}

async function loadConversation(conv) {
  conv.error = null;
  conv.requestedAt = Date.now();
  renderMessages();
  try {
    const data = await api('GET', chatPath(conv.chatId, '/messages?limit=' + MSG_LIMIT));
    if (S.conv !== conv) return;
    const list = (data && Array.isArray(data.messages)) ? data.messages : [];
    conv.truncated = data && 'has_older' in data ? !!data.has_older : list.length >= MSG_LIMIT;
    addMessages(conv, list);
    conv.loaded = true;
    renderMessages({ forceBottom: true });
    if (conv.needsSync) {
      conv.needsSync = false;
      fetchNewer(conv);
    }
  } catch (e) {
    if (S.conv !== conv) return;
    conv.error = e.message || 'Could not load messages.';
    renderMessages();
  }
}

/** Who the team is talking to: where they are, on what, and who they are if logged in. */
async function loadVisitorFacts(conv) {
  try {
    const data = await api('GET', chatPath(conv.chatId, '/visitor'));
    if (S.conv !== conv || !data || !data.visitor) return;
    conv.visitor = data.visitor;
    renderVisitorFacts();
  } catch (e) { /* the header simply shows less */ }
}

function renderVisitorFacts() {
  const v = S.conv && S.conv.visitor;
  const box = $('conv-facts');
  if (!v) { box.replaceChildren(); return; }
  let page = v.page_url || '';
  try { const u = new URL(page); page = u.pathname + u.search; } catch (e) { /* as is */ }
  const parts = [
    v.user ? (v.user.name || v.user.id) + (v.user.email ? ' <' + v.user.email + '>' : '') + ' (logged in)' : null,
    v.online ? 'online now' + (page ? ' on ' + page : '') : 'not on the site',
    [v.city, v.country].filter(Boolean).join(', ') || null,
    [v.platform, v.os, v.browser].filter(Boolean).join(' · ') || null,
    v.visits ? 'visit ' + v.visits : null,
    v.last_event ? 'last event: ' + v.last_event : null,
  ].filter(Boolean);
  box.replaceChildren(...parts.map((t) => h('span', { class: 'fact', text: t })));
}

/** Scrolling back: the page of messages just before the oldest one shown. */
async function loadOlder(conv) {
  if (conv.loadingOlder) return;
  let first = null;
  for (const id of conv.messages.keys()) if (first === null || id < first) first = id;
  if (!first) return;
  conv.loadingOlder = true;
  renderMessages();
  const box = $('messages');
  const fromBottom = box.scrollHeight - box.scrollTop;
  try {
    const data = await api('GET', chatPath(conv.chatId, '/messages?before=' + enc(first) + '&limit=' + MSG_LIMIT));
    if (S.conv !== conv) return;
    const list = (data && Array.isArray(data.messages)) ? data.messages : [];
    conv.truncated = !!(data && data.has_older);
    addMessages(conv, list);
  } catch (e) {
    if (S.conv === conv) reportError(e, 'Could not load older messages');
  } finally {
    conv.loadingOlder = false;
  }
  if (S.conv !== conv) return;
  renderMessages();
  box.scrollTop = box.scrollHeight - fromBottom; // keep the reader where they were
}

function lastMessageId(conv) {
  let last = null;
  for (const id of conv.messages.keys()) if (last === null || id > last) last = id;
  return last;
}

/** After a reconnect: page through messages?after=<last id> until caught up. */
async function fetchNewer(conv) {
  if (S.conv !== conv) return;
  if (!conv.loaded) { conv.needsSync = true; return; }
  let after = lastMessageId(conv);
  if (!after) { conv.loaded = false; return loadConversation(conv); }
  try {
    for (let page = 0; page < 50; page++) {
      const data = await api('GET', chatPath(conv.chatId, '/messages?after=' + enc(after) + '&limit=' + MSG_LIMIT));
      if (S.conv !== conv) return;
      const list = (data && Array.isArray(data.messages)) ? data.messages : [];
      addMessages(conv, list);
      renderMessages();
      const next = (data && data.cursor) || (list.length ? list[list.length - 1].id : after);
      if (list.length < MSG_LIMIT || !next || next <= after) break;
      after = next;
    }
  } catch (e) {
    if (S.conv === conv) reportError(e, 'Could not refresh the conversation');
  }
}

/** Adds messages to the map (dedupe by id) and settles optimistic copies by client_id. */
function addMessages(conv, list) {
  let changed = false;
  const pend = S.pending.get(conv.chatId);
  for (const m of list) {
    if (!m || !m.id) continue;
    if (!conv.messages.has(m.id)) changed = true;
    conv.messages.set(m.id, m);
    if (pend && m.client_id && pend.has(m.client_id)) {
      const p = pend.get(m.client_id);
      if (p.status !== 'sending') { pend.delete(m.client_id); changed = true; }
      else p.confirmedId = m.id; // the POST will settle it; hide the duplicate meanwhile
    }
  }
  return changed;
}

function saveDraft() {
  if (!S.openId) return;
  const v = $('composer-text').value;
  if (v) S.drafts.set(S.openId, v);
  else S.drafts.delete(S.openId);
}

function renderConv() {
  const c = S.openId ? S.chats.get(S.openId) : null;
  $('conv-empty').hidden = !!c;
  $('conv-main').hidden = !c;
  document.body.classList.toggle('has-open-chat', !!c);
  renderLayout();
  if (!c) {
    if (S.project) $('conv-empty-sub').textContent = 'Pick a dialogue from the inbox to read and reply.';
    return;
  }
  const name = c.visitor_name || 'Visitor';
  $('conv-title').textContent = name;
  paintAvatar($('conv-avatar'), name, c.visitor_id || c.id);
  const sub = [];
  if (c.status) sub.push(c.status.charAt(0).toUpperCase() + c.status.slice(1));
  if (c.created_at) sub.push('started ' + relTimeLong(c.created_at));
  if (c.rating) sub.push('rated ' + c.rating);
  $('conv-sub').textContent = sub.join(' · ');
  $('conv-sub').title = 'Dialogue ' + c.id;
  renderActions(c);
  renderComposerState(c);
  renderVisitorFacts();
  renderMessages();
}

/** A closed dialogue takes no replies (the visitor has left it): notes only. */
function renderComposerState(c) {
  const closed = c.state === 'closed';
  $('mode-reply').disabled = closed;
  if (closed && S.composeMode !== 'note') setComposeMode('note');
  else if (!closed && S.composeMode === 'note' && S.closedForcedNote) setComposeMode('reply');
  S.closedForcedNote = closed;
  $('composer-hint').textContent = closed ? 'Closed: reopen it to reply to the visitor; notes stay with the team.'
    : 'Enter to send \u00b7 / for saved replies';
}

function renderActions(c) {
  const box = $('conv-actions');
  const mine = c.assignee && c.assignee.id === myId();
  const buttons = [];
  const act = (label, verb) => buttons.push(h('button', {
    type: 'button', text: label, onclick: (e) => chatAction(c.id, verb, e.currentTarget),
  }));
  if (c.state === 'closed') act('Reopen', 'reopen');
  else {
    if (!c.assignee) act('Assign to me', 'assign');
    if (mine || (c.assignee && isLead())) act('Unassign', 'unassign');
    if (isLead() && S.members.length) buttons.push(assignSelect(c));
    act('Close', 'close');
  }
  box.replaceChildren(h('span', { class: 'state ' + (c.state || 'open'), text: stateText(c) }), ...buttons);
}

/** Managers and the administrator give or reassign a dialogue to any member. */
function assignSelect(c) {
  const current = c.assignee ? c.assignee.id : '';
  const option = (m) => h('option', { value: m.user_id, selected: m.user_id === current, text: m.name || m.email });
  const online = S.members.filter((m) => m.presence === 'online');
  const others = S.members.filter((m) => m.presence !== 'online');
  const options = [h('option', { value: '', text: 'Assign to…', disabled: true, selected: !current })];
  if (online.length) options.push(h('optgroup', { label: 'Online' }, online.map(option)));
  if (others.length) options.push(h('optgroup', { label: 'Not online' }, others.map(option)));
  return h('select', {
    class: 'assign-select', 'aria-label': 'Assign to',
    onchange: async (e) => {
      const sel = e.currentTarget;
      sel.disabled = true;
      try {
        const data = await api('POST', chatPath(c.id, '/assign'), { user_id: sel.value });
        if (data && data.chat) applyChatUpdate(data.chat);
      } catch (err) {
        reportError(err, 'Could not assign the dialogue');
        sel.disabled = false;
        sel.value = current;
      }
    },
  }, options);
}

async function chatAction(chatId, verb, button) {
  if (button) button.disabled = true;
  try {
    const data = await api('POST', chatPath(chatId, '/' + verb), {});
    if (data && data.chat) applyChatUpdate(data.chat);
  } catch (e) {
    reportError(e, 'Could not ' + verb + ' the dialogue');
    if (button) button.disabled = false;
  }
}

function applyChatUpdate(chat) {
  if (!chat || !chat.id) return;
  if (chat.assignee && chat.assignee.id !== myId() && !seesAll()) {
    // Given to someone else: an operator no longer sees it (the server agrees).
    const wasOpen = S.openId === chat.id;
    S.chats.delete(chat.id);
    S.order = S.order.filter((id) => id !== chat.id);
    if (wasOpen) {
      S.openId = null;
      S.conv = null;
      renderConv();
      toast('This dialogue is now ' + chat.assignee.name + '\u2019s.');
    }
    renderList();
    renderTitle();
    return;
  }
  S.chats.set(chat.id, mergeSummary(S.chats.get(chat.id), chat));
  renderList();
  if (S.openId === chat.id) renderConv();
}

const msgNodes = new Map(); // key -> {el, sig}

function authorLabel(m) {
  if (m.author_type === 'visitor') {
    // The dialogue's current name, not the one stored with the message: a visitor who
    // logs in (identify) is renamed, and older messages keep their default name.
    const c = S.chats.get(m.chat_id || S.openId);
    return (c && c.visitor_name) || m.author_name || 'Visitor';
  }
  if (m.author_name) return m.author_name;
  if (m.author_type === 'operator') {
    const u = S.me && S.me.user;
    if (u && m.author_id && m.author_id === u.id) return u.name || 'You';
    return 'Operator';
  }
  return 'System';
}

function renderMessages(opts) {
  const box = $('messages');
  const conv = S.conv;
  if (!conv) { box.replaceChildren(); return; }
  const stick = (opts && opts.forceBottom) || isNearBottom(box);
  const nodes = [];

  if (conv.error) {
    nodes.push(h('div', { class: 'conv-note conv-note-error' }, [
      h('span', { text: 'Could not load messages: ' + conv.error + ' ' }),
      h('button', { type: 'button', class: 'link-btn', text: 'Try again', onclick: () => loadConversation(conv) }),
    ]));
  } else if (!conv.loaded && conv.messages.size === 0) {
    nodes.push(h('div', { class: 'conv-note' }, [h('span', { class: 'spinner spinner-sm', 'aria-hidden': 'true' }), ' Loading messages…']));
  } else if (conv.truncated) {
    nodes.push(h('div', { class: 'conv-note' }, [
      h('button', {
        type: 'button', class: 'link-btn', text: conv.loadingOlder ? 'Loading…' : 'Load older messages',
        disabled: conv.loadingOlder ? 'disabled' : null, onclick: () => loadOlder(conv),
      }),
    ]));
  }

  const msgs = Array.from(conv.messages.values()).sort((a, b) => cmpId(a.id, b.id));
  const me = (S.me && S.me.user) || {};
  const pend = Array.from((S.pending.get(conv.chatId) || new Map()).values())
    .filter((p) => !p.confirmedId)
    .sort((a, b) => a.seq - b.seq);
  const items = msgs.map((m) => ({ key: 'm:' + m.id, m, p: null }))
    .concat(pend.map((p) => ({
      key: 'p:' + p.client_id,
      m: { author_type: 'operator', author_id: me.id, author_name: me.name || 'You', text: p.text, created_at: p.created_at, chat_id: p.chat_id, internal: p.internal },
      p,
    })));

  if (conv.loaded && !items.length) {
    nodes.push(h('div', { class: 'conv-note', text: 'No messages in this conversation yet.' }));
  }

  let seenId = null;
  if (conv.seenUpTo) {
    for (const m of msgs) if (m.author_type === 'operator' && !m.internal && m.id <= conv.seenUpTo) seenId = m.id;
    const lastOp = msgs.filter((m) => m.author_type === 'operator' && !m.internal).pop();
    if (!lastOp || lastOp.id !== seenId) seenId = null; // only mark the newest operator message
  }

  let prevDay = null;
  let prev = null;
  let prevT = 0;
  const used = new Set();
  for (const it of items) {
    const t = parseTime(it.m.created_at) || Date.now();
    const dk = dayKey(t);
    if (dk !== prevDay) {
      const key = 'd:' + dk;
      let node = msgNodes.get(key);
      const label = dayLabel(t);
      if (!node || node.sig !== label) {
        node = { el: h('div', { class: 'day-sep', role: 'separator' }, h('span', { text: label })), sig: label };
        msgNodes.set(key, node);
      }
      used.add(key);
      nodes.push(node.el);
      prevDay = dk;
      prev = null;
    }
    const type = it.m.author_type === 'visitor' || it.m.author_type === 'operator' ? it.m.author_type : 'system';
    const cont = !!prev && type !== 'system' && prev.type === type &&
      (prev.author_id || '') === (it.m.author_id || '') && t - prevT < GROUP_GAP_MS;
    const seen = !it.p && it.m.id === seenId;
    const sig = JSON.stringify([it.m.text, authorLabel(it.m), it.m.created_at, type, cont, seen, !!it.m.internal,
      it.p ? [it.p.status, it.p.error] : null]);
    let node = msgNodes.get(it.key);
    if (!node || node.sig !== sig) {
      node = { el: buildMessage(it, type, cont, seen, t), sig };
      msgNodes.set(it.key, node);
    }
    used.add(it.key);
    nodes.push(node.el);
    prev = { type, author_id: it.m.author_id };
    prevT = t;
  }
  for (const k of Array.from(msgNodes.keys())) if (!used.has(k)) msgNodes.delete(k);
  box.replaceChildren(...nodes);
  if (stick) box.scrollTop = box.scrollHeight;
}

function buildMessage(it, type, cont, seen, t) {
  const m = it.m;
  const p = it.p;
  const el = h('div', {
    class: 'msg msg-' + type + (cont ? ' msg-cont' : '') + (p ? ' msg-pending msg-' + p.status : '')
      + (m.internal && type !== 'system' ? ' msg-note' : ''), // workflow lines are team-only too
    'data-author-type': type,
  });
  if (p) el.dataset.clientId = p.client_id;
  else {
    el.dataset.id = m.id;
    if (m.client_id) el.dataset.clientId = m.client_id;
  }
  const time = h('time', { class: 'msg-time', datetime: m.created_at || '', title: fullTime(m.created_at), text: clock(t) });
  if (type === 'system') {
    el.append(h('div', { class: 'msg-system-line' }, [h('span', { class: 'msg-text', text: m.text }), time]));
    return el;
  }
  // A dialogue begun by an auto message: say so, and show what the visitor saw.
  const auto = typeof m.author_id === 'string' && m.author_id.startsWith('auto.');
  el.append(h('div', { class: 'msg-author', text: authorLabel(m) + (m.internal ? ' · internal note' : '') + (auto ? ' · auto message' : '') }));
  const bubble = h('div', { class: 'msg-bubble msg-text', text: m.text });
  if (m.image_url && /^https:\/\//i.test(m.image_url)) bubble.prepend(h('img', { class: 'msg-image', src: m.image_url, alt: '' }));
  for (const f of m.files || []) {
    if (/^https?:\/\//i.test(f.url)) bubble.append(h('a', { class: 'msg-file', href: f.url, target: '_blank', rel: 'noopener', text: f.name }));
  }
  el.append(h('div', { class: 'msg-row' }, [bubble, time]));
  if (p && p.status === 'sending') {
    el.append(h('div', { class: 'msg-status', text: 'Sending…' }));
  } else if (p && p.status === 'failed') {
    el.append(h('div', { class: 'msg-status msg-status-failed' }, [
      h('span', { text: 'Not sent' + (p.error ? ' — ' + p.error : '') + '. ' }),
      h('button', { type: 'button', class: 'link-btn', text: 'Retry', onclick: () => retrySend(p) }),
      h('button', { type: 'button', class: 'link-btn link-btn-muted', text: 'Discard', onclick: () => discardPending(p) }),
    ]));
  } else if (seen) {
    el.append(h('div', { class: 'msg-status msg-status-seen', text: 'Seen' }));
  }
  return el;
}

// ---------------------------------------------------------------- sending
let pendSeq = 0;

function onComposerSubmit(ev) {
  if (ev) ev.preventDefault();
  const ta = $('composer-text');
  const chatId = S.openId;
  if (!chatId) return;
  const text = ta.value.replace(/^\s*\n|\s+$/g, '');
  if (!text.trim()) return;
  if (text.length > MAX_LEN) {
    toast('Messages are limited to ' + MAX_LEN + ' characters.', 'error');
    return;
  }
  ta.value = '';
  S.drafts.delete(chatId);
  hideSuggestions();
  autoGrow();
  updateCharCount();
  stopTyping();
  let pend = S.pending.get(chatId);
  if (!pend) { pend = new Map(); S.pending.set(chatId, pend); }
  const p = { client_id: newClientId(), chat_id: chatId, text, status: 'sending', error: null, created_at: new Date().toISOString(), seq: ++pendSeq,
    internal: S.composeMode === 'note' };
  pend.set(p.client_id, p);
  savePending();
  renderMessages({ forceBottom: true });
  postMessage(p);
}

async function postMessage(p) {
  const ep = S.epoch;
  p.status = 'sending';
  p.error = null;
  if (S.openId === p.chat_id) renderMessages();
  try {
    const data = await api('POST', chatPath(p.chat_id, p.internal ? '/notes' : '/messages'), { client_id: p.client_id, text: p.text });
    if (ep !== S.epoch) return;
    const m = data && data.message;
    const pend = S.pending.get(p.chat_id);
    if (pend) pend.delete(p.client_id);
    savePending();
    if (m && m.id) {
      if (S.conv && S.conv.chatId === p.chat_id) addMessages(S.conv, [m]);
      const c = S.chats.get(p.chat_id);
      if (c && !m.internal && (!c.last_message || cmpId(m.id, c.last_message.id) > 0)) {
        S.chats.set(p.chat_id, Object.assign({}, c, {
          last_message: { id: m.id, text: m.text, author_type: m.author_type, created_at: m.created_at },
          last_activity_at: m.created_at || c.last_activity_at,
        }));
        moveToTop(p.chat_id);
        renderList();
      }
    }
    if (S.openId === p.chat_id) renderMessages({ forceBottom: true });
  } catch (e) {
    if (ep !== S.epoch) return;
    if (p.confirmedId) {
      // The server did store it (we saw it live); the failure was only the response.
      const pend = S.pending.get(p.chat_id);
      if (pend) pend.delete(p.client_id);
      savePending();
      if (S.openId === p.chat_id) renderMessages();
      return;
    }
    // Network trouble or a server error: try again by itself a few times (same client_id).
    p.attempts = (p.attempts || 0) + 1;
    if ((e.status === 0 || e.status >= 500 || e.status === 429) && p.attempts < 4) {
      setTimeout(() => {
        const still = S.pending.get(p.chat_id);
        if (ep === S.epoch && still && still.get(p.client_id) === p) postMessage(p); // not discarded meanwhile
      }, 1500 * p.attempts);
      return;
    }
    p.status = 'failed';
    p.error = e.status === 0 ? 'no connection' : (e.message || 'error');
    p.confirmedId = null;
    if (S.openId === p.chat_id) renderMessages();
  }
}

// Unsent replies survive a reload (sessionStorage, per project): the server de-duplicates
// by client_id, so sending one again after the page closed mid-request is always safe.
function pendingKey() { return 'lc-panel:pending:' + (S.project ? S.project.id : ''); }

function savePending() {
  if (!S.project) return;
  const all = [];
  for (const pend of S.pending.values()) {
    for (const p of pend.values()) all.push({ client_id: p.client_id, chat_id: p.chat_id, text: p.text, internal: !!p.internal, created_at: p.created_at });
  }
  try {
    if (all.length) sessionStorage.setItem(pendingKey(), JSON.stringify(all));
    else sessionStorage.removeItem(pendingKey());
  } catch (e) { /* private mode */ }
}

function restorePending() {
  let saved = [];
  try { saved = JSON.parse(sessionStorage.getItem(pendingKey()) || '[]'); } catch (e) { saved = []; }
  for (const x of Array.isArray(saved) ? saved : []) {
    if (!x || !x.client_id || !x.chat_id || typeof x.text !== 'string') continue;
    let pend = S.pending.get(x.chat_id);
    if (!pend) { pend = new Map(); S.pending.set(x.chat_id, pend); }
    const p = Object.assign({ status: 'sending', error: null, seq: ++pendSeq }, x);
    pend.set(p.client_id, p);
    postMessage(p);
  }
}

function retrySend(p) {
  p.attempts = 0;
  postMessage(p); // same client_id: the server de-duplicates
}

function discardPending(p) {
  const pend = S.pending.get(p.chat_id);
  if (pend) pend.delete(p.client_id);
  savePending();
  if (S.openId === p.chat_id) renderMessages();
}

function autoGrow() {
  const ta = $('composer-text');
  ta.style.height = 'auto';
  ta.style.height = Math.min(ta.scrollHeight + 2, 200) + 'px';
}

function updateCharCount() {
  const n = $('composer-text').value.length;
  const el = $('char-count');
  el.textContent = n > MAX_LEN - 500 ? n + ' / ' + MAX_LEN : '';
  el.classList.toggle('over', n >= MAX_LEN);
}

// ---------------------------------------------------------------- typing (operator -> visitor)
function onComposerInput() {
  autoGrow();
  updateCharCount();
  const chatId = S.openId;
  if (!chatId) return;
  updateSuggestions();
  // An internal note is not a reply being typed: the visitor sees no indicator for it.
  if (!$('composer-text').value.trim() || S.composeMode === 'note') { stopTyping(); return; }
  const now = Date.now();
  if (S.typingActiveChat !== chatId || now - S.typingSentAt > TYPING_THROTTLE_MS) {
    if (sendFrame({ action: 'typing', chat_id: chatId, typing: true })) {
      S.typingSentAt = now;
      S.typingActiveChat = chatId;
    }
  }
  clearTimeout(S.typingIdleTimer);
  S.typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  clearTimeout(S.typingIdleTimer);
  if (S.typingActiveChat) {
    sendFrame({ action: 'typing', chat_id: S.typingActiveChat, typing: false });
    S.typingActiveChat = null;
    S.typingSentAt = 0;
  }
}

// ---------------------------------------------------------------- read state
function markRead(chatId, preferSocket) {
  const c = S.chats.get(chatId);
  if (c && c.unread) {
    S.chats.set(chatId, Object.assign({}, c, { unread: 0 }));
    renderList();
    renderTitle();
  }
  if (preferSocket && sendFrame({ action: 'read', chat_id: chatId })) return;
  const ep = S.epoch;
  api('POST', chatPath(chatId, '/read'), {}).then((data) => {
    if (ep !== S.epoch || !data || !data.chat || !S.chats.has(chatId)) return;
    const merged = mergeSummary(S.chats.get(chatId), data.chat);
    if (chatId === S.openId) merged.unread = 0;
    S.chats.set(chatId, merged);
    renderList();
    renderTitle();
    if (chatId === S.openId) renderConv();
  }).catch((e) => { if (e.status !== 0) reportError(e, 'Could not mark as read'); });
}

function onWindowFocus() {
  if (!S.tokens || !S.project) return;
  if (S.openId && windowFocused()) {
    const c = S.chats.get(S.openId);
    if (c && c.unread > 0) markRead(S.openId, true);
  }
}

async function syncAfterConnect({ openedAt }) {
  loadMembers(); // opening a socket makes an offline member online: show the status it set
  // Chat list: refetch unless the current read was issued after the socket opened.
  if (S.listRequestedAt !== null && S.listRequestedAt < openedAt) loadChats(false);
  const conv = S.conv;
  if (conv) {
    if (conv.loaded) fetchNewer(conv);
    else if (conv.requestedAt && conv.requestedAt < openedAt) conv.needsSync = true;
  }
}

function onMessageFrame(msg, chat) {
  if (!S.project) return;
  const chatId = msg.chat_id || (chat && chat.id);
  if (!chatId) return;
  const prev = S.chats.get(chatId);
  const known = !!prev;
  const isOpen = S.openId === chatId && S.conv && S.conv.chatId === chatId;
  const isVisitor = msg.author_type === 'visitor';
  const focused = windowFocused();

  // Already seen (duplicate frame, or fetched by a refetch)?
  const dup = (isOpen && S.conv.messages.has(msg.id)) ||
    (prev && prev.last_message && cmpId(prev.last_message.id, msg.id) >= 0);

  if (isOpen) {
    const conv = S.conv;
    addMessages(conv, [msg]);
    renderMessages();
    if (isVisitor) hideVisitorTyping();
  }
  if (dup) return;

  if (!prev && !(chat && chat.visitor_name)) {
    // No summary in the frame (or one without the visitor's name, which a visitor's
    // message does not carry) and we do not know the chat: fetch it.
    fetchChatSummary(chatId, msg);
    return;
  }

  const summary = mergeSummary(prev, chat || {});
  if (!summary.id) summary.id = chatId;
  if (!summary.last_message || cmpId(summary.last_message.id, msg.id) < 0) {
    summary.last_message = { id: msg.id, text: msg.text, author_type: msg.author_type, created_at: msg.created_at };
    summary.last_activity_at = msg.created_at || summary.last_activity_at;
  }
  if (isVisitor) {
    if (isOpen && focused) {
      summary.unread = 0;
      sendFrame({ action: 'read', chat_id: chatId }) || markRead(chatId, false);
    } else {
      const fromServer = chat && typeof chat.unread === 'number' ? chat.unread : 0;
      summary.unread = Math.max(fromServer, ((prev && prev.unread) || 0) + 1);
    }
  } else if (isOpen) {
    summary.unread = (prev && prev.unread) || 0;
  }
  S.chats.set(chatId, summary);
  moveToTop(chatId);
  renderList();
  renderTitle();
  if (isOpen) renderConv();
  if (isVisitor && (!known || !focused)) notify(summary, msg, !known);
}

/** A teammate's internal note: shown in the open dialogue; the list is not touched. */
function onNoteFrame(msg) {
  if (S.conv && S.conv.chatId === msg.chat_id && addMessages(S.conv, [msg])) renderMessages();
}

async function fetchChatSummary(chatId, msg) {
  const ep = S.epoch;
  try {
    const data = await api('GET', chatPath(chatId, ''));
    if (ep !== S.epoch || !data || !data.chat) return;
    const known = S.chats.has(chatId);
    S.chats.set(chatId, mergeSummary(S.chats.get(chatId), data.chat));
    moveToTop(chatId);
    renderList();
    renderTitle();
    if (msg.author_type === 'visitor' && (!known || !windowFocused())) notify(S.chats.get(chatId), msg, !known);
  } catch (e) {
    /* the next list refresh will pick it up */
  }
}

function onTypingFrame(f) {
  if (f.author_type !== 'visitor' || !S.openId) return;
  // The widget may omit chat_id (the visitor's current dialogue); the backend then sends
  // chat_id null plus visitor_id, so match on that too.
  const open = S.chats.get(S.openId);
  const match = f.chat_id ? f.chat_id === S.openId
    : !!(f.visitor_id && open && open.visitor_id === f.visitor_id);
  if (!match) return;
  if (f.typing) {
    const el = $('typing');
    el.textContent = 'Visitor is typing…';
    el.classList.add('on');
    clearTimeout(S.visitorTypingTimer);
    S.visitorTypingTimer = setTimeout(hideVisitorTyping, VISITOR_TYPING_TTL_MS);
  } else {
    hideVisitorTyping();
  }
}

function hideVisitorTyping() {
  clearTimeout(S.visitorTypingTimer);
  const el = $('typing');
  el.textContent = '';
  el.classList.remove('on');
}

function onReadFrame(f) {
  const chatId = f.chat_id;
  if (!chatId) return;
  if (f.reader === 'operator') {
    const c = S.chats.get(chatId);
    if (c && c.unread) {
      S.chats.set(chatId, Object.assign({}, c, { unread: 0 }));
      renderList();
      renderTitle();
    }
  } else if (f.reader === 'visitor' && S.conv && S.conv.chatId === chatId) {
    const last = lastMessageId(S.conv);
    if (last) {
      S.conv.seenUpTo = last;
      renderMessages();
    }
  }
}

function onErrorFrame(f) {
  if (f.code === 'unauthorized') {
    refreshTokens().catch(() => {});
    return;
  }
  if (f.client_id) {
    for (const pend of S.pending.values()) {
      const p = pend.get(f.client_id);
      if (p) {
        p.status = 'failed';
        p.error = f.message || f.code;
        if (S.openId === p.chat_id) renderMessages();
        return;
      }
    }
  }
  if (f.message) toast(f.message, 'error');
}

function closePopup() {
  saveDraft();
  stopTyping();
  S.openId = null;
  S.conv = null;
  renderList();
  renderConv();
}

async function loadProjectInfo() {
  const ep = S.epoch;
  try {
    const data = await api('GET', projectPath(''));
    if (ep !== S.epoch || !data || !data.project) return;
    S.projectInfo = data.project;
    renderBanner();
    renderAutoNav();
    if (S.view === 'auto') loadAutoList(); // it waited for the role
    if (S.view === 'settings') renderSettings();
    if (S.view === 'install') Install.render(); // it waited for the role
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not load the project');
  }
}

/** Chats switched off: the widget is hidden on the site, and the panel says why. */
function renderBanner() {
  const b = $('banner');
  const p = S.projectInfo;
  // A plan limit or payment stops something (blocked), or is about to (warnings: a
  // failed renewal Stripe is still retrying, the chat still works): what, and how on.
  const blocked = S.billing ? (S.billing.blocked || []).concat(S.billing.warnings || []) : [];
  if (blocked.length && (!p || p.chats_enabled)) {
    b.replaceChildren(...blocked.map((x) => h('span', { class: 'banner-item' }, [h('strong', { text: x.message + ' ' }), h('span', { text: x.resume + ' ' })])),
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Open billing', onclick: () => showView('billing') }));
    b.hidden = false;
    return;
  }
  const notInstalled = p && p.chats_enabled && Install.bannerParts(p);
  if (notInstalled) { b.replaceChildren(...notInstalled); b.hidden = false; return; }
  if (!p || p.chats_enabled) { b.hidden = true; b.replaceChildren(); return; }
  const parts = [h('strong', { text: 'Chats are switched off for this project. ' }),
    h('span', { text: 'The chat widget does not show on your website, so visitors cannot start new conversations. ' })];
  if (isOwner()) {
    parts.push(h('button', {
      type: 'button', class: 'btn btn-secondary btn-sm', text: 'Switch chats on',
      onclick: (e) => saveProjectSettings({ chats_enabled: true }, e.currentTarget),
    }));
  } else {
    parts.push(h('span', { text: 'Only the account administrator can switch them on.' }));
  }
  b.replaceChildren(...parts);
  b.hidden = false;
}

async function saveProjectSettings(changes, button) {
  const ep = S.epoch;
  if (button) button.disabled = true;
  try {
    const data = await api('PATCH', projectPath(''), changes);
    if (ep !== S.epoch) return null;
    if (data && data.project) S.projectInfo = data.project;
    renderBanner();
    renderSettings(); // the form shows what is stored (the banner can change it too)
    return S.projectInfo;
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not save');
    throw e;
  } finally {
    if (button) button.disabled = false;
  }
}

// ---------------------------------------------------------------- members and status
async function loadMembers() {
  const ep = S.epoch;
  try {
    const data = await api('GET', projectPath('/members'));
    if (ep !== S.epoch) return;
    S.members = (data && Array.isArray(data.members)) ? data.members : [];
    const me = S.members.find((m) => m.user_id === myId());
    if (me && me.status) renderStatus(me.status);
    renderMembers();
    if (S.openId) renderConv();
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not load the team');
  }
}

function renderStatus(status) {
  const sel = $('status-select');
  sel.value = status;
  sel.dataset.status = status;
}

async function setStatus(status) {
  const ep = S.epoch;
  const sel = $('status-select');
  const before = sel.dataset.status;
  renderStatus(status);
  try {
    const data = await api('PUT', projectPath('/status'), { status });
    if (ep !== S.epoch) return;
    const member = data && data.member;
    if (member && member.status) renderStatus(member.status);
  } catch (e) {
    if (ep !== S.epoch) return;
    renderStatus(before);
    reportError(e, 'Could not change your status');
  }
}

const ROLE_LABELS = { administrator: 'Administrator', manager: 'Manager', operator: 'Operator' };

function renderMembers() {
  const body = $('members-body');
  const lead = isLead();
  $('invite-form').hidden = !lead;
  $('team-readonly').hidden = lead;
  body.replaceChildren(...S.members.map((m) => {
    const editable = lead && m.role !== 'administrator';
    const role = editable
      ? h('select', { 'aria-label': 'Role of ' + (m.name || m.email), onchange: (e) => changeMember(m, { role: e.target.value }) },
        ['manager', 'operator'].map((r) => h('option', { value: r, text: ROLE_LABELS[r], selected: m.role === r })))
      : h('span', { text: ROLE_LABELS[m.role] || m.role });
    const all = m.role === 'operator'
      ? h('input', { type: 'checkbox', 'aria-label': 'All dialogues for ' + (m.name || m.email), checked: !!m.chat_admin,
        disabled: !editable, onchange: (e) => changeMember(m, { chat_admin: e.target.checked }) })
      : h('span', { class: 'muted', text: 'yes' });
    const status = m.presence === 'online' ? (m.status || 'online') : 'offline';
    return h('tr', { 'data-user-id': m.user_id }, [
      h('td', {}, h('span', { class: 'member' }, [avatar(m.name || m.email, m.user_id, 'avatar-sm'),
        h('span', {}, [h('strong', { text: m.name || m.email }), h('span', { class: 'muted member-email', text: m.email })])])),
      h('td', {}, role),
      h('td', {}, all),
      h('td', {}, h('span', { class: 'presence presence-' + status, text: status })),
      h('td', { text: String(m.active_chats || 0) }),
      h('td', {}, editable ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-danger', text: 'Remove',
        'aria-label': 'Remove ' + (m.name || m.email), onclick: (e) => removeMember(m, e.currentTarget) }) : null),
    ]);
  }));
}

async function changeMember(m, changes) {
  try {
    await api('PATCH', projectPath('/members/' + enc(m.user_id)), changes);
    toast('Saved: ' + (m.name || m.email) + '.');
  } catch (e) {
    reportError(e, 'Could not change ' + (m.name || m.email));
  }
  loadMembers();
}

async function removeMember(m, button) {
  if (!window.confirm('Remove ' + (m.name || m.email) + ' from this project? Their open panels stop receiving its chats at once.')) return;
  button.disabled = true;
  try {
    await api('DELETE', projectPath('/members/' + enc(m.user_id)));
    toast((m.name || m.email) + ' was removed.');
  } catch (e) {
    reportError(e, 'Could not remove ' + (m.name || m.email));
  }
  loadMembers();
}

async function onInviteSubmit(ev) {
  ev.preventDefault();
  const email = $('invite-email').value.trim();
  const name = $('invite-name').value.trim();
  const result = $('invite-result');
  if (!email) { $('invite-email').focus(); return; }
  const btn = ev.target.querySelector('button[type="submit"]');
  btn.disabled = true;
  try {
    const data = await api('POST', projectPath('/members'), { email, name: name || email.split('@')[0], role: $('invite-role').value });
    result.replaceChildren(h('span', { text: 'Invitation sent to ' + email + '. ' }));
    if (data && data.temporary_password) {
      // Only the local stand-in returns it (no e-mail leaves the machine).
      result.append(h('span', { text: 'Temporary password (local stack only): ' }), h('code', { class: 'temp-password', text: data.temporary_password }));
    }
    result.hidden = false;
    $('invite-email').value = '';
    $('invite-name').value = '';
    loadMembers();
  } catch (e) {
    reportError(e, 'Could not invite ' + email);
  } finally {
    btn.disabled = false;
  }
}

// ---------------------------------------------------------------- saved replies
async function fetchReplies(chatId) {
  const data = await api('GET', projectPath('/replies' + (chatId ? '?chat_id=' + enc(chatId) : '')));
  return (data && Array.isArray(data.replies)) ? data.replies : [];
}

async function loadReplyList() {
  const ep = S.epoch;
  $('reply-shared-wrap').hidden = !isLead();
  try {
    const replies = await fetchReplies(null);
    if (ep !== S.epoch) return;
    S.replies = replies;
    renderReplyList();
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not load saved replies');
  }
}

function renderReplyList() {
  const ul = $('reply-list');
  if (!S.replies.length) {
    ul.replaceChildren(h('li', { class: 'muted', text: 'No saved replies yet.' }));
    return;
  }
  ul.replaceChildren(...S.replies.map((r) => h('li', { class: 'reply-item', 'data-reply-id': r.id }, [
    h('div', { class: 'reply-head' }, [
      h('code', { text: '/' + r.shortcut }),
      h('strong', { text: r.title || '' }),
      h('span', { class: 'tag', text: r.shared ? 'Shared' : 'Personal' }),
      h('span', { class: 'topbar-spacer' }),
      r.shared && !isLead() ? null : h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: 'Edit', onclick: () => editReply(r) }),
      r.shared && !isLead() ? null : h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-danger', text: 'Delete', onclick: (e) => deleteReply(r, e.currentTarget) }),
    ]),
    h('p', { class: 'reply-text', text: r.text }),
  ])));
}

function editReply(r) {
  S.editingReply = r ? r.id : null;
  $('reply-form-title').textContent = r ? 'Edit /' + r.shortcut : 'New saved reply';
  $('reply-shortcut').value = r ? r.shortcut : '';
  $('reply-title').value = r ? r.title || '' : '';
  $('reply-text').value = r ? r.text : '';
  $('reply-shared').checked = !!(r && r.shared);
  $('reply-cancel').hidden = !r;
  $('reply-save').textContent = r ? 'Save changes' : 'Save reply';
  if (r) $('reply-text').focus();
}

async function onReplySubmit(ev) {
  ev.preventDefault();
  const body = {
    shortcut: $('reply-shortcut').value.trim().replace(/^\//, ''),
    title: $('reply-title').value.trim(),
    text: $('reply-text').value,
  };
  if (isLead()) body.shared = $('reply-shared').checked;
  if (!body.shortcut || !body.text.trim()) { toast('A saved reply needs a shortcut and a text.', 'error'); return; }
  if (!body.title) body.title = body.shortcut;
  const btn = $('reply-save');
  btn.disabled = true;
  try {
    if (S.editingReply) await api('PATCH', projectPath('/replies/' + enc(S.editingReply)), body);
    else await api('POST', projectPath('/replies'), body);
    editReply(null);
    S.chatReplies.clear();
    await loadReplyList();
  } catch (e) {
    reportError(e, 'Could not save the reply');
  } finally {
    btn.disabled = false;
  }
}

async function deleteReply(r, button) {
  if (!window.confirm('Delete the saved reply /' + r.shortcut + '?')) return;
  button.disabled = true;
  try {
    await api('DELETE', projectPath('/replies/' + enc(r.id)));
    S.chatReplies.clear();
    await loadReplyList();
  } catch (e) {
    button.disabled = false;
    reportError(e, 'Could not delete the reply');
  }
}

// A teammate (or this user in another tab) changed a saved reply: the list and the "/"
// suggestions follow at once, no reload. (The suggestions are filled in per dialogue
// by the server, so their cache is dropped and asked again on the next "/".)
function onSavedReplyFrame(f) {
  const r = f.reply;
  if (!r || !r.id) return;
  S.chatReplies.clear();
  const others = S.replies.filter((x) => x.id !== r.id);
  S.replies = f.change === 'deleted' ? others
    : others.concat([r]).sort((a, b) => (a.shortcut < b.shortcut ? -1 : a.shortcut > b.shortcut ? 1 : 0));
  if (S.editingReply === r.id && f.change === 'deleted') editReply(null);
  if (S.view === 'replies') renderReplyList();
}

// The "/" shortcut: replies come with their variables filled in for the open dialogue.
function repliesForChat(chatId) {
  if (!S.chatReplies.has(chatId)) {
    const p = fetchReplies(chatId).catch((e) => { S.chatReplies.delete(chatId); throw e; });
    S.chatReplies.set(chatId, p);
  }
  return S.chatReplies.get(chatId);
}

function slashQuery() {
  const ta = $('composer-text');
  const m = /^\/([^\s/]*)$/.exec(ta.value.slice(0, ta.selectionStart));
  return m && ta.selectionStart === ta.value.length ? m[1].toLowerCase() : null;
}

async function updateSuggestions() {
  const q = slashQuery();
  const chatId = S.openId;
  if (q === null || !chatId) { hideSuggestions(); return; }
  let replies;
  try { replies = await repliesForChat(chatId); } catch (e) { hideSuggestions(); return; }
  if (S.openId !== chatId || slashQuery() !== q) return;
  const matches = replies.filter((r) => r.shortcut.toLowerCase().startsWith(q)
    || (r.title || '').toLowerCase().includes(q)).slice(0, 8);
  S.suggest = { items: matches, index: 0 };
  renderSuggestions();
}

function renderSuggestions() {
  const ul = $('reply-suggest');
  const sg = S.suggest;
  if (!sg) { ul.hidden = true; return; }
  if (!sg.items.length) {
    ul.replaceChildren(h('li', { class: 'suggest-empty', text: 'No saved reply matches. Manage them under Saved replies.' }));
  } else {
    ul.replaceChildren(...sg.items.map((r, i) => h('li', {
      role: 'option', id: 'suggest-' + i, class: 'suggest-item', 'aria-selected': i === sg.index ? 'true' : 'false',
      onmousedown: (e) => { e.preventDefault(); insertReply(r); },
    }, [h('code', { text: '/' + r.shortcut }), h('span', { class: 'suggest-title', text: r.title || '' }),
      h('span', { class: 'suggest-text', text: r.filled || r.text })])));
  }
  ul.hidden = false;
  $('composer-text').setAttribute('aria-activedescendant', sg.items.length ? 'suggest-' + sg.index : '');
}

function hideSuggestions() {
  S.suggest = null;
  $('reply-suggest').hidden = true;
  $('composer-text').removeAttribute('aria-activedescendant');
}

function insertReply(r) {
  const ta = $('composer-text');
  ta.value = r.filled || r.text;
  hideSuggestions();
  ta.focus();
  ta.setSelectionRange(ta.value.length, ta.value.length);
  autoGrow();
  updateCharCount();
  saveDraft();
}

/** Arrow keys, Enter/Tab and Escape while the suggestions show. True: the key was used. */
function onSuggestKey(ev) {
  const sg = S.suggest;
  if (!sg) return false;
  if (ev.key === 'Escape') { hideSuggestions(); return true; }
  if (!sg.items.length) return false;
  if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
    sg.index = (sg.index + (ev.key === 'ArrowDown' ? 1 : sg.items.length - 1)) % sg.items.length;
    renderSuggestions();
    return true;
  }
  if ((ev.key === 'Enter' && !ev.shiftKey) || ev.key === 'Tab') {
    insertReply(sg.items[sg.index]);
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- reply or internal note
function setComposeMode(mode) {
  S.composeMode = mode === 'note' ? 'note' : 'reply';
  const note = S.composeMode === 'note';
  $('mode-reply').setAttribute('aria-checked', note ? 'false' : 'true');
  $('mode-note').setAttribute('aria-checked', note ? 'true' : 'false');
  $('composer').classList.toggle('note-mode', note);
  $('composer-text').placeholder = note ? 'Write an internal note (the visitor never sees it)…' : 'Write a reply…';
  $('send-btn').textContent = note ? 'Add note' : 'Send';
}

// ---------------------------------------------------------------- team chat
async function openTeamChat() {
  S.teamUnseen = false;
  $('team-chat-dot').hidden = true;
  const ep = S.epoch;
  const team = S.team;
  if (team.loaded || team.loading) { renderTeamChat(true); return; }
  team.loading = true;
  try {
    const data = await api('GET', projectPath('/team/messages?limit=100'));
    if (ep !== S.epoch) return;
    for (const m of (data && data.messages) || []) team.messages.set(m.id, m);
    team.loaded = true;
    renderTeamChat(true);
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not load the team chat');
  } finally {
    team.loading = false;
  }
}

function renderTeamChat(forceBottom) {
  const box = $('team-messages');
  const stick = forceBottom || isNearBottom(box);
  const msgs = Array.from(S.team.messages.values()).sort((a, b) => cmpId(a.id, b.id));
  if (!msgs.length) {
    box.replaceChildren(h('div', { class: 'conv-note', text: S.team.loaded ? 'No team messages yet. Say hello to your team.' : 'Loading…' }));
    return;
  }
  box.replaceChildren(...msgs.map((m) => {
    const mine = m.author_id === myId();
    const t = parseTime(m.created_at) || Date.now();
    return h('div', { class: 'msg ' + (mine ? 'msg-operator' : 'msg-visitor') + ' msg-team', 'data-id': m.id }, [
      h('div', { class: 'msg-author', text: m.author_name || 'Teammate' }),
      h('div', { class: 'msg-row' }, [h('div', { class: 'msg-bubble msg-text', text: m.text }),
        h('time', { class: 'msg-time', datetime: m.created_at || '', title: fullTime(m.created_at), text: clock(t) })]),
    ]);
  }));
  if (stick) box.scrollTop = box.scrollHeight;
}

function onTeamMessage(m) {
  if (!m || !m.id) return;
  S.team.messages.set(m.id, m);
  if (S.view === 'team-chat') renderTeamChat(false);
  else if (m.author_id !== myId()) {
    $('team-chat-dot').hidden = false;
    if (!windowFocused() || S.view !== 'team-chat') toast((m.author_name || 'Teammate') + ' (team chat): ' + String(m.text).slice(0, 80));
  }
}

async function onTeamSubmit(ev) {
  if (ev) ev.preventDefault();
  const ta = $('team-text');
  const text = ta.value.trim();
  if (!text) return;
  const ep = S.epoch;
  const body = { client_id: newClientId(), text };
  ta.value = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const data = await api('POST', projectPath('/team/messages'), body);
      if (ep === S.epoch && data && data.message) onTeamMessage(data.message);
      renderTeamChat(true);
      return;
    } catch (e) {
      if (ep !== S.epoch) return;
      if (e.status !== 0 && e.status < 500) { ta.value = text; reportError(e, 'Could not send'); return; }
      await new Promise((r) => setTimeout(r, 1000 * (attempt + 1))); // same client_id: no duplicate
    }
  }
  ta.value = text;
  toast('Could not send to the team chat: no connection.', 'error');
}

// ---------------------------------------------------------------- auto messages
// Leads only (the server refuses operators; the nav button is hidden for them). The rule
// editor is built from GET /targeting/catalogue, so fields and operators are defined once
// (chalicelib/targeting/catalogue.json). The server validates; its errors come back with
// paths (rules.all[1].value) that the rows below carry as data-path, so each problem is
// shown in the list above Save and next to the control it names.
const AUTO_TYPE_LABELS = { proactive: 'Proactive chat', targeted: 'Targeted chat', email: 'Email' };
const OP_LABELS = {
  is: 'is', equals: 'equals', contains: 'contains', is_not: 'is not', not_contains: 'does not contain',
  greater: 'greater than', less: 'less than', exists: 'exists', none: 'none',
  happened: 'happened', not_happened: 'has not happened',
};
const VALUELESS_OPS = ['exists', 'none'];
const MAX_AUTO_BUTTONS = 5;

function renderAutoNav() {
  const lead = isLead();
  $('nav-auto').hidden = !lead;
  if (S.view === 'auto' && S.projectInfo && !lead) showView('inbox');
}

async function loadCatalogue() {
  if (S.catalogue) return S.catalogue;
  const data = await api('GET', '/targeting/catalogue');
  S.catalogue = data && Array.isArray(data.fields) ? data : { fields: [], limits: {} };
  return S.catalogue;
}

function catalogueField(id) {
  return ((S.catalogue && S.catalogue.fields) || []).find((f) => f.id === id) || null;
}

async function loadAutoList() {
  const ep = S.epoch;
  if (!S.projectInfo || !isLead()) return; // called again once the role is known
  try {
    const [data] = await Promise.all([api('GET', projectPath('/auto-messages')), loadCatalogue()]);
    if (ep !== S.epoch) return;
    S.autoMessages = (data && Array.isArray(data.auto_messages)) ? data.auto_messages : [];
    renderAutoList();
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not load auto messages');
  }
}

function rate(part, whole) {
  return whole > 0 ? Math.round((100 * part) / whole) + '%' : '—';
}

function renderAutoList() {
  const body = $('auto-body');
  if (!S.autoMessages.length) {
    body.replaceChildren(h('tr', {}, h('td', { colspan: '7', class: 'muted', text: 'No auto messages yet.' })));
    return;
  }
  body.replaceChildren(...S.autoMessages.map((m) => {
    const st = m.stats || { sent: 0, opened: 0, replied: 0 };
    return h('tr', { 'data-auto-id': m.id }, [
      h('td', {}, h('strong', { class: 'auto-name', text: m.name })),
      h('td', {}, h('span', { class: 'tag auto-type', text: AUTO_TYPE_LABELS[m.type] || m.type })),
      h('td', {}, h('input', {
        type: 'checkbox', class: 'auto-enabled', checked: !!m.enabled, 'aria-label': 'Enabled: ' + m.name,
        onchange: (e) => toggleAuto(m, e.currentTarget),
      })),
      h('td', { class: 'auto-sent', text: String(st.sent) }),
      h('td', {}, [h('span', { class: 'auto-opened', text: String(st.opened) }), ' ',
        h('span', { class: 'muted auto-open-rate', text: '(' + rate(st.opened, st.sent) + ')' })]),
      h('td', {}, [h('span', { class: 'auto-replied', text: String(st.replied) }), ' ',
        h('span', { class: 'muted auto-reply-rate', text: '(' + rate(st.replied, st.sent) + ')' })]),
      h('td', { class: 'auto-actions' }, [
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: 'Edit', 'aria-label': 'Edit ' + m.name, onclick: () => editAuto(m) }),
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-danger', text: 'Delete', 'aria-label': 'Delete ' + m.name, onclick: (e) => deleteAuto(m, e.currentTarget) }),
      ]),
    ]);
  }));
}

async function toggleAuto(m, box) {
  box.disabled = true;
  try {
    const data = await api('PATCH', projectPath('/auto-messages/' + enc(m.id)), { enabled: box.checked });
    Object.assign(m, data.auto_message);
    toast('“' + m.name + '” ' + (m.enabled ? 'enabled' : 'disabled') + '. Visitors\u2019 widgets follow within a minute.');
  } catch (e) {
    box.checked = !!m.enabled;
    reportError(e, 'Could not change the auto message');
  } finally {
    box.disabled = false;
  }
}

async function deleteAuto(m, button) {
  if (!window.confirm('Delete the auto message "' + m.name + '"? Its figures are lost.')) return;
  button.disabled = true;
  try {
    await api('DELETE', projectPath('/auto-messages/' + enc(m.id)));
    if (S.editingAuto === m.id) closeAutoEditor();
    await loadAutoList();
  } catch (e) {
    button.disabled = false;
    reportError(e, 'Could not delete the auto message');
  }
}

/** Say at once when the plan has no auto message left, not after the form is filled. */
async function newAutoMessage() {
  try {
    const data = await api('GET', projectPath('/billing'));
    const used = data.billing.usage.scenarios;
    if (used.limit !== null && used.limit !== undefined && used.used >= used.limit) {
      const note = $('auto-plan-limit');
      note.replaceChildren(
        h('span', { text: 'Your plan allows ' + used.limit + ' auto message' + (used.limit === 1 ? '' : 's') + ' (disabled ones count), and all are in use. Delete one, or ' }),
        h('button', { type: 'button', class: 'link-btn', text: 'choose a larger plan', onclick: () => showView('billing') }),
        h('span', { text: '.' }),
      );
      note.hidden = false;
      return;
    }
  } catch (e) { /* the server still says so on save */ }
  $('auto-plan-limit').hidden = true;
  editAuto(null);
}

// --- the editor form
async function editAuto(m) {
  try { await loadCatalogue(); } catch (e) { reportError(e, 'Could not load the rule fields'); return; }
  S.editingAuto = m ? m.id : null;
  const c = (m && m.content) || {};
  $('auto-form-title').textContent = m ? 'Edit “' + m.name + '”' : 'New auto message';
  $('auto-save').textContent = m ? 'Save changes' : 'Save auto message';
  $('auto-name').value = m ? m.name : '';
  $('auto-type').value = m ? m.type : 'proactive';
  $('auto-team-status').value = m ? m.team_status : 'any';
  $('auto-audience').value = m ? m.audience : 'both';
  $('auto-channel-widget').checked = m ? (m.channels || []).includes('widget') : true;
  $('auto-once').checked = m ? !!m.once_per_user : true;
  $('auto-enabled').checked = m ? !!m.enabled : true;
  $('auto-subject').value = c.subject || '';
  $('auto-text').value = c.text || '';
  $('auto-image').value = c.image_url || '';
  $('auto-buttons').replaceChildren(...(c.buttons || []).map(buttonRow));
  $('auto-attachments').replaceChildren(...(c.attachments || []).map((a) => attachmentRow(a, 'done')));
  const rules = (m && m.rules) || { all: [], any_groups: [] };
  $('auto-rules-all').replaceChildren(...(rules.all || []).map(ruleRow));
  $('auto-rules-groups').replaceChildren(...(rules.any_groups || []).map(groupBox));
  renumberAuto();
  showAutoErrors(null);
  onAutoTypeChange(false);
  $('auto-editor').hidden = false;
  renderAutoPreview();
  $('auto-name').focus();
}

function closeAutoEditor() {
  S.editingAuto = null;
  $('auto-editor').hidden = true;
  showAutoErrors(null);
}

// --- attachments: each file goes from the browser straight to S3 (a presigned POST the
// API signs for its type and size); the message is saved with the upload's key.
const MAX_AUTO_ATTACHMENTS = 5;
const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

function fileSize(bytes) {
  if (bytes < 1024) return bytes + ' B';
  if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + ' KB';
  return (bytes / (1024 * 1024)).toFixed(1) + ' MB';
}

/** One attachment: its key once uploaded (row._key), a name the visitor sees. */
function attachmentRow(a, state) {
  const row = h('div', { class: 'auto-row attachment-row', 'data-state': state });
  row._key = a.key || null;
  const name = h('input', { type: 'text', class: 'attachment-name', maxlength: '255', 'aria-label': 'Attachment name', value: a.name || '' });
  name.addEventListener('input', renderAutoPreview);
  const status = h('span', { class: 'attachment-state', role: 'status', text: state === 'done' ? '' : 'Uploading…' });
  row.append(
    name,
    h('span', { class: 'attachment-size', text: fileSize(a.size || 0) }),
    status,
    h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-danger', text: 'Remove', 'aria-label': 'Remove attachment ' + (a.name || ''),
      onclick: () => { if (row._xhr) row._xhr.abort(); row.remove(); renumberAuto(); renderAutoPreview(); } }),
    h('p', { class: 'row-error', hidden: true }),
  );
  return row;
}

function attachmentRowState(row, state, text) {
  row.dataset.state = state;
  row.querySelector('.attachment-state').textContent = text;
  renumberAuto();
  renderAutoPreview();
}

async function attachFiles(files) {
  const box = $('auto-attachments');
  const note = box.parentElement.querySelector(':scope > .row-error');
  note.hidden = true;
  const room = MAX_AUTO_ATTACHMENTS - box.children.length;
  const chosen = Array.from(files);
  if (chosen.length > room) {
    note.textContent = 'A message has at most ' + MAX_AUTO_ATTACHMENTS + ' attachments; ' + (chosen.length - Math.max(room, 0)) + ' not added.';
    note.hidden = false;
  }
  for (const file of chosen.slice(0, Math.max(room, 0))) {
    const row = attachmentRow({ name: file.name, size: file.size }, 'uploading');
    box.append(row);
    renumberAuto();
    uploadAttachment(row, file);
  }
  renderAutoPreview();
}

async function uploadAttachment(row, file) {
  if (file.size > MAX_ATTACHMENT_BYTES) { attachmentRowState(row, 'failed', 'Over 10 MB: not attached'); return; }
  let started;
  try {
    started = await api('POST', projectPath('/attachments'), { name: file.name, content_type: file.type || 'application/octet-stream', size: file.size });
  } catch (e) {
    attachmentRowState(row, 'failed', (e.error && e.error.message) || e.message || 'Could not upload');
    return;
  }
  const form = new FormData();
  Object.entries(started.upload.fields).forEach(([k, v]) => form.append(k, v));
  form.append('file', file); // S3 wants the file last
  const xhr = new XMLHttpRequest();
  row._xhr = xhr;
  xhr.upload.onprogress = (ev) => {
    if (ev.lengthComputable) row.querySelector('.attachment-state').textContent = 'Uploading… ' + Math.floor(100 * ev.loaded / ev.total) + '%';
  };
  xhr.onload = () => {
    row._xhr = null;
    if (xhr.status >= 200 && xhr.status < 300) {
      row._key = started.attachment.key;
      attachmentRowState(row, 'done', 'Uploaded');
    } else attachmentRowState(row, 'failed', 'Upload refused (' + xhr.status + ')');
  };
  xhr.onerror = () => { row._xhr = null; attachmentRowState(row, 'failed', 'Upload failed: check the connection'); };
  xhr.open('POST', started.upload.url);
  xhr.send(form);
}

function onAutoTypeChange(userChanged) {
  const type = $('auto-type').value;
  const email = type === 'email';
  $('auto-subject-field').hidden = !email;
  $('auto-channels').hidden = email; // an e-mail is not shown in a channel
  // An e-mail goes once to each user, whoever is online: those settings do not apply.
  $('auto-team-status-field').hidden = email;
  $('auto-once-field').hidden = email;
  if (email) { $('auto-team-status').value = 'any'; $('auto-once').checked = true; }
  // Targeted chats and e-mails reach logged-in users only.
  if (userChanged && type !== 'proactive') $('auto-audience').value = 'users';
  $('auto-audience').querySelectorAll('option').forEach((o) => { o.disabled = type !== 'proactive' && o.value !== 'users'; });
  document.querySelectorAll('#auto-buttons .button-action option[value="reply"]').forEach((o) => { o.disabled = email; });
  renderAutoPreview();
}

function buttonRow(b) {
  const row = h('div', { class: 'auto-row button-row' });
  const label = h('input', { type: 'text', class: 'button-label', maxlength: '60', 'aria-label': 'Button label', placeholder: 'See plans' });
  label.value = (b && b.label) || '';
  const action = h('select', { class: 'button-action', 'aria-label': 'Button action' }, [
    h('option', { value: 'link', text: 'Opens a link' }),
    h('option', { value: 'reply', text: 'Sends it as a reply' }),
  ]);
  action.value = (b && b.action) || 'link';
  action.querySelector('option[value="reply"]').disabled = $('auto-type').value === 'email'; // no reply to an e-mail
  const url = h('input', { type: 'url', class: 'button-url', maxlength: '2048', 'aria-label': 'Button URL', placeholder: 'https://', spellcheck: 'false' });
  url.value = (b && b.url) || '';
  const syncUrl = () => { url.hidden = action.value !== 'link'; };
  action.addEventListener('change', syncUrl);
  syncUrl();
  row.append(label, action, url, h('button', {
    type: 'button', class: 'btn btn-ghost btn-sm btn-danger', text: 'Remove', 'aria-label': 'Remove button',
    onclick: () => { row.remove(); renumberAuto(); renderAutoPreview(); },
  }), h('p', { class: 'row-error', hidden: true }));
  return row;
}

function fieldOptions() {
  return ((S.catalogue && S.catalogue.fields) || []).map((f) => h('option', { value: f.id, text: f.label }));
}

/** One condition: field / operator / value. The value control follows the field's type. */
function ruleRow(cond) {
  const row = h('div', { class: 'auto-row rule-row' });
  const field = h('select', { class: 'rule-field', 'aria-label': 'Field' }, fieldOptions());
  const op = h('select', { class: 'rule-op', 'aria-label': 'Operator' });
  const valueBox = h('span', { class: 'rule-value-box' });
  field.value = (cond && cond.field) || 'page_url';
  if (!field.value && field.options.length) field.selectedIndex = 0;
  const fillOps = (wantedOp) => {
    const f = catalogueField(field.value);
    op.replaceChildren(...((f && f.ops) || []).map((o) => h('option', { value: o, text: OP_LABELS[o] || o })));
    if (wantedOp && f && f.ops.includes(wantedOp)) op.value = wantedOp;
  };
  const fillValue = (wanted) => {
    const f = catalogueField(field.value);
    let control;
    if (f && f.type === 'bool') {
      control = h('select', { class: 'rule-value', 'aria-label': 'Value' }, [
        h('option', { value: 'true', text: 'yes' }), h('option', { value: 'false', text: 'no' })]);
      control.value = wanted === false ? 'false' : 'true';
    } else if (f && f.type === 'enum') {
      control = h('select', { class: 'rule-value', 'aria-label': 'Value' }, f.values.map((v) => h('option', { value: v, text: v })));
      if (wanted !== undefined && wanted !== null) control.value = String(wanted);
    } else {
      // Numbers are typed as text: the server says what is wrong with "abc", by its path.
      const numeric = f && (f.type === 'count' || f.type === 'seconds');
      // A custom event: the exact name the site's LiveChat.event(name) sends.
      const event = f && f.type === 'event';
      control = h('input', {
        type: 'text', class: 'rule-value', 'aria-label': event ? 'Event name' : 'Value',
        maxlength: event ? '64' : '512', spellcheck: 'false', autocapitalize: event ? 'off' : null,
        inputmode: numeric ? 'numeric' : null,
        placeholder: f && f.type === 'seconds' ? 'seconds' : event ? 'added_to_cart'
          : f && f.id === 'country' ? 'DE (two-letter code)' : f && f.type === 'language' ? 'en or en-GB' : '',
        title: event ? 'The name the site sends with LiveChat.event(name), exactly (case-sensitive)' : null,
      });
      control.value = wanted === undefined || wanted === null ? '' : String(wanted);
    }
    control.dataset.type = f ? f.type : 'text';
    valueBox.replaceChildren(control);
    valueBox.hidden = VALUELESS_OPS.includes(op.value); // exists / none take no value
  };
  fillOps(cond && cond.op);
  fillValue(cond ? cond.value : undefined);
  field.addEventListener('change', () => { fillOps(null); fillValue(undefined); });
  op.addEventListener('change', () => { valueBox.hidden = VALUELESS_OPS.includes(op.value); });
  row.append(field, op, valueBox, h('button', {
    type: 'button', class: 'btn btn-ghost btn-sm btn-danger', text: 'Remove', 'aria-label': 'Remove condition',
    onclick: () => { const group = row.closest('.rule-group'); row.remove(); if (group && !group.querySelector('.rule-row')) group.remove(); renumberAuto(); },
  }), h('p', { class: 'row-error', hidden: true }));
  return row;
}

function groupBox(conditions) {
  const rows = h('div', { class: 'auto-rows group-rows' }, (conditions || []).map(ruleRow));
  const box = h('div', { class: 'rule-group', role: 'group' }, [
    h('div', { class: 'rule-group-head' }, [
      h('strong', { class: 'rule-group-title' }),
      h('span', { class: 'topbar-spacer' }),
      h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-danger', text: 'Remove group', onclick: () => { box.remove(); renumberAuto(); } }),
    ]),
    rows,
    h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Add condition to group', onclick: () => { rows.append(ruleRow(null)); renumberAuto(); } }),
    h('p', { class: 'row-error', hidden: true }),
  ]);
  return box;
}

/** data-path on each row = the path the server names it by, in the order we send it. */
function renumberAuto() {
  $('auto-buttons').querySelectorAll('.button-row').forEach((row, i) => { row.dataset.path = 'content.buttons[' + i + ']'; });
  $('auto-rules-all').querySelectorAll('.rule-row').forEach((row, i) => { row.dataset.path = 'rules.all[' + i + ']'; });
  $('auto-rules-groups').querySelectorAll('.rule-group').forEach((group, g) => {
    group.dataset.path = 'rules.any_groups[' + g + ']';
    group.setAttribute('aria-label', 'Group ' + (g + 1));
    group.querySelector('.rule-group-title').textContent = 'Group ' + (g + 1);
    group.querySelectorAll('.rule-row').forEach((row, i) => { row.dataset.path = 'rules.any_groups[' + g + '][' + i + ']'; });
  });
  $('auto-add-button').disabled = $('auto-buttons').children.length >= MAX_AUTO_BUTTONS;
  $('auto-attachments').querySelectorAll('.attachment-row').forEach((row, i) => { row.dataset.path = 'content.attachments[' + i + ']'; });
  $('auto-attach').disabled = $('auto-attachments').children.length >= MAX_AUTO_ATTACHMENTS;
  // Saving waits for uploads: a message must not go out with a file missing.
  const uploading = $('auto-attachments').querySelector('[data-state="uploading"]');
  $('auto-save').disabled = !!uploading;
  $('auto-save').title = uploading ? 'Waiting for the upload to finish' : '';
}

function ruleValue(row) {
  const op = row.querySelector('.rule-op').value;
  const cond = { field: row.querySelector('.rule-field').value, op };
  if (VALUELESS_OPS.includes(op)) return cond;
  const control = row.querySelector('.rule-value');
  const raw = control.value;
  const type = control.dataset.type;
  if (type === 'bool') cond.value = raw === 'true';
  else if ((type === 'count' || type === 'seconds') && /^\s*-?\d+(\.\d+)?\s*$/.test(raw)) cond.value = Number(raw);
  else cond.value = raw; // anything else goes as typed, and the server says what is wrong
  return cond;
}

function autoBody() {
  const type = $('auto-type').value;
  const buttons = Array.from($('auto-buttons').querySelectorAll('.button-row')).map((row) => {
    const b = { label: row.querySelector('.button-label').value, action: row.querySelector('.button-action').value };
    if (b.action === 'link') b.url = row.querySelector('.button-url').value.trim();
    return b;
  });
  const image = $('auto-image').value.trim();
  return {
    name: $('auto-name').value,
    type,
    team_status: $('auto-team-status').value,
    audience: $('auto-audience').value,
    channels: type === 'email' ? [] : ($('auto-channel-widget').checked ? ['widget'] : []),
    once_per_user: $('auto-once').checked,
    enabled: $('auto-enabled').checked,
    content: { text: $('auto-text').value, subject: type === 'email' ? $('auto-subject').value : null, image_url: image || null, buttons, attachments: autoAttachments() },
    rules: {
      all: Array.from($('auto-rules-all').querySelectorAll('.rule-row')).map(ruleValue),
      any_groups: Array.from($('auto-rules-groups').querySelectorAll('.rule-group'))
        .map((g) => Array.from(g.querySelectorAll('.rule-row')).map(ruleValue)),
    },
  };
}

/** Uploaded files only: a failed one is shown to be removed, never sent. */
function autoAttachments() {
  return Array.from($('auto-attachments').querySelectorAll('.attachment-row[data-state="done"]'))
    .map((row) => ({ key: row._key, name: row.querySelector('.attachment-name').value }));
}

/** Server errors: all listed (path: message) above Save; each also beside what it names. */
function showAutoErrors(error) {
  const form = $('auto-form');
  form.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
  form.querySelectorAll('.row-error').forEach((p) => { p.hidden = true; p.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  const box = $('auto-errors');
  if (!error) { box.hidden = true; $('auto-errors-list').replaceChildren(); return; }
  const problems = Array.isArray(error.errors) && error.errors.length ? error.errors : [{ path: '', message: error.message }];
  $('auto-errors-title').textContent = 'The auto message was not saved:';
  $('auto-errors-list').replaceChildren(...problems.map((p) => h('li', { class: 'auto-error', 'data-error-path': p.path || '', title: p.path || '' }, [
    p.path ? h('strong', { text: humanPath(p.path) }) : null, p.path ? ': ' : null, h('span', { text: p.message }),
  ])));
  box.hidden = false;
  for (const p of problems) {
    const target = elementForPath(p.path || '');
    if (!target) continue;
    target.classList.add('invalid');
    // rules.all[0].value -> the row's value box; name -> the field's own input.
    const part = (p.path || '').slice(target.dataset.path.length).replace(/^\./, '');
    const control = (PART_CONTROLS[part] && target.querySelector(PART_CONTROLS[part]))
      || (target.matches('input, select, textarea') ? target : target.querySelector('input, select, textarea'));
    if (control) control.setAttribute('aria-invalid', 'true');
    const note = target.querySelector(':scope > .row-error');
    if (note) { note.textContent = note.hidden ? p.message : note.textContent + ' · ' + p.message; note.hidden = false; }
  }
  // The summary takes focus, so a keyboard or screen-reader user hears what to fix.
  box.tabIndex = -1;
  box.focus();
}

/** What the lead calls the place an error path names: "Condition 2", "Name". */
function humanPath(path) {
  const n = (x) => Number(x) + 1;
  let m = /^rules\.all\[(\d+)\]/.exec(path);
  if (m) return 'Condition ' + n(m[1]);
  m = /^rules\.any_groups\[(\d+)\](?:\[(\d+)\])?/.exec(path);
  if (m) return 'Group ' + n(m[1]) + (m[2] !== undefined ? ', condition ' + n(m[2]) : '');
  m = /^content\.(buttons|attachments)\[(\d+)\]/.exec(path);
  if (m) return (m[1] === 'buttons' ? 'Button ' : 'Attachment ') + n(m[2]);
  const target = elementForPath(path);
  const label = target && target.querySelector(':scope > label, :scope > legend');
  return label ? label.textContent.trim() : path;
}

const PART_CONTROLS = {
  field: '.rule-field', op: '.rule-op', value: '.rule-value',
  label: '.button-label', action: '.button-action', url: '.button-url', name: '.attachment-name',
};

/** The element whose data-path is the longest prefix of an error path. */
function elementForPath(path) {
  let best = null;
  let bestLen = -1;
  $('auto-form').querySelectorAll('[data-path]').forEach((el) => {
    const p = el.dataset.path;
    const prefix = path === p || path.startsWith(p + '.') || path.startsWith(p + '[');
    if (prefix && p.length > bestLen) { best = el; bestLen = p.length; }
  });
  return best;
}

async function onAutoSubmit(ev) {
  ev.preventDefault();
  const ep = S.epoch;
  const body = autoBody();
  const btn = $('auto-save');
  btn.disabled = true;
  try {
    if (S.editingAuto) await api('PATCH', projectPath('/auto-messages/' + enc(S.editingAuto)), body);
    else await api('POST', projectPath('/auto-messages'), body);
    if (ep !== S.epoch) return;
    closeAutoEditor();
    toast('Auto message saved. Visitors\u2019 widgets have it within a minute.');
    await loadAutoList();
  } catch (e) {
    if (ep !== S.epoch) return;
    if (e.status === 400) showAutoErrors(e.error && e.error.message ? e.error : { message: e.message });
    else reportError(e, 'Could not save the auto message');
  } finally {
    btn.disabled = false;
  }
}

/** A static mock of the widget bubble; every text through textContent. */
function renderAutoPreview() {
  const box = $('auto-preview');
  if (!box) return;
  const body = autoBody();
  const c = body.content;
  const parts = [];
  if (body.type === 'email') {
    parts.push(h('div', { class: 'preview-mail-head' }, [h('span', { class: 'muted', text: 'Subject: ' }),
      h('strong', { class: 'preview-subject', text: c.subject || '(no subject)' })]));
  } else {
    parts.push(h('div', { class: 'preview-head', text: (S.project && S.project.name) || 'Chat' }));
  }
  const bubble = h('div', { class: 'preview-bubble' });
  if (c.image_url && /^https:\/\//i.test(c.image_url)) {
    bubble.append(h('img', { class: 'preview-image', src: c.image_url, alt: '' }));
  }
  bubble.append(h('p', { class: 'preview-text', text: c.text.trim() || 'Your message…' }));
  if (c.attachments.length) {
    bubble.append(h('div', { class: 'preview-files' }, c.attachments.map((a) => h('span', { class: 'preview-file', text: '↓ ' + (a.name || 'file') }))));
  }
  if (c.buttons.length) {
    bubble.append(h('div', { class: 'preview-buttons' }, c.buttons.map((b) => h('span', {
      class: 'preview-button' + (b.action === 'link' ? ' preview-link' : ''), text: (b.label || 'Button') + (b.action === 'link' ? ' ↗' : ''),
    }))));
  }
  parts.push(bubble);
  box.replaceChildren(...parts);
  box.dataset.type = body.type;
}

// ---------------------------------------------------------------- settings
function renderSettings() {
  const p = S.projectInfo;
  if (!p) return;
  const lead = isLead();
  $('settings-sub').textContent = lead ? 'Settings of ' + (p.name || p.id) + '.'
    : 'Only managers and the administrator can change these settings.';
  const form = $('settings-form');
  form.querySelectorAll('input, textarea, select, button').forEach((el) => { el.disabled = !lead; });
  $('set-chats-enabled').checked = !!p.chats_enabled;
  $('set-chats-enabled').disabled = !isOwner();
  $('set-chats-note').textContent = isOwner() ? 'When off, the widget does not show on your website.'
    : 'Only the account administrator can switch chats on or off.';
  $('set-auto-close').value = p.auto_close_minutes || '';
  $('set-auto-close-message').value = p.auto_close_message || '';
  $('set-distribution').value = p.distribution || 'manual';
  $('set-max-active').value = p.max_active_chats || '';
  const consent = p.consent || {};
  $('set-consent-enabled').checked = !!consent.enabled;
  $('set-consent-text').value = consent.text || '';
  $('set-consent-url').value = consent.privacy_url || '';
  $('set-consent-skip-widget').checked = (consent.excluded_channels || []).includes('widget');
  $('settings-result').hidden = true;
}

async function onSettingsSubmit(ev) {
  ev.preventDefault();
  const p = S.projectInfo;
  if (!p) return;
  // Send only what changed: switching chats is the administrator's alone.
  const changes = {};
  const chats = $('set-chats-enabled').checked;
  if (chats !== !!p.chats_enabled) changes.chats_enabled = chats;
  const minutesText = $('set-auto-close').value.trim();
  const minutes = minutesText ? Number(minutesText) : null;
  if (minutes !== (p.auto_close_minutes || null)) changes.auto_close_minutes = minutes;
  const closing = $('set-auto-close-message').value.trim() || null;
  if (closing !== (p.auto_close_message || null)) changes.auto_close_message = closing;
  const distribution = $('set-distribution').value;
  if (distribution !== (p.distribution || 'manual')) changes.distribution = distribution;
  const maxText = $('set-max-active').value.trim();
  if (maxText && Number(maxText) !== (p.max_active_chats || 0)) changes.max_active_chats = Number(maxText);
  const was = p.consent || {};
  const consent = {};
  const enabled = $('set-consent-enabled').checked;
  if (enabled !== !!was.enabled) consent.enabled = enabled;
  const text = $('set-consent-text').value.trim();
  if (text && text !== (was.text || '')) consent.text = text;
  const url = $('set-consent-url').value.trim() || null;
  if (url !== (was.privacy_url || null)) consent.privacy_url = url;
  const skip = $('set-consent-skip-widget').checked;
  if (skip !== (was.excluded_channels || []).includes('widget')) consent.excluded_channels = skip ? ['widget'] : [];
  if (enabled && !text && !was.text) { toast('Write the consent text the visitor agrees to.', 'error'); return; }
  if (Object.keys(consent).length) changes.consent = consent;
  const result = $('settings-result');
  if (!Object.keys(changes).length) { result.textContent = 'Nothing changed.'; result.hidden = false; return; }
  try {
    await saveProjectSettings(changes, $('settings-save'));
    renderSettings();
    result.textContent = 'Settings saved.';
    result.hidden = false;
  } catch (e) { /* reported */ }
}

// ---------------------------------------------------------------- visitors online
async function loadVisitors() {
  const ep = S.epoch;
  try {
    const data = await api('GET', projectPath('/visitors/online'));
    if (ep !== S.epoch || !data) return;
    S.visitors = data;
    renderVisitors();
  } catch (e) {
    if (ep === S.epoch && S.view === 'visitors') $('visitors-note').textContent = 'Could not load visitors: ' + e.message;
  }
}

function openVisitorChat(chatId) {
  if (!chatId) return;
  if (S.chats.has(chatId)) { openChat(chatId); return; }
  fetchChatSummary(chatId, { author_type: 'operator', chat_id: chatId }).then(() => openChat(chatId));
}

/** A proactive chat: the operator's first message opens the visitor's dialogue. */
function startChatForm(v, button) {
  const cell = button.parentNode;
  clearInterval(S.visitorsTimer); // hold the list still while typing
  const input = h('input', { type: 'text', class: 'start-chat-input', maxlength: '4000', 'aria-label': 'First message to ' + (v.name || 'the visitor'), value: 'Hi! Can I help you with anything?' });
  const send = async (ev) => {
    if (ev) ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    form.querySelector('button').disabled = true;
    try {
      const data = await api('POST', projectPath('/visitors/' + enc(v.id) + '/chats'), { client_id: newClientId(), text });
      if (data && data.chat) {
        S.chats.set(data.chat.id, mergeSummary(S.chats.get(data.chat.id), data.chat));
        moveToTop(data.chat.id);
        renderList();
        toast('Chat started: it pops up in ' + (v.name || 'the visitor') + '\u2019s widget at once if their chat is open, otherwise within 90 seconds.');
        openChat(data.chat.id);
      }
    } catch (e) {
      reportError(e, 'Could not start the chat');
      form.querySelector('button').disabled = false;
    } finally {
      if (S.view === 'visitors') showView('visitors'); // the list polls again
    }
  };
  const cancel = () => { // the list again, polling, and focus back where it was
    renderVisitors(v.id);
    if (S.view === 'visitors') showView('visitors');
  };
  input.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') cancel(); });
  const form = h('form', { class: 'start-chat', onsubmit: send }, [input,
    h('button', { type: 'submit', class: 'btn btn-primary btn-sm', text: 'Send' }),
    h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: 'Cancel', onclick: cancel })]);
  cell.replaceChildren(form);
  input.focus();
  input.select();
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '';
  if (seconds < 60) return seconds + ' s';
  if (seconds < 3600) return Math.floor(seconds / 60) + ' min';
  return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
}

/** The list, redrawn every 10 s: the focused Start chat button (or ``focusId``'s) keeps focus. */
function renderVisitors(focusId) {
  const data = S.visitors || { visitors: [] };
  const list = data.visitors || [];
  const active = document.activeElement;
  const keep = focusId || (active && active.matches && active.matches('button[data-visitor-id]') ? active.dataset.visitorId : null);
  $('visitors-count').textContent = list.length ? ' ' + list.length + (data.more ? '+' : '') : '';
  $('visitors-body').replaceChildren(...(list.length ? list.map((v) => {
    let page = v.page_url || '';
    try { const u = new URL(page); page = u.pathname + u.search; } catch (e) { /* keep as is */ }
    const where = [v.city, v.country].filter(Boolean).join(', ');
    const device = [v.platform, v.os, v.browser].filter(Boolean).join(' · ');
    return h('tr', { 'data-visitor-id': v.id }, [
      h('td', {}, h('span', { class: 'member' }, [avatar(v.name || 'Visitor', v.id, 'avatar-sm'), h('strong', { text: v.name || 'Visitor' })])),
      h('td', { class: 'visitor-page', title: v.page_url || '', text: page }),
      h('td', { text: duration(v.seconds_on_site) }),
      h('td', { text: where || '—' }),
      h('td', { text: device || '—' }),
      h('td', { text: String(v.visits || 1) }),
      h('td', { class: 'visitor-chat' }, v.chatting || (v.chat_id && S.chats.has(v.chat_id))
        ? h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Open chat', onclick: () => openVisitorChat(v.chat_id) })
        : h('button', { type: 'button', class: 'btn btn-primary btn-sm', text: 'Start chat', 'aria-label': 'Start a chat with ' + (v.name || 'visitor'), 'data-visitor-id': v.id, onclick: (e) => startChatForm(v, e.currentTarget) })),
    ]);
  }) : [h('tr', {}, h('td', { colspan: '7', class: 'muted', text: 'Nobody is on the site right now.' }))]));
  const again = keep && Array.from($('visitors-body').querySelectorAll('button[data-visitor-id]')).find((b) => b.dataset.visitorId === keep);
  if (again) again.focus();
  $('visitors-note').textContent = data.limit === null || data.limit === undefined
    ? '' : 'Your plan tracks up to ' + data.limit + ' online visitors' + (data.more ? ': more are on the site now. Upgrade to see them all.' : '.');
}

// ---------------------------------------------------------------- billing
// Plan, usage against each limit, choosing and paying (Stripe Checkout; the portal for
// cards, invoices and cancelling). Everyone sees it; only the administrator acts.
const USAGE_LABELS = {
  unique_visitors: 'Unique visitors',
  team_members: 'Team members',
  scenarios: 'Auto messages and pop-ups',
  messenger_messages: 'Incoming messenger messages',
};
const INTERVAL_LABELS = { monthly: 'month', six_months: '6 months', annual: 'year' };

async function loadBilling() {
  const ep = S.epoch;
  try {
    const data = await api('GET', projectPath('/billing'));
    if (ep !== S.epoch || !data || !data.billing) return;
    S.billing = data.billing;
    renderBanner();
    if (S.view === 'billing') renderBilling();
  } catch (e) {
    if (ep === S.epoch && S.view === 'billing') reportError(e, 'Could not load billing');
  }
}

function money(cents, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: (currency || 'usd').toUpperCase() }).format(cents / 100);
  } catch (e) {
    return (cents / 100).toFixed(2) + ' ' + String(currency || '').toUpperCase();
  }
}

function dateOnly(s) {
  const t = parseTime(s);
  return t === null ? '' : new Date(t).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

function renderBilling() {
  const b = S.billing;
  if (!b) return;
  $('billing-test-mode').hidden = !b.test_mode;
  $('billing-sub').textContent = b.can_manage ? 'Choose, pay or change this project\u2019s plan.'
    : 'Only the account administrator can change the plan.';
  // Current plan
  const states = { ok: 'Active', past_due: 'Payment failed, retrying', unpaid: 'Not paid' };
  const current = [h('h3', { text: 'Current plan' }),
    h('p', { class: 'plan-now' }, [
      h('strong', { text: b.plan.name }),
      b.interval ? h('span', { class: 'muted', text: ' · billed every ' + INTERVAL_LABELS[b.interval] }) : null,
      h('span', { class: 'tag state-' + b.state, text: states[b.state] || b.state }),
    ])];
  if (b.period) current.push(h('p', { class: 'muted', text: 'This period: ' + dateOnly(b.period.start) + ' – ' + dateOnly(b.period.end) }));
  if (b.pending) current.push(renderPending(b));
  if (b.cancel_at_period_end) current.push(h('p', { class: 'form-note', text: 'Cancelled: the project moves back to Free on ' + dateOnly(b.period && b.period.end) + '.' }));
  for (const blocked of b.blocked || []) {
    current.push(h('p', { class: 'form-error billing-blocked' }, [h('strong', { text: blocked.message + ' ' }), h('span', { text: blocked.resume })]));
  }
  for (const warning of b.warnings || []) {
    current.push(h('p', { class: 'form-note billing-warning' }, [h('strong', { text: warning.message + ' ' }), h('span', { text: warning.resume })]));
  }
  if (b.can_manage && b.has_payment_details) {
    current.push(h('div', { class: 'form-actions' }, h('button', {
      type: 'button', class: 'btn btn-secondary btn-sm', text: 'Manage payment and invoices', onclick: (e) => openPortal(e.currentTarget),
    })));
  }
  $('billing-current').replaceChildren(...current);
  // Usage bars
  $('usage-list').replaceChildren(...Object.keys(USAGE_LABELS).filter((k) => b.usage && b.usage[k]).map((k) => {
    const u = b.usage[k];
    const unlimited = u.limit === null || u.limit === undefined;
    const share = unlimited ? 0 : Math.min(1, u.limit ? u.used / u.limit : 1);
    const level = share >= 1 ? 'full' : share >= 0.8 ? 'high' : 'ok';
    return h('div', { class: 'usage', 'data-usage': k }, [
      h('div', { class: 'usage-top' }, [h('span', { text: USAGE_LABELS[k] }),
        h('span', { class: 'usage-num', text: u.used + ' / ' + (unlimited ? 'unlimited' : u.limit) })]),
      h('div', { class: 'bar', role: 'progressbar', 'aria-label': USAGE_LABELS[k], 'aria-valuemin': '0',
        'aria-valuemax': unlimited ? null : String(u.limit), 'aria-valuenow': String(u.used) },
      barFill(level, share)),
    ]);
  }));
  if (b.usage && b.usage.online_visitors) {
    const lim = b.usage.online_visitors.limit;
    $('usage-list').append(h('p', { class: 'muted', text: 'Online visitors tracked: ' + (lim === null || lim === undefined ? 'unlimited' : lim) }));
  }
  renderPlans();
  $('billing-refunds').textContent = b.refunds || '';
}

/** A plan chosen at Checkout and not paid: nothing has changed yet, so no alarm. */
function renderPending(b) {
  const plans = (b.catalogue && b.catalogue.plans) || [];
  const chosen = plans.find((p) => p.id === b.pending.plan) || { id: b.pending.plan, name: b.pending.plan };
  const every = INTERVAL_LABELS[b.pending.interval] || b.pending.interval;
  const note = h('div', { class: 'billing-pending', 'data-pending': chosen.id }, [
    h('p', { class: 'form-note' }, [h('strong', { text: chosen.name + ' is waiting for payment' }),
      h('span', { text: ' (billed every ' + every + '). Until it is paid the project stays on ' + b.plan.name + ' and the chat works as before.' })]),
  ]);
  if (b.can_manage) {
    note.append(h('div', { class: 'form-actions' }, [
      h('button', { type: 'button', class: 'btn btn-primary btn-sm', text: 'Complete payment',
        onclick: (e) => choosePlan(chosen, e.currentTarget, b.pending.interval) }),
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Cancel',
        onclick: (e) => cancelCheckout(e.currentTarget) }),
    ]));
  }
  return note;
}

async function cancelCheckout(button) {
  const ep = S.epoch;
  button.disabled = true;
  try {
    const data = await api('DELETE', projectPath('/billing/checkout'));
    if (ep !== S.epoch) return;
    if (data && data.billing) S.billing = data.billing;
    renderBilling();
    renderBanner();
    toast('The checkout was cancelled; nothing was charged.');
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not cancel the checkout');
    button.disabled = false;
  }
}

function barFill(level, share) {
  const fill = h('span', { class: 'bar-fill bar-' + level });
  fill.style.width = Math.round(share * 100) + '%'; // CSSOM: the CSP forbids style attributes
  return fill;
}

function renderPlans() {
  const b = S.billing;
  const catalogue = b.catalogue || { plans: [] };
  document.querySelectorAll('#interval-switch button').forEach((btn) => {
    btn.setAttribute('aria-checked', btn.dataset.interval === S.billingInterval ? 'true' : 'false');
  });
  $('plan-grid').replaceChildren(...catalogue.plans.map((plan) => {
    const price = (plan.prices || []).find((p) => p.interval === S.billingInterval);
    const isCurrent = plan.id === b.plan.id && (plan.id === 'free' || b.interval === S.billingInterval);
    const limits = plan.limits || {};
    const limitText = (v, unit) => (v === null || v === undefined ? 'Unlimited ' : v.toLocaleString() + ' ') + unit;
    let action = null;
    if (b.can_manage && !isCurrent && (plan.id === 'free' || price)) {
      action = h('button', {
        type: 'button', class: 'btn btn-primary btn-sm',
        text: plan.id === 'free' ? 'Move to Free' : 'Choose ' + plan.name,
        onclick: (e) => choosePlan(plan, e.currentTarget),
      });
    }
    return h('div', { class: 'plan' + (isCurrent ? ' plan-current' : ''), 'data-plan': plan.id }, [
      h('h4', { text: plan.name }),
      h('p', { class: 'plan-price' }, plan.id === 'free' || !price ? [h('strong', { text: money(0, catalogue.currency) }), h('span', { class: 'muted', text: ' forever' })] : [
        h('strong', { text: money(price.amount / (price.months || 1), catalogue.currency) }), h('span', { class: 'muted', text: ' / month' }),
        price.months > 1 ? h('span', { class: 'muted plan-billed', text: money(price.amount, catalogue.currency) + ' every ' + INTERVAL_LABELS[price.interval] + (price.discount_percent ? ' (' + price.discount_percent + '% off)' : '') }) : null,
      ]),
      h('ul', { class: 'plan-limits' }, [
        h('li', { text: limitText(limits.unique_visitors, 'unique visitors / period') }),
        h('li', { text: limitText(limits.online_visitors, 'online visitors tracked') }),
        h('li', { text: limitText(limits.team_members, 'team members') }),
        h('li', { text: limitText(limits.scenarios, 'auto messages and pop-ups') }),
        h('li', { text: limitText(limits.messenger_messages, 'messenger messages') }),
        h('li', { text: plan.powered_by ? '"Powered by" label in the widget' : 'No "Powered by" label' }),
      ]),
      isCurrent ? h('span', { class: 'tag', text: 'Current plan' }) : action,
    ]);
  }));
}

async function choosePlan(plan, button, interval) {
  if (plan.id === 'free' && !window.confirm('Move this project to Free? A paid plan stays until the end of the period you paid for.')) return;
  const ep = S.epoch;
  button.disabled = true;
  try {
    const body = plan.id === 'free' ? { plan: 'free' } : { plan: plan.id, interval: interval || S.billingInterval };
    const data = await api('POST', projectPath('/billing/plan'), body);
    if (ep !== S.epoch) return;
    if (data && data.checkout_url) { location.assign(data.checkout_url); return; } // Stripe Checkout
    if (data && data.billing) S.billing = data.billing;
    renderBilling();
    renderBanner();
    toast('Plan updated.');
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not change the plan');
  } finally {
    button.disabled = false;
  }
}

async function openPortal(button) {
  button.disabled = true;
  try {
    const data = await api('POST', projectPath('/billing/portal'), {});
    if (data && data.portal_url) location.assign(data.portal_url);
  } catch (e) {
    reportError(e, 'Could not open the payment portal');
    button.disabled = false;
  }
}

/** Back from Stripe Checkout: ?project=<id>&checkout=success|cancelled. */
function readCheckoutReturn() {
  const q = new URLSearchParams(location.search);
  const outcome = q.get('checkout');
  if (!outcome) return null;
  const project = q.get('project');
  history.replaceState(null, '', location.pathname + (project ? '#/' + enc(project) + '/billing' : ''));
  return outcome;
}

// ---------------------------------------------------------------- notifications & sound
function updateNotifyButton() {
  const btn = $('notify-btn');
  btn.hidden = !('Notification' in window) || Notification.permission !== 'default';
}

async function requestNotifications() {
  unlockAudio();
  if (!('Notification' in window)) return;
  try {
    const res = await Notification.requestPermission();
    if (res === 'granted') toast('Desktop notifications are on.');
    else if (res === 'denied') toast('Notifications are blocked in your browser settings.');
  } catch (e) { /* ignore */ }
  updateNotifyButton();
}

function unlockAudio() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  try {
    if (!S.audio) S.audio = new Ctx();
    if (S.audio.state === 'suspended') S.audio.resume().catch(() => {});
  } catch (e) { /* ignore */ }
}

function beep() {
  if (!S.sound) return;
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  try {
    if (!S.audio) S.audio = new Ctx();
    const ctx = S.audio;
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    const t0 = ctx.currentTime + 0.01;
    [[880, 0], [1318.5, 0.11]].forEach(([freq, at]) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.setValueAtTime(freq, t0 + at);
      gain.gain.setValueAtTime(0.0001, t0 + at);
      gain.gain.exponentialRampToValueAtTime(0.12, t0 + at + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + at);
      osc.stop(t0 + at + 0.18);
    });
  } catch (e) { /* ignore */ }
}

let lastBeep = 0;
function notify(chat, msg, isNewChat) {
  const now = Date.now();
  if (now - lastBeep > 1500) { lastBeep = now; beep(); }
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  try {
    const name = (chat && chat.visitor_name) || 'Visitor';
    const n = new Notification(isNewChat ? 'New conversation · ' + name : name, {
      body: String(msg.text || '').slice(0, 200),
      tag: 'lc-chat-' + msg.chat_id,
      silent: true, // we play our own sound
    });
    const chatId = msg.chat_id || (chat && chat.id);
    n.onclick = () => {
      window.focus();
      if (chatId) openChat(chatId);
      n.close();
    };
  } catch (e) { /* some browsers only allow notifications from a service worker */ }
}

function renderSound() {
  const b = $('sound-btn');
  b.setAttribute('aria-pressed', S.sound ? 'true' : 'false');
  b.title = S.sound ? 'Sound alerts on' : 'Sound alerts off';
  b.classList.toggle('is-off', !S.sound);
}

// ---------------------------------------------------------------- wiring
function wire() {
  $('login-form').addEventListener('submit', onLoginSubmit);
  $('logout-btn').addEventListener('click', () => endSession('You have been logged out.', true));
  $('splash-logout').addEventListener('click', () => endSession('', true));
  $('load-more').addEventListener('click', () => { if (!S.listLoading) loadChats(true); });
  $('chat-list').addEventListener('click', (ev) => {
    const btn = ev.target.closest('button[data-chat-id]');
    if (btn) openChat(btn.dataset.chatId);
  });
  $('project-select').addEventListener('change', (ev) => {
    const projects = (S.me && S.me.projects) || [];
    const p = projects.find((x) => x.id === ev.target.value);
    if (p && (!S.project || p.id !== S.project.id)) {
      saveDraft();
      loadProject(p);
    }
  });
  $('composer').addEventListener('submit', onComposerSubmit);
  const ta = $('composer-text');
  ta.addEventListener('keydown', (ev) => {
    if (!ev.isComposing && onSuggestKey(ev)) { ev.preventDefault(); return; }
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      onComposerSubmit();
    }
  });
  ta.addEventListener('input', onComposerInput);
  ta.addEventListener('blur', () => { saveDraft(); setTimeout(hideSuggestions, 150); });
  $('mode-reply').addEventListener('click', () => { setComposeMode('reply'); ta.focus(); });
  $('mode-note').addEventListener('click', () => { setComposeMode('note'); stopTyping(); ta.focus(); });
  $('conv-close').addEventListener('click', closePopup);
  $('status-select').addEventListener('change', (ev) => setStatus(ev.target.value));
  $('invite-form').addEventListener('submit', onInviteSubmit);
  $('reply-form').addEventListener('submit', onReplySubmit);
  $('reply-cancel').addEventListener('click', () => editReply(null));
  $('settings-form').addEventListener('submit', onSettingsSubmit);
  $('auto-new').addEventListener('click', newAutoMessage);
  $('auto-form').addEventListener('submit', onAutoSubmit);
  $('auto-cancel').addEventListener('click', closeAutoEditor);
  $('auto-type').addEventListener('change', () => onAutoTypeChange(true));
  $('auto-attach').addEventListener('click', () => $('auto-attach-input').click());
  $('auto-attach-input').addEventListener('change', (ev) => { attachFiles(ev.target.files); ev.target.value = ''; });
  $('auto-add-button').addEventListener('click', () => { $('auto-buttons').append(buttonRow(null)); renumberAuto(); renderAutoPreview(); });
  $('auto-add-rule').addEventListener('click', () => { $('auto-rules-all').append(ruleRow(null)); renumberAuto(); });
  $('auto-add-group').addEventListener('click', () => { $('auto-rules-groups').append(groupBox([null])); renumberAuto(); });
  $('auto-form').addEventListener('input', renderAutoPreview);
  $('auto-form').addEventListener('change', renderAutoPreview);
  $('team-composer').addEventListener('submit', onTeamSubmit);
  $('interval-switch').addEventListener('click', (ev) => {
    const btn = ev.target.closest('button[data-interval]');
    if (!btn || !S.billing) return;
    S.billingInterval = btn.dataset.interval;
    renderPlans();
  });
  $('team-text').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); onTeamSubmit(); }
  });
  $('notify-btn').addEventListener('click', requestNotifications);
  $('sound-btn').addEventListener('click', () => {
    S.sound = !S.sound;
    try { localStorage.setItem(LS_SOUND, S.sound ? '1' : '0'); } catch (e) { /* ignore */ }
    renderSound();
    if (S.sound) { unlockAudio(); beep(); }
  });

  // Audio can only start after a user gesture.
  const unlockOnce = () => {
    unlockAudio();
    window.removeEventListener('pointerdown', unlockOnce, true);
    window.removeEventListener('keydown', unlockOnce, true);
  };
  window.addEventListener('pointerdown', unlockOnce, true);
  window.addEventListener('keydown', unlockOnce, true);

  window.addEventListener('focus', onWindowFocus);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') onWindowFocus(); });
  window.addEventListener('offline', () => {
    // Let the browser close the socket; nothing to do until it comes back.
  });
  window.addEventListener('beforeunload', () => { stopTyping(); });

  // Other tabs: logout / refreshed tokens / login.
  window.addEventListener('storage', (ev) => {
    if (ev.key !== LS_TOKENS) return;
    const t = loadStoredTokens();
    if (!t) {
      if (S.tokens) endSession('You have been logged out.');
      return;
    }
    if (!S.tokens) {
      if (!$('login').hidden) { adoptTokens(t); startSession(); }
      return;
    }
    if (t.access_token !== S.tokens.access_token) {
      adoptTokens(t);
      emit('tokens:refreshed');
    }
  });

  startTicker();
}

// The sign-up and Install modules (signup.js, install.js): what they need of the panel.
let Install = null;
function startModules() {
  const ctx = {
    h, api, rawFetch, setTokens, startSession, showLogin, showView, toast, reportError, projectPath,
    fullTime, relTimeLong, isLead,
    config: () => S.config,
    project: () => S.project,
    projectInfo: () => S.projectInfo,
    setProjectInfo,
    epoch: () => S.epoch,
  };
  window.LCSignup.init(ctx);
  Install = window.LCInstall.init(ctx);
}

// Frames and panel events (moved into the views' own modules step by step).
function subscribe() {
  onFrame('message', (f) => { if (f.message) onMessageFrame(f.message, f.chat || null); });
  onFrame('ack', (f) => { if (f.message) onMessageFrame(f.message, null); });
  onFrame('typing', onTypingFrame);
  onFrame('read', onReadFrame);
  // A workflow change may carry its line for the conversation ("Closed by Ada"):
  // team-only, shown like a note.
  onFrame('chat', (f) => { applyChatUpdate(f.chat); if (f.message) onNoteFrame(f.message); });
  onFrame('note', (f) => { if (f.message) onNoteFrame(f.message); });
  onFrame('team_message', (f) => onTeamMessage(f.message));
  onFrame('saved_reply', onSavedReplyFrame);
  onFrame('error', onErrorFrame);
  on('socket:open', syncAfterConnect);
  on('socket:closed', hideVisitorTyping);
  on('project:lost', () => { resetProjectState(); startSession(); });
  on('session:expired', (message) => endSession(message));
  on('project:info', renderBanner);
  on('chat:open', openChat);
  on('view:show', (view) => {
    if (view === 'team-chat') openTeamChat();
    else if (view === 'team') loadMembers();
    else if (view === 'replies') loadReplyList();
    else if (view === 'auto') loadAutoList();
    else if (view === 'settings') renderSettings();
    else if (view === 'billing') { renderBilling(); loadBilling(); }
    Install.onView(view); // its "installed?" check polls only while it is shown
    clearInterval(S.visitorsTimer);
    if (view === 'visitors') {
      loadVisitors();
      S.visitorsTimer = setInterval(() => { if (!document.hidden) loadVisitors(); }, VISITORS_POLL_MS);
    }
  });
}

async function boot() {
  startModules();
  subscribe();
  socket.mount();
  nav.mount();
  wire();
  setWsState('offline');
  try {
    const res = await fetch('./config.json', { cache: 'no-store' });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const cfg = await res.json();
    if (!cfg || !cfg.api_url || !cfg.ws_url) throw new Error('api_url / ws_url missing');
    S.config = { api_url: String(cfg.api_url).replace(/\/+$/, ''), ws_url: String(cfg.ws_url),
      widget_url: cfg.widget_url ? String(cfg.widget_url) : '', local_mailbox: cfg.local_mailbox ? String(cfg.local_mailbox) : '' };
  } catch (e) {
    showSplash('Cannot load config.json (' + e.message + ').', { error: true, retry: () => location.reload() });
    return;
  }
  const t = loadStoredTokens();
  if (t) {
    adoptTokens(t);
    startSession();
  } else {
    showLogin('');
    window.LCSignup.resume(); // a sign-up waiting for its e-mailed code
  }
}

boot();
