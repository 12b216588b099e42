/* Operator panel: plain JS, no framework, no build step; native ES modules. The module
 * map is in panel/README.md. Contract: docs/API.md. Security rule: every piece of server
 * data reaches the DOM through textContent / Text nodes (core/dom.js h()), never through
 * HTML strings (the lint refuses the properties that parse them).
 *
 * This entry only starts the panel: each module's mount() binds its own DOM events and
 * subscribes to the frames and panel events it cares about (core/bus.js). The order
 * below is the order handlers run in when two listen to the same thing (views/workflow.js
 * before views/conversation.js for a chat frame: the summary, then its line).
 */
import { adoptTokens, loadStoredTokens } from './core/session.js';
import { S } from './core/state.js';
import { startTicker } from './core/time.js';

import * as nav from './core/nav.js';
import * as pwa from './core/pwa.js';
import * as socket from './core/socket.js';
import * as autoAttachments from './views/auto-attachments.js';
import * as autoEditor from './views/auto-editor.js';
import * as autoList from './views/auto-list.js';
import * as autoRules from './views/auto-rules.js';
import * as banner from './views/banner.js';
import * as billing from './views/billing.js';
import * as channels from './views/channels.js';
import * as composer from './views/composer.js';
import * as conversation from './views/conversation.js';
import * as hours from './views/hours.js';
import * as inbox from './views/inbox.js';
import * as install from './views/install.js';
import * as login from './views/login.js';
import * as messages from './views/messages.js';
import * as notifications from './views/notifications.js';
import * as offline from './views/offline.js';
import * as outbox from './views/outbox.js';
import * as project from './views/project.js';
import * as push from './views/push.js';
import * as replies from './views/replies.js';
import * as replySuggest from './views/reply-suggest.js';
import * as settings from './views/settings.js';
import * as signup from './views/signup.js';
import * as team from './views/team.js';
import * as teamchat from './views/teamchat.js';
import * as topbar from './views/topbar.js';
import * as unread from './views/unread.js';
import * as viewing from './views/viewing.js';
import * as visitors from './views/visitors.js';
import * as workflow from './views/workflow.js';

const MODULES = [
  topbar, pwa, socket, nav, offline, login, signup, project, banner, team, inbox, workflow, conversation, messages,
  outbox, composer, replySuggest, replies, teamchat, visitors, autoList, autoEditor, autoRules,
  autoAttachments, settings, hours, channels, push, viewing, install, billing, notifications, unread,
];

async function boot() {
  for (const m of MODULES) m.mount();
  startTicker();
  socket.setWsState('offline');
  start();
}

// config.json is never cached (sw.js): offline, the panel says so and starts when the
// network is back.
async function start() {
  try {
    let res;
    try {
      res = await fetch('./config.json', { cache: 'no-store' });
    } catch (e) {
      offline.showOffline(start);
      return;
    }
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const cfg = await res.json();
    if (!cfg || !cfg.api_url || !cfg.ws_url) throw new Error('api_url / ws_url missing');
    S.config = { api_url: String(cfg.api_url).replace(/\/+$/, ''), ws_url: String(cfg.ws_url),
      widget_url: cfg.widget_url ? String(cfg.widget_url) : '', local_mailbox: cfg.local_mailbox ? String(cfg.local_mailbox) : '',
      local_push: cfg.local_push ? String(cfg.local_push) : '' };
  } catch (e) {
    login.showSplash('Cannot load config.json (' + e.message + ').', { error: true, retry: () => location.reload() });
    return;
  }
  const t = loadStoredTokens();
  if (t) {
    adoptTokens(t);
    login.startSession();
  } else {
    login.showLogin('');
    signup.resume(); // a sign-up waiting for its e-mailed code
  }
}

boot();
