// The chat panel: its styles and markup (in the loader's shadow root, before the
// launcher), the header's status line and who is answering.

// ---------- DOM ----------
var ICON_SEND = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z"/></svg>';
var ICON_X = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 6l12 12M18 6 6 18"/></svg>';
var STYLES =
  '.lc-panel [hidden]{display:none}.lc-panel{position:fixed;right:20px;bottom:20px;width:380px;height:640px;max-height:calc(100vh - 40px);display:none;' +
  'flex-direction:column;background:#fff;border-radius:16px;overflow:hidden;color:#1f2937;' +
  'box-shadow:0 12px 48px rgba(17,24,39,.22),0 2px 8px rgba(17,24,39,.08)}' +
  '.lc-open .lc-panel{display:flex;animation:lc-in .22s cubic-bezier(.2,.8,.2,1)}' +
  '@keyframes lc-in{from{opacity:0;transform:translateY(16px) scale(.98)}}' +
  '.lc-head{flex:none;display:flex;align-items:center;gap:12px;padding:14px 10px 14px 16px;color:#fff;' +
  'background:var(--lc-accent);background-image:linear-gradient(135deg,rgba(255,255,255,.14),rgba(0,0,0,.14))}' +
  '.lc-av{flex:none;width:40px;height:40px;border-radius:50%;background:rgba(255,255,255,.2);display:flex;align-items:center;justify-content:center}' +
  '.lc-av svg{width:22px;height:22px;fill:#fff}' +
  '.lc-av b{font-size:18px}.lc-av b:empty,.lc-av b:not(:empty)+svg{display:none}' +
  '.lc-ht{flex:1;min-width:0}' +
  '.lc-title{font-weight:600;font-size:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}' +
  '.lc-status{display:flex;align-items:center;gap:6px;font-size:12.5px;opacity:.92}' +
  '.lc-status i{flex:none;width:8px;height:8px;border-radius:50%;background:#d1d5db;opacity:.5}[data-lc-state=connected] .lc-status i{opacity:1}' +
  '[data-lc-team=online] .lc-status i{background:#34d399}[data-lc-team=away] .lc-status i{background:#fbbf24}' +
  '.lc-x,.lc-send,.lc-retry{all:unset;box-sizing:border-box;cursor:pointer}' +
  '.lc-x{flex:none;width:36px;height:36px;border-radius:50%;display:flex;align-items:center;justify-content:center;transition:.15s}' +
  '.lc-x:hover{background:rgba(255,255,255,.18)}' +
  '.lc-x svg{width:20px;height:20px;fill:none;stroke:#fff;stroke-width:2.2;stroke-linecap:round}' +
  '.lc-x:focus-visible{outline:2px solid #fff}' +
  '.lc-body{flex:1;overflow-y:auto;padding:16px 14px 10px;background:#f7f8fa;overscroll-behavior:contain}' +
  '.lc-msg{display:flex;flex-direction:column;align-items:flex-start;margin-top:3px}' +
  '.lc-msg.lc-g{margin-top:14px}' +
  '.lc-msg.lc-visitor{align-items:flex-end}' +
  '.lc-msg.lc-system{align-items:center}' +
  '.lc-name{font-size:12px;font-weight:500;color:#6b7280;margin:0 10px 3px}' +
  '.lc-bubble{max-width:82%;padding:9px 13px;border-radius:18px;font-size:14.5px;line-height:1.42;white-space:pre-wrap;overflow-wrap:anywhere}' +
  '.lc-operator .lc-bubble,.lc-greet{background:#fff;color:#111827;border:1px solid #eceef2;box-shadow:0 1px 2px rgba(17,24,39,.06);border-bottom-left-radius:6px}' +
  '.lc-visitor .lc-bubble{background:var(--lc-accent);color:#fff;border-bottom-right-radius:6px}' +
  '.lc-link{color:inherit;text-decoration:underline}.lc-file{display:block;margin-top:6px;color:inherit;font-size:13px}.lc-img{display:block;max-width:100%;border-radius:10px;margin-bottom:6px}' +
  '.lc-msg .lc-acts{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}.lc-msg .lc-acts button{all:unset;cursor:pointer;font-size:13px;padding:5px 10px;' +
  'border-radius:999px;border:1px solid var(--lc-accent);color:var(--lc-accent)}.lc-msg .lc-acts button:focus-visible{outline:2px solid var(--lc-accent);outline-offset:2px}' +
  '.lc-system .lc-bubble{color:#6b7280;font-size:12.5px;text-align:center;padding:4px 8px}' +
  '.lc-pending .lc-bubble{opacity:.65}' +
  '.lc-failed .lc-bubble{background:#fee2e2;color:#991b1b}' +
  '.lc-meta{font-size:11px;color:#9ca3af;margin:4px 8px 0}' +
  '.lc-err{font-size:12px;color:#dc2626;margin:4px 8px 0}' +
  '.lc-retry{color:var(--lc-accent);font-weight:600;text-decoration:underline;margin-left:6px}' +
  '.lc-typing{flex:none;display:flex;align-items:center;gap:8px;padding:2px 18px 8px;font-size:12.5px;color:#6b7280;background:#f7f8fa}' +
    '.lc-dots i{display:inline-block;width:6px;height:6px;margin-right:3px;border-radius:50%;background:#9ca3af;animation:lc-b 1.2s infinite}' +
  '.lc-dots i:nth-child(2){animation-delay:.15s}.lc-dots i:nth-child(3){animation-delay:.3s}' +
  '@keyframes lc-b{0%,60%,100%{transform:none;opacity:.5}30%{transform:translateY(-4px);opacity:1}}' +
  '.lc-form{flex:none;display:flex;align-items:flex-end;gap:8px;padding:10px 12px;padding-bottom:max(10px,env(safe-area-inset-bottom));border-top:1px solid #eceef2;background:#fff}' +
  '.lc-in{all:unset;box-sizing:border-box;flex:1;min-width:0;height:42px;max-height:124px;padding:10px 14px;border-radius:21px;' +
  'background:#f3f4f6;color:#111827;font-size:15px;line-height:22px;overflow-y:auto;white-space:pre-wrap;overflow-wrap:anywhere;transition:.15s}' +
  '.lc-in::placeholder{color:#9ca3af}' +
  '.lc-in:focus{background:#fff;box-shadow:inset 0 0 0 1.5px var(--lc-accent)}' +
  '.lc-send{flex:none;width:42px;height:42px;border-radius:50%;background:var(--lc-accent);display:flex;align-items:center;justify-content:center;transition:.15s}' +
  '.lc-send:active{transform:scale(.92)}' +
  '.lc-send:focus-visible{outline:3px solid rgba(79,70,229,.4);outline-offset:2px}' +
  '.lc-send svg{width:20px;height:20px;fill:#fff}' +
  '.lc-send.lc-dim{opacity:.45}' +
  '.lc-note{font-size:12px;color:#6b7280;padding:0 18px 8px;background:#fff;text-align:right}' +
  '.lc-note.lc-bad{color:#dc2626}' +
  '.lc-pw{font-size:11px;color:#9ca3af;text-align:center;padding:0 0 6px;background:#fff}' +
  '.lc-end{margin-top:14px;text-align:center;font-size:12.5px;color:#6b7280}' +
  '.lc-rate{margin:10px 0 4px;padding:12px;background:#fff;border:1px solid #eceef2;border-radius:14px;color:#374151;font-size:13.5px}' +
  '.lc-rate button{margin:8px 3px 0;padding:6px 12px;border:1px solid #d1d5db;border-radius:16px;background:#fff;font:inherit;cursor:pointer}' +
  '.lc-rate :disabled{opacity:.5}.lc-rate [aria-pressed=true]{opacity:1;border-color:var(--lc-accent)}' +
  '.lc-rate input{display:block;width:100%;margin-top:8px;padding:8px 10px;border:1px solid #d1d5db;border-radius:8px;font:inherit}' +
  '.lc-consent{padding:10px 18px;font-size:13px;line-height:1.4;background:#f9fafb;border-top:1px solid #e5e7eb;color:#374151}' +
  '.lc-consent a{color:inherit;text-decoration:underline;margin-left:4px}' +
  '.lc-consent button{display:block;margin-top:8px;padding:6px 14px;border:0;border-radius:8px;background:#111827;color:#fff;font:inherit;cursor:pointer}' +
  '@media (max-width:480px){.lc-panel{top:0;right:0;bottom:0;left:0;width:auto;height:auto;max-height:none;border-radius:0}' +
  '.lc-in{font-size:16px}}';

var style = d.createElement('style');
style.textContent = STYLES;
W.root.insertBefore(style, box);

var panel = d.createElement('div');
panel.className = 'lc-panel';
panel.id = 'lc-panel';
panel.setAttribute('role', 'dialog');
panel.setAttribute('aria-label', 'Chat');
panel.innerHTML =
  '<div class="lc-head"><div class="lc-av" aria-hidden="true"><b></b>' + launcher.firstChild.outerHTML + '</div><div class="lc-ht"><div class="lc-title"></div>' +
  '<div class="lc-status"><i></i><span></span></div></div>' +
  '<button type="button" class="lc-x" aria-label="Close chat">' + ICON_X + '</button></div>' +
  '<div class="lc-body"><div class="lc-msg lc-intro"><div class="lc-bubble lc-greet"></div></div>' +
  '<div class="lc-list" role="log" aria-live="polite"></div></div>' +
  '<div class="lc-typing" hidden><span class="lc-dots"><i></i><i></i><i></i></span>Operator is typing\u2026</div>' +
  '<form class="lc-form"><textarea class="lc-in" rows="1" aria-label="Message" placeholder="Write a message\u2026" maxlength="' + MAX_LENGTH + '"></textarea>' +
  '<button type="submit" class="lc-send lc-dim" aria-label="Send">' + ICON_SEND + '</button></form>' +
  '<div class="lc-note" hidden aria-live="polite"></div><div class="lc-pw" hidden>Powered by Live Chat</div>';
box.insertBefore(panel, launcher);

function inPanel(selector) { return panel.querySelector(selector); }
var titleEl = inPanel('.lc-title'), statusEl = inPanel('.lc-status span'), scroller = inPanel('.lc-body'), messageList = inPanel('.lc-list'),
  typingLine = inPanel('.lc-typing'), form = inPanel('form'), input = inPanel('textarea'), sendButton = inPanel('.lc-send'), noteLine = inPanel('.lc-note');
titleEl.textContent = config.title || 'Chat with us';
inPanel('.lc-greet').textContent = config.greeting || 'Hi there! How can we help you today?';
launcher.setAttribute('aria-controls', 'lc-panel');

function el(tag, className, text) {
  var element = d.createElement(tag);
  if (className) element.className = className;
  if (text != null) element.textContent = text;
  return element;
}

// ---------- connection state (test hook: data-lc-state on the container) ----------
var STATUS = {connecting: 'Connecting\u2026', offline: 'Offline \u00b7 reconnecting\u2026'};
// Connected, the status line says who answers, else the visitor's place while the chat
// waits, else whether the team is there (the session's availability: online, away, or
// offline and when it is back, in the visitor's own time zone and language).
function setState(state, text) { // no state: the socket's as it was
  state = state || box.getAttribute('data-lc-state');
  var place = queuePlace && queuePlace.c === chatId && queuePlace.c !== closedChatId && queuePlace.n;
  box.setAttribute('data-lc-state', state);
  statusEl.textContent = text || (state !== 'connected' ? STATUS[state] : answering ? answering.name + ' is answering' :
    place ? (availability.state === 'offline' ? teamText() + ' \u2013 you are ' : 'All our team is busy \u2013 you are ') +
    (place > 1 ? 'number ' + place + ' in line' : 'next') : teamText());
}

// Away, the text promises a reply by e-mail only where replies really go there
// (`email_replies`) and to an address the team may write to (`email_usable`); online, how soon the team typically answers (`reply_minutes`, from
// real first replies, whole minutes: absent until there are enough of them).
var availability = {}, availabilityTimer = 0;
function teamText() {
  var opens = availability.opens_at && new Date(availability.opens_at), state = availability.state, minutes = availability.reply_minutes;
  return state === 'offline' && opens ? 'We\u2019re back ' + dayOf(opens) + ' at ' + timeOf(opens) :
    state && state !== 'online' ? 'We\u2019re away \u00b7 leave a message and we\u2019ll reply ' + (availability.email_replies && emailKnown ? 'by e-mail' : 'here soon') :
    minutes ? 'Typically replies in ' + (minutes < 90 ? minutes + ' min' : Math.round(minutes / 60) + ' hours') : 'Online';
}
function dayOf(at) {
  var days = Math.round((new Date(at).setHours(0, 0, 0, 0) - new Date().setHours(0, 0, 0, 0)) / 864e5);
  return days < 1 ? 'today' : days < 2 ? 'tomorrow' : at.toLocaleDateString([], days < 7 ? {weekday: 'long'} : {weekday: 'long', month: 'long', day: 'numeric'});
}
// At closing time the widget goes offline by itself; at opening it asks the server who is there.
function setAvailability(value) {
  availability = value || {};
  box.setAttribute('data-lc-team', availability.state); // the dot (the socket only dims it)
  clearTimeout(availabilityTimer);
  var change = availability.closes_at || availability.state === 'offline' && availability.opens_at, wait = change && new Date(change) - Date.now();
  if (wait > 0 && wait < 2e9) availabilityTimer = setTimeout(function () {
    if (availability.closes_at) setAvailability({state: 'offline', opens_at: availability.opens_at});
    else api('POST', '/widget/session', W.facts()).then(function (answer) { setAvailability(answer.availability); }, function () {});
  }, wait + 500);
  setState();
}
setState('connecting');

// Who answers: assigned frames name them, ack/message frames give the id only.
function setAssignee(id, name, dialogueId) {
  assigneeId = id || null;
  if (id) setPlace(0); // someone took it: out of the line
  if (!name && answering && answering.id === id) name = answering.name;
  name = name && String(name).trim();
  answering = id && name ? {c: dialogueId || chatId, id: id, name: name} : null;
  local('as', answering && JSON.stringify(answering));
  inPanel('.lc-av b').textContent = answering ? Array.from(name)[0].toUpperCase() : '';
  setState();
}

// The place in line (queue frames, the history's queue; 0: not waiting).
function setPlace(place, dialogueId) {
  queuePlace = place ? {c: dialogueId || chatId, n: place} : null;
  local('q', queuePlace && JSON.stringify(queuePlace));
  setState();
}
try {
  queuePlace = JSON.parse(local('q'));
  var stored = JSON.parse(local('as'));
  if (stored && stored.c === chatId) setAssignee(stored.id, stored.name, stored.c);
} catch (e) { /* none stored, or unreadable: no name shown */ }
