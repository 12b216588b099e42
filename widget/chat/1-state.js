/*! Live chat widget UI. docs/API.md */
// Loaded on demand by loader.js, takes over window.__lcWidget. Contract: docs/API.md
// (Widget REST + WebSocket). Message data is only ever set via textContent. (The served
// header is kept short: every byte of it is paid by each visitor who opens the chat.)
// chat.js is built from the files of widget/chat/, in name order, inside one function
// (infra/widget_build.py; widget/README.md lists them and the members of W they share):
// this one holds the chat's state; the others build the panel, talk to the server,
// compose, render, and open and close it.
var config = W.config, apiUrl = config.api, box = W.box;
var launcher = box.querySelector('.lc-launch'), badge = launcher.lastChild; // the loader's
var MAX_LENGTH = 4000, PING_EVERY = 27e4, TYPING_EVERY = 3000, TYPING_IDLE = 3000;

// ---------- storage (localStorage may throw: private mode, sandboxed iframes) ----------
var memoryStore = {};
function storage(area, name, value) {
  var key = W.prefix + name;
  try {
    var store = w[area];
    if (value === undefined) return store.getItem(key);
    if (value === null) store.removeItem(key); else store.setItem(key, value);
  } catch (e) {
    if (value === undefined) return memoryStore[key] || null;
    memoryStore[key] = value;
  }
}
function local(name, value) { return storage('localStorage', name, value); }

// ---------- state ----------
var token = local('token'), socketUrl = null, chatId = local('chat'), needSession = 1, sessionCall = null, unavailable = 0;
// Who the server last said the dialogue is assigned to: sent back as a hint with each
// message so the server can route it without reading the dialogue (it checks it).
// answering: {c: dialogue, id, name} once a frame named them (kept as 'as').
// closedChatId: the dialogue the team closed; closedNote: the line that says so.
// queuePlace: {c: dialogue, n: place in line} while it waits for a free member (kept as 'q').
var assigneeId = null, answering = null, closedChatId = null, closedNote = null, queuePlace = null;
// The privacy-consent version the visitor agreed to (a project may ask before a dialogue);
// consentAsked: what the session says the project asks. historyIn: the history is in.
// hasOlder: the server has older messages of this dialogue (loaded as the visitor scrolls up).
var consentVersion = null, consentBox = null, consentAsked = null, historyIn = 0, hasOlder = 0, olderCall = 0;
// messages: the server's, by id; outbox: the visitor's not yet acknowledged, by client_id;
// messageNodes: the rendered element of each, by id or client_id.
var messages = new Map(), outbox = new Map(), messageNodes = new Map();
// The socket; stableTimer resets the backoff once a socket stays up, ackTimer and
// pongTimer replace one that stopped answering.
var socket = null, socketOpen = 0, retries = 0, retryTimer = 0, pingTimer = 0, pongTimer = 0, stableTimer = 0, ackTimer = 0;
// seenUpTo: the last message id the visitor saw (the badge counts after it); readSentUpTo:
// the last operator message a read receipt went for; teamReadUpTo: what the team has read.
var isOpen = 0, seenUpTo = local('seen') || '', readSentUpTo = '', teamReadUpTo = '';
var typingSentAt = 0, typingIdleTimer = 0, operatorTypingTimer = 0, stickToBottom = 1;
// An auto message (auto.js) shown in the conversation, until the visitor replies.
var autoMessageId = null;
