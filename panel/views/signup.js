/* Sign-up in the panel: the account and its first site, then Cognito's e-mailed code,
 * then a login with the password just typed, opening the new project on Install.
 *
 * main.js calls mount() once, and resume() on the login screen. Server data reaches the
 * DOM as text only. The password is kept in memory for the one login after the code,
 * never stored; after a reload during the code step the newcomer logs in by hand.
 */
import { rawFetch } from '../core/api.js';
import { $, h } from '../core/dom.js';
import { setTokens } from '../core/session.js';
import { S } from '../core/state.js';
import { showAuthForm, showLogin, startSession } from './login.js';

const SS_PENDING = 'lc-panel:signup'; // {email, project_id}: the code step survives a reload
// The server's error paths (errors[].path) and the inputs they belong beside.
const FIELDS = { name: 'su-name', email: 'su-email', password: 'su-password', project_name: 'su-site', domain: 'su-domain', allowed_domains: 'su-domain' };
let pending = null; // {email, password?, project_id}

function fieldError(inputId, text) {
  const input = $(inputId);
  const box = $(inputId + '-error');
  box.textContent = text || '';
  box.hidden = !text;
  if (text) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

function clearErrors() {
  for (const id of new Set(Object.values(FIELDS))) fieldError(id, '');
  $('signup-error').hidden = true;
}

/** A server message ("'email' must be an e-mail address ...") as a person reads it. */
function humane(text) {
  const t = String(text || '').replace(/^'[a-z_]+'\s*/, '');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

function showServerErrors(e) {
  const listed = (e.error && Array.isArray(e.error.errors)) ? e.error.errors : [];
  let placed = 0;
  for (const item of listed) {
    const id = FIELDS[item && item.path];
    if (!id) continue;
    if (!placed) $(id).focus();
    fieldError(id, humane(item.message));
    placed++;
  }
  if (!placed) {
    const box = $('signup-error');
    box.textContent = e.status === 0 ? 'Cannot reach the server. Check your connection and try again.'
      : humane(e.message) || 'Sign-up failed.';
    box.hidden = false;
  }
}

async function onSignup(ev) {
  ev.preventDefault();
  clearErrors();
  const body = {
    name: $('su-name').value.trim(),
    email: $('su-email').value.trim(),
    password: $('su-password').value,
    project_name: $('su-site').value.trim(),
  };
  const domain = $('su-domain').value.trim();
  if (domain) body.domain = domain;
  // The obvious gaps are said here; every other rule is the server's (one source).
  const missing = [['name', 'Enter your name.'], ['email', 'Enter your e-mail address.'],
    ['password', 'Choose a password.'], ['project_name', "Give your site a name (your team sees it)."]]
    .filter(([k]) => !body[k]);
  if (missing.length) {
    missing.forEach(([k, text]) => fieldError(FIELDS[k], text));
    $(FIELDS[missing[0][0]]).focus();
    return;
  }
  const btn = $('signup-submit');
  btn.disabled = true;
  btn.textContent = 'Creating your account…';
  try {
    const data = await rawFetch('POST', '/auth/signup', body);
    pending = { email: body.email, password: body.password, project_id: data.project.id };
    if (data.confirmed) { await logIn(); return; }
    remember();
    showConfirm();
  } catch (e) {
    showServerErrors(e);
  } finally {
    btn.disabled = false;
    btn.textContent = 'Create account';
  }
}

function remember() {
  try { sessionStorage.setItem(SS_PENDING, JSON.stringify({ email: pending.email, project_id: pending.project_id })); } catch (e) { /* private mode */ }
}

function forget() {
  try { sessionStorage.removeItem(SS_PENDING); } catch (e) { /* ignore */ }
}

function showConfirm() {
  $('confirm-sub').textContent = 'We sent a confirmation code to ' + pending.email + '. Type it here to open your new site.';
  const local = $('confirm-local');
  const mailbox = S.config.local_mailbox;
  // Only the local stand-in's config names a mailbox: there, no e-mail is sent.
  local.hidden = !mailbox;
  if (mailbox) {
    local.replaceChildren('Local stand-in (make dev): no e-mail leaves this machine. The code is in the ',
      Object.assign(document.createElement('a'), { href: mailbox, target: '_blank', rel: 'noopener', textContent: 'local mailbox' }),
      ' and in the make dev log.');
  }
  $('confirm-code').value = '';
  fieldError('confirm-code', '');
  $('confirm-info').hidden = true;
  showAuthForm('confirm');
}

async function onConfirm(ev) {
  ev.preventDefault();
  const code = $('confirm-code').value.trim();
  fieldError('confirm-code', '');
  if (!code) { fieldError('confirm-code', 'Enter the code from the e-mail.'); $('confirm-code').focus(); return; }
  const btn = $('confirm-submit');
  btn.disabled = true;
  try {
    await rawFetch('POST', '/auth/confirm', { email: pending.email, code });
  } catch (e) {
    btn.disabled = false;
    if (!/already confirmed/.test(e.message || '')) {
      fieldError('confirm-code', e.status === 0 ? 'Cannot reach the server.' : humane(e.message));
      $('confirm-code').focus();
      return;
    }
  }
  forget();
  try {
    await logIn();
  } finally {
    btn.disabled = false;
  }
}

/** The password just typed opens the panel on the new project's Install page. */
async function logIn() {
  if (!pending.password) { // reloaded during the code step: the password is gone
    $('login-email').value = pending.email;
    showAuthForm('login');
    showLogin('Your e-mail address is confirmed. Log in to open your site.');
    return;
  }
  try {
    const tokens = await rawFetch('POST', '/auth/login', { email: pending.email, password: pending.password });
    history.replaceState(null, '', '#/' + encodeURIComponent(pending.project_id) + '/install');
    pending = null;
    showAuthForm('login');
    setTokens(Object.assign({}, tokens, { obtained_at: Date.now() }));
    startSession();
  } catch (e) {
    $('login-email').value = pending.email;
    showAuthForm('login');
    showLogin('Your account is ready, but logging in failed (' + e.message + '). Log in with your new password.');
  }
}

async function onResend() {
  const info = $('confirm-info');
  const btn = $('confirm-resend');
  btn.disabled = true;
  try {
    await rawFetch('POST', '/auth/resend-code', { email: pending.email });
    info.textContent = 'A new code is on its way to ' + pending.email + '. The earlier one no longer works.';
    info.classList.add('form-info');
  } catch (e) {
    info.textContent = humane(e.message);
    info.classList.remove('form-info');
  } finally {
    info.hidden = false;
    btn.disabled = false;
  }
}

// The sign-up and code forms (static markup: no server data).
function build() {
  $('login').append(
    h('form', { id: 'signup-form', class: 'login-card', novalidate: true, hidden: true, 'aria-labelledby': 'signup-title' }, [
      h('div', { class: 'brand brand-lg' }, [
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), ' ',
        h('span', { class: 'brand-name', text: 'Live Chat' }),
      ]),
      h('h1', { class: 'login-title', id: 'signup-title', text: 'Create an account' }),
      h('p', { class: 'login-sub', text: 'Chat with your website\'s visitors. Free to start.' }),
      h('div', { class: 'field', 'data-path': 'name' }, [
        h('label', { for: 'su-name', text: 'Your name' }), ' ',
        h('input', { id: 'su-name', type: 'text', autocomplete: 'name', maxlength: '100', required: true, 'aria-describedby': 'su-name-error' }),
        h('p', { class: 'row-error', id: 'su-name-error', hidden: true }),
      ]),
      h('div', { class: 'field', 'data-path': 'email' }, [
        h('label', { for: 'su-email', text: 'Your email' }), ' ',
        h('input', { id: 'su-email', type: 'email', autocomplete: 'email', maxlength: '254', required: true, spellcheck: 'false', 'aria-describedby': 'su-email-error' }),
        h('p', { class: 'row-error', id: 'su-email-error', hidden: true }),
      ]),
      h('div', { class: 'field', 'data-path': 'password' }, [
        h('label', { for: 'su-password', text: 'Choose a password' }), ' ',
        h('input', { id: 'su-password', type: 'password', autocomplete: 'new-password', maxlength: '256', required: true, 'aria-describedby': 'su-password-hint su-password-error' }),
        ' ',
        h('span', { class: 'field-hint', id: 'su-password-hint', text: 'At least 10 characters, with a number and a lower-case letter.' }),
        h('p', { class: 'row-error', id: 'su-password-error', hidden: true }),
      ]),
      h('div', { class: 'field', 'data-path': 'project_name' }, [
        h('label', { for: 'su-site', text: 'Site name' }), ' ',
        h('input', { id: 'su-site', type: 'text', maxlength: '100', required: true, placeholder: 'Acme Outdoor', 'aria-describedby': 'su-site-error' }),
        h('p', { class: 'row-error', id: 'su-site-error', hidden: true }),
      ]),
      h('div', { class: 'field', 'data-path': 'domain' }, [
        h('label', { for: 'su-domain', text: 'Site domain' }), ' ',
        h('input', { id: 'su-domain', type: 'text', maxlength: '253', spellcheck: 'false', autocapitalize: 'off', placeholder: 'shop.example.com', 'aria-describedby': 'su-domain-hint su-domain-error' }),
        ' ',
        h('span', { class: 'field-hint', id: 'su-domain-hint', text: 'Where the chat widget will run. You can add more domains later.' }),
        h('p', { class: 'row-error', id: 'su-domain-error', hidden: true }),
      ]),
      h('p', { id: 'signup-error', class: 'form-error', role: 'alert', hidden: true }),
      h('button', { type: 'submit', id: 'signup-submit', class: 'btn btn-primary btn-block', text: 'Create account' }),
      h('p', { class: 'login-alt' }, [
        'Already have an account? ',
        h('button', { type: 'button', class: 'link-btn', id: 'show-login', text: 'Log in' }),
      ]),
    ]),
    h('form', { id: 'confirm-form', class: 'login-card', novalidate: true, hidden: true, 'aria-labelledby': 'confirm-title' }, [
      h('h1', { class: 'login-title', id: 'confirm-title', text: 'Check your e-mail' }),
      h('p', { class: 'login-sub', id: 'confirm-sub' }),
      h('p', { class: 'local-note', id: 'confirm-local', hidden: true }),
      h('div', { class: 'field', 'data-path': 'code' }, [
        h('label', { for: 'confirm-code', text: 'Confirmation code' }), ' ',
        h('input', { id: 'confirm-code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '16', required: true, 'aria-describedby': 'confirm-code-error' }),
        h('p', { class: 'row-error', id: 'confirm-code-error', hidden: true }),
      ]),
      h('p', { id: 'confirm-info', class: 'form-error form-info', role: 'status', hidden: true }),
      h('button', { type: 'submit', id: 'confirm-submit', class: 'btn btn-primary btn-block', text: 'Confirm and open my site' }),
      h('p', { class: 'login-alt' }, [
        h('button', { type: 'button', class: 'link-btn', id: 'confirm-resend', text: 'Send a new code' }), ' · ',
        h('button', { type: 'button', class: 'link-btn link-btn-muted', id: 'confirm-back', text: 'Use another e-mail' }),
      ]),
    ]),
  );
}

export function mount() {
  build();
  $('show-signup').addEventListener('click', () => { clearErrors(); showAuthForm('signup'); });
  $('show-login').addEventListener('click', () => showAuthForm('login'));
  $('signup-form').addEventListener('submit', onSignup);
  $('confirm-form').addEventListener('submit', onConfirm);
  $('confirm-resend').addEventListener('click', onResend);
  $('confirm-back').addEventListener('click', () => { forget(); pending = null; showAuthForm('signup'); });
  for (const id of new Set(Object.values(FIELDS))) $(id).addEventListener('input', () => fieldError(id, ''));
}

/** The login screen opens on the code step while a sign-up waits for its code. */
export function resume() {
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(SS_PENDING) || 'null'); } catch (e) { saved = null; }
  if (!saved || !saved.email) return false;
  pending = saved;
  showConfirm();
  return true;
}

