/* Auto messages: attachments. Each file goes from the browser straight to S3 (a
 * presigned POST the API signs for its type and size); the message is saved with the
 * upload's key, and Save waits while one is uploading. */
import { api, projectPath } from '../core/api.js';
import { $, h } from '../core/dom.js';
import { MAX_AUTO_ATTACHMENTS, renumberAuto } from './auto-form.js';
import { renderAutoPreview } from './auto-preview.js';

const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

function fileSize(bytes) {
  if (bytes < 1024) return bytes + ' B';
  if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + ' KB';
  return (bytes / (1024 * 1024)).toFixed(1) + ' MB';
}

/** One attachment: its key once uploaded (row._key), a name the visitor sees. */
export function attachmentRow(a, state) {
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

export function mount() {
  $('auto-attach').addEventListener('click', () => $('auto-attach-input').click());
  $('auto-attach-input').addEventListener('change', (ev) => { attachFiles(ev.target.files); ev.target.value = ''; });
}
