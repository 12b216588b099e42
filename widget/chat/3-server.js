// Talking to the server: the REST calls (session, history) and the WebSocket (docs/API.md).

// ---------- REST ----------
function api(method, path, data) {
  var headers = {};
  // text/plain keeps the per-page-view session call a CORS simple request (no preflight)
  if (data) headers['Content-Type'] = 'text/plain;charset=UTF-8';
  if (token && path.indexOf('/widget/messages') === 0) headers.Authorization = 'Bearer ' + token;
  return fetch(apiUrl + path, {method: method, headers: headers, body: data ? JSON.stringify(data) : undefined, credentials: 'omit'})
    .then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          var error = new Error((json.error && json.error.message) || response.status);
          error.status = response.status;
          throw error;
        }
        return json;
      });
    });
}

function session() {
  if (sessionCall) return sessionCall;
  setState('connecting');
  // The loader's page-view session is the first one: no second request for it.
  var first = W.session;
  W.session = null;
  return sessionCall = (first ? Promise.resolve(first) : api('POST', '/widget/session', W.facts())).then(function (answer) {
    sessionCall = null;
    needSession = 0;
    if (answer.visitor_id !== local('vid')) { // a new visitor: the old history isn't theirs
      messages.clear(); seenUpTo = readSentUpTo = teamReadUpTo = ''; local('seen', null); local('vid', answer.visitor_id);
    }
    token = answer.token;
    local('token', token);
    socketUrl = answer.ws_url;
    inPanel('.lc-pw').hidden = !answer.powered_by; // every plan but Premium
    if (answer.project) W.teamName = answer.project.name; // the team's one name (auto messages too)
    if (W.teamName && !config.title) titleEl.textContent = W.teamName;
    consentAsked = answer.consent;
    emailKnown = answer.email_usable; // (before the header's text: it promises e-mail only then)
    setAvailability(answer.availability);
    setChat(answer.chat_id);
    prechat = answer.prechat;
    offerContact();
    return fetchMessages();
  }, function (error) {
    sessionCall = null;
    if (error.status === 404) { unavailable = 1; setState('offline', 'Chat is unavailable'); }
    throw error;
  });
}

function setChat(id) {
  if (id) { chatId = id; local('chat', id); }
  else if (!outbox.size) { chatId = null; local('chat', null); }
}

function lastServerId() {
  var last = '';
  messages.forEach(function (_, id) { if (id > last && id.indexOf('00auto-')) last = id; }); // not a local one
  return last;
}

// Merge a server message; returns 1 if it is new.
function merge(message) {
  if (!message || !message.id) return 0;
  var isNew = !messages.has(message.id);
  messages.set(message.id, message);
  // The stored auto message that began the dialogue replaces the one shown locally.
  if (/^auto\./.test(message.author_id)) messages.delete('00auto-' + message.author_id.slice(5));
  if (message.client_id && outbox.delete(message.client_id)) saveOutbox();
  return isNew ? 1 : 0;
}

// History / catch-up: GET /widget/messages?after=<last id held>, merged by id.
function fetchMessages(round) {
  var last = lastServerId(), asked = queuePlace && queuePlace.c === chatId; // told a place: is it still waiting?
  return api('GET', ('/widget/messages' + (last ? '&after=' + encodeURIComponent(last) : '') + (asked ? '&queue=1' : '')).replace('&', '?')).then(function (answer) {
    var added = 0, page = answer.messages || [];
    if (answer.chat_id) setChat(answer.chat_id);
    if (asked || answer.queue) setPlace(answer.queue, answer.chat_id);
    if (!last) hasOlder = answer.has_older;
    historyIn = 1;
    page.forEach(function (message) { added += merge(message); });
    // closed by the team, maybe while no tab was open: the closed line, rating and transcript button again
    if (answer.closed && closedChatId !== answer.chat_id) showClosed(answer.chat_id);
    update();
    // a full page of new messages may mean there are more
    if (added && page.length >= 20 && lastServerId() !== last && (round | 0) < 5) return fetchMessages((round | 0) + 1);
  }, function (error) {
    if (error.status === 401) { needSession = 1; if (socket) socket.close(); }
    throw error;
  });
}

// Scrolled to the top: the page of messages before the oldest held, the view kept still.
scroller.addEventListener('scroll', function () {
  var oldest = '';
  if (!hasOlder || olderCall || scroller.scrollTop > 60) return;
  messages.forEach(function (message, id) { if (message.chat_id === chatId && (!oldest || id < oldest)) oldest = id; });
  olderCall = oldest && api('GET', '/widget/messages?before=' + oldest).then(function (answer) {
    var fromBottom = scroller.scrollHeight - scroller.scrollTop;
    if (answer.chat_id === chatId) { hasOlder = answer.has_older; answer.messages.forEach(merge); }
    render();
    scroller.scrollTop = scroller.scrollHeight - fromBottom;
    olderCall = 0;
  }, function () { olderCall = 0; });
});

// ---------- WebSocket ----------
function wantSocket() { return !unavailable && (isOpen || chatId || outbox.size); }

function connect() {
  clearTimeout(retryTimer);
  if (socket || unavailable || sessionCall) return;
  if (needSession || !socketUrl) {
    session().then(connect, retry);
    return;
  }
  if (!wantSocket()) { setState('offline'); return; }
  setState('connecting');
  var opened = 0, own;
  try {
    own = socket = new WebSocket(socketUrl + (socketUrl.indexOf('?') < 0 ? '?' : '&') + 'token=' + encodeURIComponent(token));
  } catch (e) { socket = null; return retry(); }
  own.onopen = function () {
    opened = 1;
    socketOpen = 1;
    setState('connected');
    stableTimer = setTimeout(function () { retries = 0; }, 5000); // only a socket that stays up resets the backoff
    pingTimer = setInterval(ping, PING_EVERY);
    readSentUpTo = '';
    fetchMessages().then(sendOutbox, sendOutbox);
  };
  own.onmessage = function (event) { clearTimeout(pongTimer); onFrame(event.data); };
  own.onclose = function () {
    if (socket !== own) return;
    socket = null;
    socketOpen = 0;
    clearInterval(pingTimer); clearTimeout(pongTimer); clearTimeout(stableTimer);
    if (!opened) needSession = 1; // handshake refused: the token may be stale, re-run the session first
    retry();
  };
}

function retry() {
  clearTimeout(retryTimer);
  if (unavailable || socket) return;
  if (!wantSocket()) { setState('offline'); return; }
  setState('offline');
  var backoff = Math.min(3e4, 500 * Math.pow(2, Math.min(retries++, 10)));
  retryTimer = setTimeout(connect, backoff / 2 + Math.random() * backoff / 2); // 0.5s,1s,2s.. cap 30s, "equal jitter"
}

function reconnectNow() { retries = 0; if (!socket) connect(); }

function sendFrame(frame) {
  if (!socketOpen) return 0;
  frame.token = token = local('token') || token; // the loader's heartbeat may have renewed it
  try { socket.send(JSON.stringify(frame)); return 1; } catch (e) { return 0; }
}

// A socket that stopped answering (half-open): replaced now, as if it had closed.
function dropIfSilent(own) { if (socket === own) { own.onclose(); own.close(); } }

function ping() {
  if (!sendFrame({action: 'ping'})) return;
  var own = socket;
  clearTimeout(pongTimer);
  pongTimer = setTimeout(function () { dropIfSilent(own); }, 2e4);
}

function onFrame(raw) {
  clearTimeout(ackTimer); ackTimer = 0; // the socket is alive
  var frame;
  try { frame = JSON.parse(raw); } catch (e) { return; }
  var type = frame.type, message = frame.message, assignee = frame.assignee;
  // (an operator may reopen and close an older dialogue: not this one)
  var current = frame.chat_id === chatId || !/-\d+$/.test(chatId || '');
  if ('assignee_id' in frame) setAssignee(frame.assignee_id, 0, message && message.chat_id);
  if (type === 'assigned' && current) setAssignee(assignee && assignee.id, assignee && assignee.name, frame.chat_id);
  if (type === 'queue' && current) setPlace(frame.position, frame.chat_id);
  if (type === 'closed' && current) showClosed(frame.chat_id);
  if (type === 'availability') setAvailability(frame.availability); // the team came or went
  if (type === 'reopened' && frame.chat_id === closedChatId) { closedChatId = null; removeClosedNote(); }
  if (type === 'rated' && closedNote && frame.chat_id === closedChatId) closedNote.lastChild.textContent = 'Thanks for your feedback';
  if (type === 'ack' && message) {
    if (outbox.delete(frame.client_id)) saveOutbox();
    if (message.chat_id === closedChatId) closedChatId = null; // visitors write only into open dialogues: reopened
    merge(message);
    setChat(message.chat_id);
    update();
    offerContact(1); // stored: the chat a name given now renames exists
  } else if (type === 'message' && message) {
    if (merge(message)) {
      if (message.author_type === 'operator') showTyping(false);
      if (message.chat_id) setChat(message.chat_id);
      update();
    }
  } else if (type === 'typing') {
    if (frame.author_type === 'operator') showTyping(frame.typing);
  } else if (type === 'read') {
    if (frame.reader === 'operator') { teamReadUpTo = lastServerId(); render(); }
  } else if (type === 'error' && frame.code === 'consent_required' && frame.consent) {
    askConsent(frame.consent); // the message stays pending and goes once the visitor agrees
    render();
  } else if (type === 'error') {
    var sent = frame.client_id && outbox.get(frame.client_id);
    if (sent) {
      sent.failed = frame.code || 'error';
      sent.err = frame.code === 'too_large' ? 'Message is too long.' : frame.message || 'Message not delivered.';
      saveOutbox();
      render();
    } else if (frame.code === 'unauthorized') {
      needSession = 1;
      if (socket) socket.close();
    }
  }
}
