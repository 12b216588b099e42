// What the visitor does in the conversation: the end of a dialogue and its rating, the
// team's typing line, and writing: the outbox, consent, the composer.

// ---------- closed by the team: a closing line and a rating prompt ----------
function removeClosedNote() { if (closedNote) closedNote.remove(); closedNote = null; }

function showClosed(dialogueId) {
  var rating = el('div', 'lc-rate', 'How was this conversation?'), buttons = [];
  closedChatId = dialogueId;
  setAssignee(null, 0, dialogueId); // nobody is answering a closed dialogue
  removeClosedNote();
  closedNote = el('div', 'lc-end', 'This conversation was closed'); // render() puts it in the list (a live region) after the dialogue's last line
  // Before the rating: a 'rated' frame replaces the note's last child (the rating).
  var transcriptButton = closedNote.appendChild(el('button', 'lc-retry', 'E-mail me this conversation'));
  transcriptButton.type = 'button';
  transcriptButton.onclick = function () { askTranscript(dialogueId, transcriptButton); };
  rating.setAttribute('role', 'group');
  rating.setAttribute('aria-label', 'Rate this conversation');
  rating.appendChild(el('br'));
  ['Great', 'Average', 'Poor'].forEach(function (label) {
    var button = rating.appendChild(el('button', null, label));
    buttons.push(button);
    button.type = 'button';
    button.onclick = function () {
      var sent = sendFrame({action: 'rate', chat_id: dialogueId, rating: label.toLowerCase()}); // sent: buttons stay off
      buttons.forEach(function (other) { other.disabled = sent; });
      button.setAttribute('aria-pressed', !!sent);
      if (!sent) reconnectNow();
    };
  });
  closedNote.appendChild(rating);
  render();
}

function showTyping(on) {
  clearTimeout(operatorTypingTimer);
  var near = nearBottom();
  typingLine.hidden = !on;
  if (on) operatorTypingTimer = setTimeout(showTyping, 1e4); // in case typing:false is lost
  if (near) scroller.scrollTop = scroller.scrollHeight;
}

// ---------- sending ----------
function uuid() {
  var crypto = w.crypto;
  if (crypto && crypto.randomUUID) return crypto.randomUUID();
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, function (place) {
    var random = crypto && crypto.getRandomValues ? crypto.getRandomValues(new Uint8Array(1))[0] & 15 : Math.random() * 16 | 0;
    return (place === 'x' ? random : (random & 3) | 8).toString(16);
  });
}

// Unacknowledged sends survive a page navigation in the same tab (same client_id => no duplicate).
function saveOutbox() {
  var kept = [];
  outbox.forEach(function (sent) {
    if (!sent.failed) kept.push({client_id: sent.client_id, text: sent.text, created_at: sent.created_at});
  });
  storage('sessionStorage', 'q', kept.length ? JSON.stringify(kept) : null);
}
try {
  JSON.parse(storage('sessionStorage', 'q') || '[]').forEach(function (sent) {
    sent.author_type = 'visitor';
    outbox.set(sent.client_id, sent);
  });
} catch (e) { /* an unreadable outbox: nothing to resend */ }

// The next message needs consent: it opens a dialogue, or is the first reply in one the
// team opened. Asked as soon as that is known (before the visitor writes); the server checks.
function needsConsent() {
  var open = chatId !== closedChatId && chatId, wrote = 0;
  messages.forEach(function (message) { if (message.chat_id === open && message.author_type === 'visitor') wrote = 1; });
  return consentAsked && historyIn && consentVersion == null && !wrote;
}

function trySend(sent) {
  if (needsConsent()) return; // waits for "I agree"
  var frame = {action: 'send', client_id: sent.client_id, text: sent.text};
  if (chatId && /-\d+$/.test(chatId) && chatId !== closedChatId) frame.chat_id = chatId; // else the server finds or opens one
  if (assigneeId) frame.assignee_id = assigneeId;
  if (consentVersion != null) frame.consent_version = consentVersion;
  if (sent.auto) frame.auto_message_id = sent.auto;
  if (!sendFrame(frame)) return connect();
  // The server answers every send (ack or error): silence means a half-open socket.
  // Replace it now, not at the next ping; the same client_id makes the resend safe.
  var own = socket;
  if (!ackTimer) ackTimer = setTimeout(function () { ackTimer = 0; dropIfSilent(own); }, 1e4);
}

function askConsent(consent) {
  if (consentBox) consentBox.remove();
  consentBox = el('div', 'lc-consent');
  consentBox.setAttribute('role', 'group');
  consentBox.setAttribute('aria-label', 'Privacy consent');
  consentBox.appendChild(el('span', null, consent.text)).id = 'lc-consent'; // describes the message box
  if (/^https?:\/\//.test(consent.privacy_url || '')) {
    var link = el('a', null, 'Privacy policy');
    link.href = consent.privacy_url; link.target = '_blank'; link.rel = 'noopener noreferrer';
    consentBox.appendChild(link);
  }
  var agree = el('button', null, 'I agree');
  agree.type = 'button';
  agree.onclick = function () {
    consentVersion = consent.version;
    consentBox.remove();
    consentBox = null;
    input.removeAttribute('aria-describedby');
    sendOutbox();
  };
  input.setAttribute('aria-describedby', 'lc-consent');
  consentBox.appendChild(agree);
  form.parentNode.insertBefore(consentBox, form);
}

function sendOutbox() {
  outbox.forEach(function (sent) { if (!sent.failed) trySend(sent); });
  update();
}

function showNote(text, bad) {
  noteLine.hidden = !text;
  noteLine.textContent = text || '';
  noteLine.className = 'lc-note' + (bad ? ' lc-bad' : '');
}

function submit() {
  var text = input.value.replace(/^\s+|\s+$/g, '');
  if (!text || form.hidden) return; // (hidden: the pre-chat form comes first)
  if (text.length > MAX_LENGTH) { showNote('Message is too long (max ' + MAX_LENGTH + ' characters).', 1); return; }
  input.value = '';
  removeClosedNote(); // after a close the server starts a new dialogue
  onInput();
  stopTyping();
  var sent = {client_id: uuid(), text: text, author_type: 'visitor', created_at: new Date().toISOString()};
  if (autoMessageId) { // the new dialogue begins with the auto message: its buttons are spent
    sent.auto = autoMessageId; autoMessageId = null;
    var shown = messages.get('00auto-' + sent.auto);
    if (shown) { delete shown.buttons; messageNodes.delete(shown.id); }
  }
  outbox.set(sent.client_id, sent);
  saveOutbox();
  if (!local('chat')) local('chat', '1'); // a dialogue now exists: loader preloads chat.js on the next page
  stickToBottom = 1;
  update();
  trySend(sent);
}

// A reply button of an auto message: the visitor answers with its words.
function say(text) { input.value = text; submit(); }

function stopTyping() {
  clearTimeout(typingIdleTimer);
  if (typingSentAt) { typingSentAt = 0; sendFrame({action: 'typing', typing: false, assignee_id: assigneeId || undefined}); }
}

function onInput() {
  input.style.height = '';
  if (input.scrollHeight > input.clientHeight) input.style.height = Math.min(input.scrollHeight, 124) + 'px';
  var length = input.value.length;
  sendButton.classList.toggle('lc-dim', !input.value.trim());
  showNote(length > MAX_LENGTH - 200 ? length + ' / ' + MAX_LENGTH : '', length > MAX_LENGTH);
}

form.onsubmit = function (event) { event.preventDefault(); submit(); input.focus(); };
input.addEventListener('keydown', function (event) {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) { event.preventDefault(); submit(); }
});
input.addEventListener('input', function () {
  onInput();
  if (!input.value.trim()) return stopTyping();
  var now = Date.now();
  if (chatId && now - typingSentAt > TYPING_EVERY && sendFrame({action: 'typing', typing: true, assignee_id: assigneeId || undefined})) typingSentAt = now; // no dialogue yet: nobody to tell
  clearTimeout(typingIdleTimer);
  typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE);
});
