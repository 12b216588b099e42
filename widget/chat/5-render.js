// The conversation on screen: messages in id order then the outbox, keyed, so unchanged
// nodes are not re-announced by screen readers; the unread badge and read receipts.

// ---------- rendering ----------
function ordered() {
  var all = [];
  messages.forEach(function (message) { all.push(message); });
  all.sort(function (x, y) { return x.id < y.id ? -1 : x.id > y.id ? 1 : 0; });
  outbox.forEach(function (sent) { all.push(sent); });
  // The closed block follows the closed dialogue's last line: a later dialogue's lines
  // (the visitor's reply by e-mail opens one) come below it, not above.
  for (var i = all.length; closedNote && i-- && all[i].chat_id !== closedChatId;);
  if (closedNote) all.splice(i + 1, 0, {n: closedNote});
  return all;
}

function timeOf(stamp) {
  var time = new Date(stamp);
  return isNaN(time) ? '' : time.toLocaleTimeString([], {hour: 'numeric', minute: '2-digit'});
}

// Messages in a row by the same author form a group (one name, one time under it).
function authorKey(message) {
  if (!message) return '';
  return message.author_type + '|' + (message.author_type === 'operator' ? message.author_name || message.author_id : '');
}

function nearBottom() { return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80; }

// Text with its web addresses as links: text nodes and anchors, never HTML.
function linked(parent, text) {
  var address = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)'\]]/g, at = 0, found, link;
  while ((found = address.exec(text))) {
    parent.appendChild(d.createTextNode(text.slice(at, found.index)));
    link = parent.appendChild(el('a', 'lc-link', found[0]));
    link.href = found[0]; link.target = '_blank'; link.rel = 'noopener nofollow';
    at = address.lastIndex;
  }
  parent.appendChild(d.createTextNode(text.slice(at)));
  return parent;
}

function buildMessage(message, first, last, lastVisitor) {
  var author = message.author_type || 'system', row = el('div', 'lc-msg lc-' + author + (first ? ' lc-g' : ''));
  if (message.id) row.setAttribute('data-id', message.id);
  else {
    row.setAttribute('data-client-id', message.client_id);
    row.classList.add(message.failed ? 'lc-failed' : 'lc-pending');
  }
  row.setAttribute('data-author', author);
  if (first && author === 'operator') row.appendChild(el('div', 'lc-name', message.author_name || 'Operator'));
  var bubble = row.appendChild(linked(el('div', 'lc-bubble'), message.text || ''));
  bubble.dir = 'auto'; // RTL messages render correctly in either page direction
  bubble.title = timeOf(message.created_at);
  // An auto message's picture, files (links to our CDN) and, until answered, its buttons.
  if (/^https:\/\//.test(message.image_url || '')) {
    var image = bubble.insertBefore(el('img', 'lc-img'), bubble.firstChild);
    image.src = message.image_url; image.alt = '';
  }
  (message.files || []).forEach(function (file) {
    if (!/^https?:\/\//.test(file.url)) return;
    var link = bubble.appendChild(el('a', 'lc-file', '\u2193 ' + file.name));
    link.href = file.url; link.target = '_blank'; link.rel = 'noopener';
  });
  if (message.buttons && message.buttons.length) {
    var actions = row.appendChild(el('div', 'lc-acts'));
    message.buttons.forEach(function (spec) {
      var button = actions.appendChild(el('button', 0, spec.label));
      button.type = 'button';
      button.onclick = spec.action === 'link' && /^https:\/\//.test(spec.url || '')
        ? function () { w.open(spec.url, '_blank', 'noopener'); } : function () { say(spec.label); };
    });
  }
  if (message.failed) {
    var error = row.appendChild(el('div', 'lc-err', message.err));
    if (message.failed !== 'too_large') {
      var retryButton = error.appendChild(el('button', 'lc-retry', 'Retry'));
      retryButton.type = 'button';
      retryButton.onclick = function () { delete message.failed; delete message.err; saveOutbox(); render(); trySend(message); };
    }
  } else if (!message.id) row.appendChild(el('div', 'lc-meta', consentBox ? 'Waiting for your consent' : 'Sending\u2026'));
  else if (last && author !== 'system') {
    var meta = timeOf(message.created_at);
    if (lastVisitor && teamReadUpTo && message.id <= teamReadUpTo) meta += ' \u00b7 Seen';
    row.appendChild(el('div', 'lc-meta', meta));
  }
  return row;
}

// Each node keeps its key (_k) and what it shows (_s): it is built again only if that changed.
function render() {
  var near = stickToBottom || nearBottom(), all = ordered(), cursor = messageList.firstChild, keys = new Set(),
    lastVisitorId = '', following;
  all.forEach(function (message) {
    keys.add(message.id || message.client_id || 'x');
    if (message.id && message.author_type === 'visitor') lastVisitorId = message.id;
  });
  all.forEach(function (message, i) {
    var key = message.id || message.client_id || 'x', previous = all[i - 1], next = all[i + 1],
      first = authorKey(previous) !== authorKey(message),
      last = authorKey(next) !== authorKey(message) || (next && !next.id && message.id),
      shows = [message.failed, message.err, first, last, message.id === lastVisitorId && teamReadUpTo >= message.id,
        !message.id && !!consentBox].join('|'),
      node = message.n || messageNodes.get(key); // n: the closed block, as it is
    if (!message.n && (!node || node._s !== shows)) {
      node = buildMessage(message, first, last, message.id === lastVisitorId);
      node._s = shows;
    }
    node._k = key;
    messageNodes.set(key, node);
    while (cursor && (!keys.has(cursor._k) || messageNodes.get(cursor._k) !== cursor)) {
      following = cursor.nextSibling; cursor.remove(); cursor = following;
    }
    if (node === cursor) cursor = cursor.nextSibling; else messageList.insertBefore(node, cursor);
  });
  while (cursor) { following = cursor.nextSibling; cursor.remove(); cursor = following; }
  messageNodes.forEach(function (_, key) { if (!keys.has(key)) messageNodes.delete(key); });
  if (near) scroller.scrollTop = scroller.scrollHeight;
  stickToBottom = 0;
}

// Render + unread badge + read receipts.
function update() {
  if (!consentBox && needsConsent()) askConsent(consentAsked);
  render();
  var visible = isOpen && d.visibilityState === 'visible', unread = 0, lastOperatorId = '', lastId = lastServerId();
  messages.forEach(function (message, id) {
    if (message.author_type === 'operator' && id > lastOperatorId) lastOperatorId = id;
    if (message.author_type !== 'visitor' && id > seenUpTo) unread++;
  });
  if (visible) {
    unread = 0;
    if (lastId > seenUpTo) { seenUpTo = lastId; local('seen', seenUpTo); }
    if (lastOperatorId > readSentUpTo && sendFrame({action: 'read'})) readSentUpTo = lastOperatorId;
  }
  badge.hidden = !unread;
  badge.textContent = unread > 99 ? '99+' : unread;
  box.setAttribute('data-unread', unread);
  launcher.setAttribute('aria-label', unread ? 'Open chat (' + unread + ' unread)' : 'Open chat');
}
