/* Saved replies (the section): the list, the form (new or edit), shared ones for leads.
 * Frames: saved_reply (a teammate or another tab changed one: the list follows).
 * Events: view:show, project:reset. */
import { api, projectPath, reportError } from '../core/api.js';
import { on } from '../core/bus.js';
import { $, enc, h } from '../core/dom.js';
import { isLead } from '../core/session.js';
import { onFrame } from '../core/socket.js';
import { S } from '../core/state.js';
import { toast } from '../core/toast.js';
import { fetchReplies, forgetFilledReplies } from './reply-suggest.js';

let replies = [];         // the list shown
let editingReply = null;  // id of the reply in the form (null: a new one)

async function loadReplyList() {
  const ep = S.epoch;
  $('reply-shared-wrap').hidden = !isLead();
  try {
    const list = await fetchReplies(null);
    if (ep !== S.epoch) return;
    replies = list;
    renderReplyList();
  } catch (e) {
    if (ep === S.epoch) reportError(e, 'Could not load saved replies');
  }
}

function renderReplyList() {
  const ul = $('reply-list');
  if (!replies.length) {
    ul.replaceChildren(h('li', { class: 'muted', text: 'No saved replies yet.' }));
    return;
  }
  ul.replaceChildren(...replies.map((r) => h('li', { class: 'reply-item', 'data-reply-id': r.id }, [
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
  editingReply = r ? r.id : null;
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
    if (editingReply) await api('PATCH', projectPath('/replies/' + enc(editingReply)), body);
    else await api('POST', projectPath('/replies'), body);
    editReply(null);
    forgetFilledReplies();
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
    forgetFilledReplies();
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
  forgetFilledReplies();
  const others = replies.filter((x) => x.id !== r.id);
  replies = f.change === 'deleted' ? others
    : others.concat([r]).sort((a, b) => (a.shortcut < b.shortcut ? -1 : a.shortcut > b.shortcut ? 1 : 0));
  if (editingReply === r.id && f.change === 'deleted') editReply(null);
  if (S.view === 'replies') renderReplyList();
}

// The section's markup (static: no server data).
function build() {
  $('view-replies').append(
    h('header', { class: 'view-head' }, [
      h('h2', { id: 'replies-title', text: 'Saved replies' }),
      h('p', { class: 'view-sub' }, [
        'Type ', h('kbd', { text: '/' }), ' and a few letters in the reply box to insert one. Variables: ',
        h('code', { text: '{visitor_name}' }), ', ', h('code', { text: '{visitor_email}' }), ', ', h('code', { text: '{operator_name}' }), ', ',
        h('code', { text: '{project_name}' }), '.',
      ]),
    ]),
    h('div', { class: 'view-body' }, [
      h('form', { class: 'card form-grid', id: 'reply-form', novalidate: true }, [
        h('h3', { id: 'reply-form-title', text: 'New saved reply' }),
        h('div', { class: 'field' }, [
          h('label', { for: 'reply-shortcut', text: 'Shortcut' }),
          h('input', { id: 'reply-shortcut', type: 'text', maxlength: '32', placeholder: 'hello', spellcheck: 'false' }),
        ]),
        h('div', { class: 'field' }, [
          h('label', { for: 'reply-title', text: 'Title' }),
          h('input', { id: 'reply-title', type: 'text', maxlength: '100', placeholder: 'Greeting' }),
        ]),
        h('div', { class: 'field field-wide' }, [
          h('label', { for: 'reply-text', text: 'Text' }),
          h('textarea', { id: 'reply-text', rows: '3', maxlength: '4000', placeholder: 'Hi {visitor_name}, I\'m {operator_name} from {project_name}. How can I help?' }),
        ]),
        h('label', { class: 'check', id: 'reply-shared-wrap' }, [
          h('input', { id: 'reply-shared', type: 'checkbox' }), ' Shared with the whole team',
        ]),
        h('div', { class: 'form-actions' }, [
          h('button', { type: 'submit', class: 'btn btn-primary btn-sm', id: 'reply-save', text: 'Save reply' }), ' ',
          h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'reply-cancel', hidden: true, text: 'Cancel' }),
        ]),
      ]),
      h('ul', { class: 'reply-list', id: 'reply-list' }),
    ]),
  );
}

export function mount() {
  build();
  $('reply-form').addEventListener('submit', onReplySubmit);
  $('reply-cancel').addEventListener('click', () => editReply(null));
  onFrame('saved_reply', onSavedReplyFrame);
  on('view:show', (view) => { if (view === 'replies') loadReplyList(); });
  on('project:reset', () => { replies = []; });
}
