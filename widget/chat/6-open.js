// Opening and closing the chat, what chat.js gives the other files through W (widget/README.md:
// the loader's open and close replaced, waiting, showAuto, isOpen), the page's events, and the start.

// ---------- open / close ----------
function openChat() {
  if (isOpen) return;
  isOpen = W.isOpen = 1;
  W.wantOpen = 1;
  box.classList.add('lc-open');
  launcher.setAttribute('aria-expanded', 'true');
  stickToBottom = 1;
  update();
  if (!socket) reconnectNow();
  if (!matchMedia('(pointer:coarse)').matches) input.focus();
}

function closeChat() {
  if (!isOpen) return;
  local('wc', String(Date.now())); // "time since the chat widget was closed"
  isOpen = W.isOpen = 0;
  W.wantOpen = 0;
  stopTyping();
  box.classList.remove('lc-open');
  launcher.setAttribute('aria-expanded', 'false');
  launcher.focus();
}

W.open = openChat;
W.close = closeChat;

// "Time with no reply from agent" (auto.js): when the visitor's oldest message in the
// current dialogue with no operator message after it was stored (epoch ms); undefined if
// none, if the team closed the dialogue, or before the history is in. Every tab gets every
// message, and a reload the history and its 'closed', so tabs and page loads agree at no
// request of their own. Internal notes never reach the widget; system lines and the away
// message (author 'away') don't count.
W.waiting = function () {
  var lastOperatorId = '', waitingId = '';
  messages.forEach(function (message, id) {
    if (message.chat_id === chatId && message.author_type === 'operator' && message.author_id !== 'away' && id > lastOperatorId) lastOperatorId = id;
  });
  messages.forEach(function (message, id) {
    if (message.chat_id === chatId && message.author_type === 'visitor' && id > lastOperatorId && (!waitingId || id < waitingId)) waitingId = id;
  });
  return waitingId && chatId !== closedChatId ? Date.parse(messages.get(waitingId).created_at) : undefined;
};

// An auto message (auto.js) shown in the conversation: local, until the visitor replies;
// reply: the words of the teaser's button the visitor chose, sent as their message.
W.showAuto = function (message, reply) {
  var content = message.content;
  autoMessageId = message.id;
  // Signed as the stored copy will be, the teaser and the panel show it (the project's
  // name, W.teamName from the session), so a reload changes nothing.
  merge({id: '00auto-' + message.id, author_type: 'operator', author_name: W.teamName || 'Team', text: content.text || '',
    files: content.attachments, image_url: content.image_url, buttons: content.buttons,
    created_at: new Date().toISOString()});
  update();
  if (reply) say(reply);
};
// Opened from the teaser before chat.js ran.
if (W.autoOpened) W.showAuto(W.autoOpened.message, W.autoOpened.reply);
inPanel('.lc-x').onclick = closeChat;
panel.addEventListener('keydown', function (event) { if (event.key === 'Escape') closeChat(); });

d.addEventListener('visibilitychange', function () {
  if (d.visibilityState !== 'visible') return;
  if (!socket && wantSocket()) reconnectNow();
  update();
});
w.addEventListener('online', reconnectNow);
w.addEventListener('storage', function (event) {
  var key = event.key, value = event.newValue;
  if (key === W.prefix + 'chat' && value && !chatId) { chatId = value; reconnectNow(); }
  // another tab got a (new) visitor token: converge on it
  if (key === W.prefix + 'token' && value && value !== token) {
    token = value;
    messages.clear();
    needSession = 1;
    if (socket) socket.close(); else reconnectNow();
  }
});

if (W.wantOpen) openChat();
connect();
