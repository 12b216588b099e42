/* The open project: loading it (its details and role, members, billing, the socket, the
 * first page of chats, the chat the address names, unsent replies), switching projects
 * (the header's select, with each project's unread chats; project:open from a
 * notification), and forgetting one (emits project:reset). Emits project:info and
 * project:loaded once its details arrive; redraws the switcher's counts on
 * unread:changed. Frames: none. */
import { api, chatPath, projectPath, reportError } from '../core/api.js';
import { emit, on } from '../core/bus.js';
import { mergeSummary, projectUnread, unreadChats, unreadOf } from '../core/chats.js';
import { $, h } from '../core/dom.js';
import { loadDisplay, openChat, showView } from '../core/nav.js';
import { LS_PROJECT, setProjectInfo } from '../core/session.js';
import { waitForSocket, wsShutdown, wsStart } from '../core/socket.js';
import { S } from '../core/state.js';
import { toast } from '../core/toast.js';
import { loadBilling } from './billing.js';
import { saveDraft } from './draft.js';
import { loadChats, renderList } from './inbox.js';
import { renderTitle } from './notifications.js';
import { restorePending } from './outbox.js';
import { loadMembers, renderMembers } from './team.js';

const FIRST_OPEN_WAIT_MS = 2500;

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

export function resetProjectState() {
  wsShutdown(); // first: nothing below sends on the old project's socket
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
  S.billing = null;
  emit('project:reset'); // each view forgets the old project's data and its drawing
}

export async function loadProject(project) {
  // The project we leave keeps its live count until the next poll of /me/unread.
  if (S.project && S.pagesLoaded > 0) projectUnread.set(S.project.id, unreadChats());
  resetProjectState();
  const ep = ++S.epoch;
  S.project = project;
  try { localStorage.setItem(LS_PROJECT, project.id); } catch (e) { /* ignore */ }
  rememberProject(project.id);
  renderProjectHeader();
  emit('conv:render');
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

function roleLabel(role) {
  return { administrator: 'Administrator', manager: 'Manager', operator: 'Operator' }[role] || String(role || '');
}

function myProjects() {
  return (S.me && Array.isArray(S.me.projects)) ? S.me.projects : [];
}

/** An option's words: the name, the member's role there, its unread chats; ✓ marks the
 * open one. They are also what a screen reader says. */
function optionText(p) {
  const current = S.project && p.id === S.project.id;
  const n = unreadOf(p.id);
  return (current ? '✓ ' : '') + (p.name || p.id) + ' — ' + roleLabel(p.role) + (n > 0 ? ' · ' + n + ' unread' : '');
}

/** The switcher's counts, in place (redrawing the options would close an open select),
 * and the badge beside it: unread chats in the other projects. */
function renderProjectCounts() {
  const sel = $('project-select');
  const projects = myProjects();
  for (const o of sel.options) {
    const p = projects.find((x) => x.id === o.value);
    if (p) {
      const text = optionText(p);
      if (o.textContent !== text) o.textContent = text;
    }
  }
  let others = 0;
  for (const p of projects) if (!S.project || p.id !== S.project.id) others += unreadOf(p.id);
  const badge = $('project-unread');
  badge.hidden = others === 0;
  badge.replaceChildren(
    h('span', { 'aria-hidden': 'true', text: others > 99 ? '99+' : String(others) }),
    h('span', { class: 'sr-only', text: others + ' unread in your other projects' }),
  );
  badge.title = others + ' unread ' + (others === 1 ? 'chat' : 'chats') + ' in your other projects';
}

export function renderProjectHeader() {
  const projects = myProjects();
  const name = S.project ? S.project.name || S.project.id : 'No project';
  $('project-name').textContent = name;
  $('project-name').title = S.project ? name + ' · ' + roleLabel(S.project.role) : '';
  const sw = $('project-switch');
  if (projects.length > 1) {
    const sel = $('project-select');
    sel.replaceChildren(...projects.map((p) => {
      const o = h('option', { value: p.id, text: optionText(p) });
      if (S.project && p.id === S.project.id) o.selected = true;
      return o;
    }));
    renderProjectCounts();
    sw.hidden = false;
    $('project-name').hidden = true;
  } else {
    sw.hidden = true;
    $('project-name').hidden = false;
  }
}

async function loadProjectInfo() {
  const ep = S.epoch;
  try {
    const data = await api('GET', projectPath(''));
    if (ep !== S.epoch || !data || !data.project) return;
    setProjectInfo(data.project);
    emit('project:loaded'); // the role is known: the sections that waited for it draw
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not load the project');
  }
}

function switchTo(projectId, chatId) {
  const p = myProjects().find((x) => x.id === projectId);
  if (!p) return;
  if (S.project && p.id === S.project.id) {
    if (chatId) openChat(chatId);
    return;
  }
  saveDraft();
  S.wantChat = chatId || null;
  loadProject(p);
}

export function mount() {
  // The switcher's badge: static markup beside the select (its figures via textContent).
  $('project-switch').append(h('span', { class: 'project-unread', id: 'project-unread', hidden: true }));
  $('project-select').addEventListener('change', (ev) => switchTo(ev.target.value, null));
  on('project:open', (where) => switchTo(where.id, where.chatId));
  on('unread:changed', () => { if (!$('project-switch').hidden) renderProjectCounts(); });
}
