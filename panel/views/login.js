/* Logging in (an invitee's first login sets their own password), the splash and login
 * screens, starting a session (GET /me, then the project the address, the server or this
 * browser names) and ending one. Other tabs' logins and logouts follow (the storage
 * event). Frames: none. Events: session:expired (core/session.js, core/api.js),
 * project:lost (core/socket.js: no longer a member). */
import { api, ApiError, rawFetch } from '../core/api.js';
import { emit, on } from '../core/bus.js';
import { $, h, paintAvatar } from '../core/dom.js';
import { readLocation } from '../core/nav.js';
import { adoptTokens, forgetTokens, loadStoredTokens, LS_PROJECT, LS_TOKENS, setTokens } from '../core/session.js';
import { setWsState } from '../core/socket.js';
import { S } from '../core/state.js';
import { readCheckoutReturn } from './billing.js';
import { renderList } from './inbox.js';
import { renderSound, unlockAudio, updateNotifyButton } from './notifications.js';
import { isNetworkError, showOffline } from './offline.js';
import { loadProject, renderProjectHeader, resetProjectState } from './project.js';
import { forgetDevice } from './push.js';

let loginChallenge = null; // {email, session}: an invitee's first login asks for a new password

/** The login screen's three forms: log in, sign up (views/signup.js), the e-mailed code. */
export function showAuthForm(which) {
  $('login-form').hidden = which !== 'login';
  $('signup-form').hidden = which !== 'signup';
  $('confirm-form').hidden = which !== 'confirm';
  const first = { login: 'login-email', signup: 'su-name', confirm: 'confirm-code' }[which];
  setTimeout(() => { const el = $(first); if (el && !el.value) el.focus(); }, 0);
}

function showScreen(name) {
  $('splash').hidden = name !== 'splash';
  $('login').hidden = name !== 'login';
  $('app').hidden = name !== 'app';
  $('offline').hidden = true; // views/offline.js shows itself
  if (name === 'login') document.body.dataset.state = 'login';
  else if (name === 'splash') delete document.body.dataset.state;
}

export function showSplash(text, opts) {
  showScreen('splash');
  $('splash-text').textContent = text;
  $('splash-spinner').hidden = !!(opts && opts.error);
  $('splash-retry').hidden = !(opts && opts.retry);
  $('splash-logout').hidden = !(opts && opts.logout);
  $('splash-retry').onclick = opts && opts.retry ? opts.retry : null;
}

export function showLogin(message) {
  showScreen('login');
  showAuthForm('login');
  document.title = 'Log in · Live Chat';
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message || '';
  err.classList.toggle('form-info', !!message);
  $('login-password').value = '';
  const email = $('login-email');
  setTimeout(() => (email.value ? $('login-password') : email).focus(), 0);
}

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
  const challenge = loginChallenge && loginChallenge.email === email ? loginChallenge : null;
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
    loginChallenge = null;
    $('new-password-field').hidden = true;
    $('login-new-password').value = '';
    if (!data || !data.access_token) throw new ApiError(500, 'bad_response', 'Unexpected response from the server.');
    setTokens(Object.assign({}, data, { obtained_at: Date.now() }));
    $('login-password').value = '';
    startSession();
  } catch (e) {
    if (e.code === 'new_password_required' && e.error.session) {
      loginChallenge = { email, session: e.error.session };
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
    if (challenge) { loginChallenge = null; $('new-password-field').hidden = true; }
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

export async function startSession() {
  const ep = ++S.epoch;
  showSplash('Loading your inbox…');
  let me;
  try {
    me = await api('GET', '/me');
  } catch (e) {
    if (ep !== S.epoch || !S.tokens) return;
    if (isNetworkError(e)) { showOffline(startSession); return; }
    showSplash('Could not load your account: ' + e.message,
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
    emit('conv:render');
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

/** Clears local state. Called on logout, on refresh failure, on 401 after refresh. */
export function endSession(message, callServer) {
  const tokens = S.tokens;
  const userId = S.me && S.me.user ? S.me.user.id : null;
  S.epoch++;
  forgetTokens();
  if (callServer && tokens) {
    // This device's push subscription first, while the tokens are still good.
    forgetDevice(tokens, userId).finally(() => rawFetch('POST', '/auth/logout', {}, tokens.access_token).catch(() => {}));
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

// The login form (static markup: no server data).
function build() {
  $('login').append(
    h('form', { id: 'login-form', class: 'login-card', novalidate: true }, [
      h('div', { class: 'brand brand-lg' }, [
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), ' ',
        h('span', { class: 'brand-name', text: 'Live Chat' }),
      ]),
      h('h1', { class: 'login-title', text: 'Sign in to your inbox' }),
      h('p', { class: 'login-sub', text: 'Answer your website visitors in real time.' }),
      h('div', { class: 'field' }, [
        h('label', { for: 'login-email', text: 'Email' }), ' ',
        h('input', { id: 'login-email', name: 'email', type: 'email', autocomplete: 'username', required: true, spellcheck: 'false' }),
      ]),
      h('div', { class: 'field' }, [
        h('label', { for: 'login-password', text: 'Password' }), ' ',
        h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
      ]),
      h('div', { class: 'field', id: 'new-password-field', hidden: true }, [
        h('label', { for: 'login-new-password', text: 'New password' }), ' ',
        h('input', { id: 'login-new-password', name: 'new-password', type: 'password', autocomplete: 'new-password', minlength: '10' }),
        ' ',
        h('span', { class: 'field-hint', text: 'You were invited with a temporary password: choose your own (at least 10 characters, with a number).' }),
      ]),
      h('p', { id: 'login-error', class: 'form-error', role: 'alert', hidden: true }),
      h('button', { type: 'submit', id: 'login-submit', class: 'btn btn-primary btn-block', text: 'Log in' }),
      h('p', { class: 'login-alt' }, [
        'New here? ', h('button', { type: 'button', class: 'link-btn', id: 'show-signup', text: 'Create an account' }),
      ]),
    ]),
  );
}

export function mount() {
  build();
  $('login-form').addEventListener('submit', onLoginSubmit);
  $('logout-btn').addEventListener('click', () => endSession('You have been logged out.', true));
  $('splash-logout').addEventListener('click', () => endSession('', true));
  on('session:expired', (message) => endSession(message));
  on('project:lost', () => { resetProjectState(); startSession(); });
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
}
