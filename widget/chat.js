/*! Live chat widget UI. Loaded on demand by loader.js, takes over window.__lcWidget.
 * Contract: docs/API.md (Widget REST + WebSocket). Message data is only ever set via textContent. */
(function (w, d) {
  var W = w.__lcWidget;
  if (!W || W.chat || !W.root) return;
  W.chat = 1;

  var C = W.config, API = C.api, box = W.box, btn = W.btn, badgeEl = W.badge;
  var MAX = 4000, PING = 27e4, TYPING_EVERY = 3000, TYPING_IDLE = 3000;

  // ---------- storage (localStorage may throw: private mode, sandboxed iframes) ----------
  var mem = {};
  function store(area, k, v) {
    k = W.prefix + k;
    try {
      var s = w[area];
      if (v === undefined) return s.getItem(k);
      if (v === null) s.removeItem(k); else s.setItem(k, v);
    } catch (e) {
      if (v === undefined) return mem[k] || null;
      mem[k] = v;
    }
  }
  function ls(k, v) { return store('localStorage', k, v); }

  // ---------- state ----------
  var token = ls('token'), wsUrl = null, chatId = ls('chat'), needSession = 1, sessP = null, dead = 0;
  // Who the server last said the dialogue is assigned to: sent back as a hint with each
  // message so the server can route it without reading the dialogue (it checks it).
  // asg: {c: dialogue, id, name} once a frame named them. ended: the dialogue the team closed.
  var assignee = null, asg = null, ended = null, endEl = null;
  // The privacy-consent version the visitor agreed to (a project may ask before a dialogue);
  // cons: what the session says the project asks. hist: the history is in. older: the
  // server has older messages of this dialogue (loaded as the visitor scrolls up).
  var consentVersion = null, consentEl = null, cons = null, hist = 0, older = 0, oldL = 0;
  var msgs = new Map(), pend = new Map(), els = new Map();
  var ws = null, wsOpen = 0, tries = 0, timer = 0, hb = 0, pongT = 0, okT = 0, ackT = 0;
  var isOpen = 0, seen = ls('seen') || '', readSent = '', readUpTo = '';
  var typSent = 0, typIdle = 0, opTypT = 0, stickBottom = 1;

  // ---------- DOM ----------
  var ICON_SEND = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z"/></svg>';
  var ICON_X = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 6l12 12M18 6 6 18"/></svg>';
  var ICON_CHAT = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4.3 21l4-2.1c1.2.4 2.4.6 3.7.6 5.5 0 10-3.8 10-8.5S17.5 3 12 3z"/></svg>';
  var CSS =
    '.lc-panel{position:fixed;right:20px;bottom:20px;width:380px;height:640px;max-height:calc(100vh - 40px);display:none;' +
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
    '.lc-status i{flex:none;width:8px;height:8px;border-radius:50%;background:#d1d5db}' +
    '[data-lc-state=connected] .lc-status i{background:#34d399}' +
    '[data-lc-state=connecting] .lc-status i{background:#fbbf24}' +
    '.lc-x,.lc-send,.lc-retry{all:unset;box-sizing:border-box;cursor:pointer}' +
    '.lc-x{flex:none;width:36px;height:36px;border-radius:50%;display:flex;align-items:center;justify-content:center;transition:background .15s}' +
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
    '.lc-msg .lc-acts{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}.lc-msg .lc-acts button{all:unset;cursor:pointer;font:inherit;font-size:13px;padding:5px 10px;' +
    'border-radius:999px;border:1px solid var(--lc-accent);color:var(--lc-accent)}.lc-msg .lc-acts button:focus-visible{outline:2px solid var(--lc-accent);outline-offset:2px}' +
    '.lc-system .lc-bubble{color:#6b7280;font-size:12.5px;text-align:center;padding:4px 8px}' +
    '.lc-pending .lc-bubble{opacity:.65}' +
    '.lc-failed .lc-bubble{background:#fee2e2;color:#991b1b}' +
    '.lc-meta{font-size:11px;color:#9ca3af;margin:4px 8px 0}' +
    '.lc-err{font-size:12px;color:#dc2626;margin:4px 8px 0}' +
    '.lc-retry{color:var(--lc-accent);font-weight:600;text-decoration:underline;margin-left:6px}' +
    '.lc-typing{flex:none;display:flex;align-items:center;gap:8px;padding:2px 18px 8px;font-size:12.5px;color:#6b7280;background:#f7f8fa}' +
    '.lc-typing[hidden],.lc-note[hidden]{display:none}' +
    '.lc-dots i{display:inline-block;width:6px;height:6px;margin-right:3px;border-radius:50%;background:#9ca3af;animation:lc-b 1.2s infinite}' +
    '.lc-dots i:nth-child(2){animation-delay:.15s}.lc-dots i:nth-child(3){animation-delay:.3s}' +
    '@keyframes lc-b{0%,60%,100%{transform:none;opacity:.5}30%{transform:translateY(-4px);opacity:1}}' +
    '.lc-form{flex:none;display:flex;align-items:flex-end;gap:8px;padding:10px 12px;padding-bottom:max(10px,env(safe-area-inset-bottom));border-top:1px solid #eceef2;background:#fff}' +
    '.lc-in{all:unset;box-sizing:border-box;display:block;flex:1;min-width:0;height:42px;max-height:124px;padding:10px 14px;border-radius:21px;' +
    'background:#f3f4f6;color:#111827;font-size:15px;line-height:22px;overflow-y:auto;white-space:pre-wrap;overflow-wrap:anywhere;transition:box-shadow .15s,background .15s}' +
    '.lc-in::placeholder{color:#9ca3af}' +
    '.lc-in:focus{background:#fff;box-shadow:inset 0 0 0 1.5px var(--lc-accent)}' +
    '.lc-send{flex:none;width:42px;height:42px;border-radius:50%;background:var(--lc-accent);color:#fff;display:flex;align-items:center;justify-content:center;transition:opacity .15s,transform .1s}' +
    '.lc-send:active{transform:scale(.92)}' +
    '.lc-send:focus-visible{outline:3px solid rgba(79,70,229,.4);outline-offset:2px}' +
    '.lc-send svg{width:20px;height:20px;fill:currentColor}' +
    '.lc-send.lc-dim{opacity:.45}' +
    '.lc-note{font-size:12px;color:#6b7280;padding:0 18px 8px;background:#fff;text-align:right}' +
    '.lc-note.lc-bad{color:#dc2626}' +
    '.lc-pw{font-size:11px;color:#9ca3af;text-align:center;padding:0 0 6px;background:#fff}.lc-pw[hidden]{display:none}' +
    '.lc-end{margin-top:14px;text-align:center;font-size:12.5px;color:#6b7280}' +
    '.lc-rate{margin:10px 0 4px;padding:12px;background:#fff;border:1px solid #eceef2;border-radius:14px;color:#374151;font-size:13.5px}' +
    '.lc-rate button{margin:8px 3px 0;padding:6px 12px;border:1px solid #d1d5db;border-radius:16px;background:#fff;font:inherit;cursor:pointer}' +
    '.lc-rate :disabled{opacity:.5}.lc-rate [aria-pressed=true]{opacity:1;border-color:var(--lc-accent)}' +
    '.lc-consent{padding:10px 18px;font-size:13px;line-height:1.4;background:#f9fafb;border-top:1px solid #e5e7eb;color:#374151}' +
    '.lc-consent a{color:inherit;text-decoration:underline;margin-left:4px}' +
    '.lc-consent button{display:block;margin-top:8px;padding:6px 14px;border:0;border-radius:8px;background:#111827;color:#fff;font:inherit;cursor:pointer}' +
    '@media (max-width:480px){.lc-panel{top:0;right:0;bottom:0;left:0;width:auto;height:auto;max-height:none;border-radius:0}' +
    '.lc-in{font-size:16px}}';

  var st = d.createElement('style');
  st.textContent = CSS;
  W.root.insertBefore(st, box);

  var panel = d.createElement('div');
  panel.className = 'lc-panel';
  panel.id = 'lc-panel';
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', 'Chat');
  panel.innerHTML =
    '<div class="lc-head"><div class="lc-av" aria-hidden="true"><b></b>' + ICON_CHAT + '</div><div class="lc-ht"><div class="lc-title"></div>' +
    '<div class="lc-status"><i></i><span></span></div></div>' +
    '<button type="button" class="lc-x" aria-label="Close chat">' + ICON_X + '</button></div>' +
    '<div class="lc-body"><div class="lc-msg lc-intro"><div class="lc-bubble lc-greet"></div></div>' +
    '<div class="lc-list" role="log" aria-live="polite"></div></div>' +
    '<div class="lc-typing" hidden><span class="lc-dots"><i></i><i></i><i></i></span>Operator is typing\u2026</div>' +
    '<form class="lc-form"><textarea class="lc-in" rows="1" aria-label="Message" placeholder="Write a message\u2026" maxlength="' + MAX + '"></textarea>' +
    '<button type="submit" class="lc-send lc-dim" aria-label="Send">' + ICON_SEND + '</button></form>' +
    '<div class="lc-note" hidden aria-live="polite"></div><div class="lc-pw" hidden>Powered by Live Chat</div>';
  box.insertBefore(panel, btn);

  function q(sel) { return panel.querySelector(sel); }
  var titleEl = q('.lc-title'), statusEl = q('.lc-status span'), body = q('.lc-body'), list = q('.lc-list'),
    typingEl = q('.lc-typing'), form = q('form'), ta = q('textarea'), sendBtn = q('.lc-send'), note = q('.lc-note');
  titleEl.textContent = C.title || 'Chat with us';
  q('.lc-greet').textContent = C.greeting || 'Hi there! How can we help you today?';
  btn.setAttribute('aria-controls', 'lc-panel');

  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // ---------- connection state (test hook: data-lc-state on the container) ----------
  var STATUS = {connected: 'Online \u00b7 we reply as soon as we can', connecting: 'Connecting\u2026', offline: 'Offline \u00b7 reconnecting\u2026'};
  function setState(s, text) {
    box.setAttribute('data-lc-state', s);
    statusEl.textContent = text || (s === 'connected' && asg ? asg.name + ' is answering' : STATUS[s]);
  }
  setState('connecting');

  // Who answers: assigned frames name them, ack/message frames give the id only.
  function setAsg(id, name, c) {
    assignee = id || null;
    if (!name && asg && asg.id === id) name = asg.name;
    name = name && String(name).trim();
    asg = id && name ? {c: c || chatId, id: id, name: name} : null;
    ls('as', asg && JSON.stringify(asg));
    q('.lc-av b').textContent = asg ? Array.from(name)[0].toUpperCase() : '';
    setState(box.getAttribute('data-lc-state'));
  }
  try { var a0 = JSON.parse(ls('as')); if (a0 && a0.c === chatId) setAsg(a0.id, a0.name, a0.c); } catch (e) { /* none stored, or unreadable: no name shown */ }

  // ---------- REST ----------
  function api(method, path, data) {
    var h = {};
    // text/plain keeps the per-page-view session call a CORS simple request (no preflight)
    if (data) h['Content-Type'] = 'text/plain;charset=UTF-8';
    if (token && path.indexOf('/widget/messages') === 0) h.Authorization = 'Bearer ' + token;
    return fetch(API + path, {method: method, headers: h, body: data ? JSON.stringify(data) : undefined, credentials: 'omit'})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) { var e = new Error((j.error && j.error.message) || r.status); e.status = r.status; e.code = j.error && j.error.code; throw e; }
          return j;
        });
      });
  }

  function session() {
    if (sessP) return sessP;
    setState('connecting');
    // The loader's page-view session is the first one: no second request for it.
    var first = W.sess;
    W.sess = null;
    return sessP = (first ? Promise.resolve(first) : api('POST', '/widget/session', W.facts())).then(function (r) {
      sessP = null;
      needSession = 0;
      if (r.visitor_id !== ls('vid')) { // a new visitor: the old history isn't theirs
        msgs.clear(); seen = readSent = readUpTo = ''; ls('seen', null); ls('vid', r.visitor_id);
      }
      token = r.token;
      ls('token', token);
      wsUrl = r.ws_url;
      q('.lc-pw').hidden = !r.powered_by; // every plan but Premium
      if (r.project) W.pn = r.project.name; // the team's one name (auto messages too)
      if (W.pn && !C.title) titleEl.textContent = W.pn;
      cons = r.consent;
      setChat(r.chat_id);
      return fetchMsgs();
    }, function (e) {
      sessP = null;
      if (e.status === 404) { dead = 1; setState('offline', 'Chat is unavailable'); }
      throw e;
    });
  }

  function setChat(id) {
    if (id) { chatId = id; ls('chat', id); }
    else if (!pend.size) { chatId = null; ls('chat', null); }
  }

  function maxId() {
    var m = '';
    msgs.forEach(function (_, id) { if (id > m && id.indexOf('00auto-')) m = id; }); // not a local one
    return m;
  }

  // Merge a server message; returns 1 if it is new.
  function add(m) {
    if (!m || !m.id) return 0;
    var isNew = !msgs.has(m.id);
    msgs.set(m.id, m);
    // The stored auto message that began the dialogue replaces the one shown locally.
    if (/^auto\./.test(m.author_id)) msgs.delete('00auto-' + m.author_id.slice(5));
    if (m.client_id && pend.delete(m.client_id)) savePend();
    return isNew ? 1 : 0;
  }

  // History / catch-up: GET /widget/messages?after=<last id held>, merged by id.
  function fetchMsgs(n) {
    var last = maxId();
    return api('GET', '/widget/messages' + (last ? '?after=' + encodeURIComponent(last) : '')).then(function (r) {
      var added = 0, ms = r.messages || [];
      if (r.chat_id) setChat(r.chat_id);
      if (r.closed) ended = r.chat_id; // closed by the team, maybe while no tab was open
      if (!last) older = r.has_older;
      hist = 1;
      ms.forEach(function (m) { added += add(m); });
      update();
      // a full page of new messages may mean there are more
      if (added && ms.length >= 20 && maxId() !== last && (n | 0) < 5) return fetchMsgs((n | 0) + 1);
    }, function (e) {
      if (e.status === 401) { needSession = 1; if (ws) ws.close(); }
      throw e;
    });
  }

  // Scrolled to the top: the page of messages before the oldest held, the view kept still.
  body.addEventListener('scroll', function () {
    var low = '';
    if (!older || oldL || body.scrollTop > 60) return;
    msgs.forEach(function (m, id) { if (m.chat_id === chatId && (!low || id < low)) low = id; });
    oldL = low && api('GET', '/widget/messages?before=' + low).then(function (r) {
      var h = body.scrollHeight - body.scrollTop;
      if (r.chat_id === chatId) { older = r.has_older; r.messages.forEach(add); }
      render();
      body.scrollTop = body.scrollHeight - h;
      oldL = 0;
    }, function () { oldL = 0; });
  });

  // ---------- WebSocket ----------
  function want() { return !dead && (isOpen || chatId || pend.size); }

  function connect() {
    clearTimeout(timer);
    if (ws || dead || sessP) return;
    if (needSession || !wsUrl) {
      session().then(connect, retry);
      return;
    }
    if (!want()) { setState('offline'); return; }
    setState('connecting');
    var opened = 0, s;
    try {
      s = ws = new WebSocket(wsUrl + (wsUrl.indexOf('?') < 0 ? '?' : '&') + 'token=' + encodeURIComponent(token));
    } catch (e) { ws = null; return retry(); }
    s.onopen = function () {
      opened = 1;
      wsOpen = 1;
      setState('connected');
      okT = setTimeout(function () { tries = 0; }, 5000); // only a socket that stays up resets the backoff
      hb = setInterval(ping, PING);
      readSent = '';
      fetchMsgs().then(flush, flush);
    };
    s.onmessage = function (e) { clearTimeout(pongT); onFrame(e.data); };
    s.onclose = function () {
      if (ws !== s) return;
      ws = null;
      wsOpen = 0;
      clearInterval(hb); clearTimeout(pongT); clearTimeout(okT);
      if (!opened) needSession = 1; // handshake refused: the token may be stale, re-run the session first
      retry();
    };
  }

  function retry() {
    clearTimeout(timer);
    if (dead || ws) return;
    if (!want()) { setState('offline'); return; }
    setState('offline');
    var b = Math.min(3e4, 500 * Math.pow(2, Math.min(tries++, 10)));
    timer = setTimeout(connect, b / 2 + Math.random() * b / 2); // 0.5s,1s,2s.. cap 30s, "equal jitter"
  }

  function reconnectNow() { tries = 0; if (!ws) connect(); }

  function wsSend(o) {
    if (!wsOpen) return 0;
    o.token = token = ls('token') || token; // the loader's heartbeat may have renewed it
    try { ws.send(JSON.stringify(o)); return 1; } catch (e) { return 0; }
  }

  function ping() {
    if (!wsSend({action: 'ping'})) return;
    var s = ws;
    clearTimeout(pongT);
    pongT = setTimeout(function () { if (ws === s) { s.onclose(); s.close(); } }, 2e4); // half-open socket
  }

  function onFrame(raw) {
    clearTimeout(ackT); ackT = 0; // the socket is alive
    var f;
    try { f = JSON.parse(raw); } catch (e) { return; }
    var m = f.message;
    // (an operator may reopen and close an older dialogue: not this one)
    var cur = f.chat_id === chatId || !/-\d+$/.test(chatId || '');
    if ('assignee_id' in f) setAsg(f.assignee_id, 0, m && m.chat_id);
    if (f.type === 'assigned' && cur) setAsg(f.assignee && f.assignee.id, f.assignee && f.assignee.name, f.chat_id);
    if (f.type === 'closed' && cur) closed(f.chat_id);
    if (f.type === 'reopened' && f.chat_id === ended) { ended = null; unEnd(); }
    if (f.type === 'rated' && endEl && f.chat_id === ended) endEl.lastChild.textContent = 'Thanks for your feedback';
    if (f.type === 'ack' && m) {
      if (pend.delete(f.client_id)) savePend();
      if (m.chat_id === ended) ended = null; // visitors write only into open dialogues: reopened
      add(m);
      setChat(m.chat_id);
      update();
    } else if (f.type === 'message' && m) {
      if (add(m)) {
        if (m.author_type === 'operator') showTyping(false);
        if (m.chat_id) setChat(m.chat_id);
        update();
      }
    } else if (f.type === 'typing') {
      if (f.author_type === 'operator') showTyping(f.typing);
    } else if (f.type === 'read') {
      if (f.reader === 'operator') { readUpTo = maxId(); render(); }
    } else if (f.type === 'error' && f.code === 'consent_required' && f.consent) {
      askConsent(f.consent); // the message stays pending and goes once the visitor agrees
      render();
    } else if (f.type === 'error') {
      var p = f.client_id && pend.get(f.client_id);
      if (p) {
        p.failed = f.code || 'error';
        p.err = f.code === 'too_large' ? 'Message is too long.' : f.message || 'Message not delivered.';
        savePend();
        render();
      } else if (f.code === 'unauthorized') {
        needSession = 1;
        if (ws) ws.close();
      }
    }
  }

  // ---------- closed by the team: a closing line and a rating prompt ----------
  function unEnd() { if (endEl) endEl.remove(); endEl = null; }

  function closed(cid) {
    var near = atBottom(), g = el('div', 'lc-rate', 'How was this conversation?'), bs = [];
    ended = cid;
    setAsg(null, 0, cid); // nobody is answering a closed dialogue
    unEnd();
    endEl = body.appendChild(el('div', 'lc-end', 'This conversation was closed'));
    endEl.setAttribute('aria-live', 'polite');
    g.setAttribute('role', 'group');
    g.setAttribute('aria-label', 'Rate this conversation');
    g.appendChild(el('br'));
    ['Great', 'Average', 'Poor'].forEach(function (t) {
      var b = g.appendChild(el('button', null, t));
      bs.push(b);
      b.type = 'button';
      b.onclick = function () {
        var ok = wsSend({action: 'rate', chat_id: cid, rating: t.toLowerCase()}); // sent: buttons stay off
        bs.forEach(function (x) { x.disabled = ok; });
        b.setAttribute('aria-pressed', !!ok);
        if (!ok) reconnectNow();
      };
    });
    endEl.appendChild(g);
    if (near) body.scrollTop = body.scrollHeight;
  }

  function showTyping(on) {
    clearTimeout(opTypT);
    var near = atBottom();
    typingEl.hidden = !on;
    if (on) opTypT = setTimeout(showTyping, 1e4); // in case typing:false is lost
    if (near) body.scrollTop = body.scrollHeight;
  }

  // ---------- sending ----------
  function uuid() {
    var c = w.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, function (ch) {
      var r = c && c.getRandomValues ? c.getRandomValues(new Uint8Array(1))[0] & 15 : Math.random() * 16 | 0;
      return (ch === 'x' ? r : (r & 3) | 8).toString(16);
    });
  }

  // Unacknowledged sends survive a page navigation in the same tab (same client_id => no duplicate).
  function savePend() {
    var a = [];
    pend.forEach(function (p) { if (!p.failed) a.push({client_id: p.client_id, text: p.text, created_at: p.created_at}); });
    store('sessionStorage', 'q', a.length ? JSON.stringify(a) : null);
  }
  try {
    JSON.parse(store('sessionStorage', 'q') || '[]').forEach(function (p) {
      p.author_type = 'visitor';
      pend.set(p.client_id, p);
    });
  } catch (e) { /* an unreadable outbox: nothing to resend */ }

  // The next message needs consent: it opens a dialogue, or is the first reply in one the
  // team opened. Asked as soon as that is known (before the visitor writes); the server checks.
  function needC() {
    var c = chatId !== ended && chatId, v = 0;
    msgs.forEach(function (m) { if (m.chat_id === c && m.author_type === 'visitor') v = 1; });
    return cons && hist && consentVersion == null && !v;
  }

  function trySend(p) {
    if (needC()) return; // waits for "I agree"
    var o = {action: 'send', client_id: p.client_id, text: p.text};
    if (chatId && /-\d+$/.test(chatId) && chatId !== ended) o.chat_id = chatId; // else the server finds or opens one
    if (assignee) o.assignee_id = assignee;
    if (consentVersion != null) o.consent_version = consentVersion;
    if (p.auto) o.auto_message_id = p.auto;
    if (!wsSend(o)) return connect();
    // The server answers every send (ack or error): silence means a half-open socket.
    // Replace it now, not at the next ping; the same client_id makes the resend safe.
    var s = ws;
    if (!ackT) ackT = setTimeout(function () { ackT = 0; if (ws === s) { s.onclose(); s.close(); } }, 1e4);
  }

  function askConsent(c) {
    if (consentEl) consentEl.remove();
    consentEl = el('div', 'lc-consent');
    consentEl.setAttribute('role', 'group');
    consentEl.setAttribute('aria-label', 'Privacy consent');
    consentEl.appendChild(el('span', null, c.text)).id = 'lc-consent'; // describes the message box
    if (/^https?:\/\//.test(c.privacy_url || '')) {
      var a = el('a', null, 'Privacy policy');
      a.href = c.privacy_url; a.target = '_blank'; a.rel = 'noopener noreferrer';
      consentEl.appendChild(a);
    }
    var ok = el('button', null, 'I agree');
    ok.type = 'button';
    ok.onclick = function () { consentVersion = c.version; consentEl.remove(); consentEl = null; ta.removeAttribute('aria-describedby'); flush(); };
    ta.setAttribute('aria-describedby', 'lc-consent');
    consentEl.appendChild(ok);
    form.parentNode.insertBefore(consentEl, form);
  }

  function flush() {
    pend.forEach(function (p) { if (!p.failed) trySend(p); });
    update();
  }

  function showNote(text, bad) {
    note.hidden = !text;
    note.textContent = text || '';
    note.className = 'lc-note' + (bad ? ' lc-bad' : '');
  }

  function submit() {
    var t = ta.value.replace(/^\s+|\s+$/g, '');
    if (!t) return;
    if (t.length > MAX) { showNote('Message is too long (max ' + MAX + ' characters).', 1); return; }
    ta.value = '';
    unEnd(); // after a close the server starts a new dialogue
    onInput();
    stopTyping();
    var p = {client_id: uuid(), text: t, author_type: 'visitor', created_at: new Date().toISOString()};
    if (autoId) { // the new dialogue begins with the auto message: its buttons are spent
      p.auto = autoId; autoId = null;
      var am = msgs.get('00auto-' + p.auto);
      if (am) { delete am.buttons; els.delete(am.id); }
    }
    pend.set(p.client_id, p);
    savePend();
    if (!ls('chat')) ls('chat', '1'); // a dialogue now exists: loader preloads chat.js on the next page
    stickBottom = 1;
    update();
    trySend(p);
  }

  function stopTyping() {
    clearTimeout(typIdle);
    if (typSent) { typSent = 0; wsSend({action: 'typing', typing: false, assignee_id: assignee || undefined}); }
  }

  function onInput() {
    ta.style.height = '';
    if (ta.scrollHeight > ta.clientHeight) ta.style.height = Math.min(ta.scrollHeight, 124) + 'px';
    var n = ta.value.length;
    sendBtn.classList.toggle('lc-dim', !ta.value.trim());
    showNote(n > MAX - 200 ? n + ' / ' + MAX : '', n > MAX);
  }

  form.onsubmit = function (e) { e.preventDefault(); submit(); ta.focus(); };
  ta.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); submit(); }
  });
  ta.addEventListener('input', function () {
    onInput();
    if (!ta.value.trim()) return stopTyping();
    var now = Date.now();
    if (chatId && now - typSent > TYPING_EVERY && wsSend({action: 'typing', typing: true, assignee_id: assignee || undefined})) typSent = now; // no dialogue yet: nobody to tell
    clearTimeout(typIdle);
    typIdle = setTimeout(stopTyping, TYPING_IDLE);
  });

  // ---------- rendering (keyed, so unchanged nodes are not re-announced by screen readers) ----------
  function items() {
    var a = [];
    msgs.forEach(function (m) { a.push(m); });
    a.sort(function (x, y) { return x.id < y.id ? -1 : x.id > y.id ? 1 : 0; });
    pend.forEach(function (p) { a.push(p); });
    return a;
  }

  function fmtTime(s) {
    var t = new Date(s);
    return isNaN(t) ? '' : t.toLocaleTimeString([], {hour: 'numeric', minute: '2-digit'});
  }

  function who(m) { return m ? m.author_type + '|' + (m.author_type === 'operator' ? m.author_name || m.author_id : '') : ''; }

  function atBottom() { return body.scrollHeight - body.scrollTop - body.clientHeight < 80; }

  // Text with its web addresses as links: text nodes and anchors, never HTML.
  function linked(b, t) {
    var re = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)'\]]/g, at = 0, x, a;
    while ((x = re.exec(t))) {
      b.appendChild(d.createTextNode(t.slice(at, x.index)));
      a = b.appendChild(el('a', 'lc-link', x[0]));
      a.href = x[0]; a.target = '_blank'; a.rel = 'noopener nofollow';
      at = re.lastIndex;
    }
    b.appendChild(d.createTextNode(t.slice(at)));
    return b;
  }

  function build(m, first, last, lastVisitor) {
    var t = m.author_type || 'system', e = el('div', 'lc-msg lc-' + t + (first ? ' lc-g' : ''));
    if (m.id) e.setAttribute('data-id', m.id);
    else {
      e.setAttribute('data-client-id', m.client_id);
      e.classList.add(m.failed ? 'lc-failed' : 'lc-pending');
    }
    e.setAttribute('data-author', t);
    if (first && t === 'operator') e.appendChild(el('div', 'lc-name', m.author_name || 'Operator'));
    var b = e.appendChild(linked(el('div', 'lc-bubble'), m.text || ''));
    b.dir = 'auto'; // RTL messages render correctly in either page direction
    b.title = fmtTime(m.created_at);
    // An auto message's picture, files (links to our CDN) and, until answered, its buttons.
    if (/^https:\/\//.test(m.image_url || '')) {
      var im = b.insertBefore(el('img', 'lc-img'), b.firstChild);
      im.src = m.image_url; im.alt = '';
    }
    (m.files || []).forEach(function (f) {
      if (!/^https?:\/\//.test(f.url)) return;
      var a = b.appendChild(el('a', 'lc-file', '\u2193 ' + f.name));
      a.href = f.url; a.target = '_blank'; a.rel = 'noopener';
    });
    if (m.buttons && m.buttons.length) {
      var acts = e.appendChild(el('div', 'lc-acts'));
      m.buttons.forEach(function (x) {
        var bt = acts.appendChild(el('button', 0, x.label));
        bt.type = 'button';
        bt.onclick = x.action === 'link' && /^https:\/\//.test(x.url || '')
          ? function () { w.open(x.url, '_blank', 'noopener'); } : function () { W.say(x.label); };
      });
    }
    if (m.failed) {
      var er = e.appendChild(el('div', 'lc-err', m.err));
      if (m.failed !== 'too_large') {
        var rb = er.appendChild(el('button', 'lc-retry', 'Retry'));
        rb.type = 'button';
        rb.onclick = function () { delete m.failed; delete m.err; savePend(); render(); trySend(m); };
      }
    } else if (!m.id) e.appendChild(el('div', 'lc-meta', consentEl ? 'Waiting for your consent' : 'Sending\u2026'));
    else if (last && t !== 'system') {
      var meta = fmtTime(m.created_at);
      if (lastVisitor && readUpTo && m.id <= readUpTo) meta += ' \u00b7 Seen';
      e.appendChild(el('div', 'lc-meta', meta));
    }
    return e;
  }

  function render() {
    var near = stickBottom || atBottom(), a = items(), cur = list.firstChild, keys = new Set(), lastV = '';
    a.forEach(function (m) { keys.add(m.id || m.client_id); if (m.id && m.author_type === 'visitor') lastV = m.id; });
    a.forEach(function (m, i) {
      var k = m.id || m.client_id, prev = a[i - 1], next = a[i + 1],
        first = who(prev) !== who(m), last = who(next) !== who(m) || (next && !next.id && m.id),
        sig = [m.failed, m.err, first, last, m.id === lastV && readUpTo >= m.id, !m.id && !!consentEl].join('|'), e = els.get(k);
      if (!e || e._s !== sig) {
        var n = build(m, first, last, m.id === lastV);
        n._s = sig; n._k = k;
        els.set(k, n);
        e = n;
      }
      while (cur && (!keys.has(cur._k) || els.get(cur._k) !== cur)) { var nx = cur.nextSibling; cur.remove(); cur = nx; }
      if (e === cur) cur = cur.nextSibling; else list.insertBefore(e, cur);
    });
    while (cur) { var nx = cur.nextSibling; cur.remove(); cur = nx; }
    els.forEach(function (_, k) { if (!keys.has(k)) els.delete(k); });
    if (near) body.scrollTop = body.scrollHeight;
    stickBottom = 0;
  }

  // Render + unread badge + read receipts.
  function update() {
    if (!consentEl && needC()) askConsent(cons);
    render();
    var vis = isOpen && d.visibilityState === 'visible', unread = 0, lastOp = '', top = maxId();
    msgs.forEach(function (m, id) {
      if (m.author_type === 'operator' && id > lastOp) lastOp = id;
      if (m.author_type !== 'visitor' && id > seen) unread++;
    });
    if (vis) {
      unread = 0;
      if (top > seen) { seen = top; ls('seen', seen); }
      if (lastOp > readSent && wsSend({action: 'read'})) readSent = lastOp;
    }
    badgeEl.hidden = !unread;
    badgeEl.textContent = unread > 99 ? '99+' : unread;
    box.setAttribute('data-unread', unread);
    btn.setAttribute('aria-label', unread ? 'Open chat (' + unread + ' unread)' : 'Open chat');
  }

  // "Time with no reply from agent" (auto.js): when the visitor's oldest message in the
  // current dialogue with no operator message after it was stored (epoch ms); undefined if
  // none, if the team closed the dialogue, or before the history is in. Every tab gets every
  // message, and a reload the history and its 'closed', so tabs and page loads agree at no
  // request of their own. Internal notes never reach the widget; system lines don't count.
  W.waiting = function () {
    var op = '', v = '';
    msgs.forEach(function (m, id) { if (m.chat_id === chatId && m.author_type === 'operator' && id > op) op = id; });
    msgs.forEach(function (m, id) { if (m.chat_id === chatId && m.author_type === 'visitor' && id > op && (!v || id < v)) v = id; });
    return v && chatId !== ended ? Date.parse(msgs.get(v).created_at) : undefined;
  };

  // ---------- open / close ----------
  function open() {
    if (isOpen) return;
    isOpen = W.isOpen = 1;
    W.wantOpen = 1;
    box.classList.add('lc-open');
    btn.setAttribute('aria-expanded', 'true');
    stickBottom = 1;
    update();
    if (!ws) reconnectNow();
    if (!matchMedia('(pointer:coarse)').matches) ta.focus();
  }

  function close() {
    if (!isOpen) return;
    ls('wc', String(Date.now())); // "time since the chat widget was closed"
    isOpen = W.isOpen = 0;
    W.wantOpen = 0;
    stopTyping();
    box.classList.remove('lc-open');
    btn.setAttribute('aria-expanded', 'false');
    btn.focus();
  }

  W.open = open;
  W.close = close;
  // An auto message (auto.js) shown in the conversation: local, until the visitor replies.
  var autoId = null;
  W.showAuto = function (m) {
    autoId = m.id;
    // Signed as the stored copy will be, the teaser and the panel show it (the project's
    // name, W.pn from the session), so a reload changes nothing.
    add({id: '00auto-' + m.id, author_type: 'operator', author_name: W.pn || 'Team', text: m.content.text || '',
      files: m.content.attachments, image_url: m.content.image_url, buttons: m.content.buttons,
      created_at: new Date().toISOString()});
    update();
    if (W.autoSay) { W.say(W.autoSay); W.autoSay = null; } // chat.js was already loaded
  };
  // A reply button of an auto message: the visitor answers with its words.
  W.say = function (text) { ta.value = text; submit(); };
  if (W.autoMsg) W.showAuto(W.autoMsg);
  W.toggle = function () { isOpen ? close() : open(); };
  W.state = function () { return box.getAttribute('data-lc-state'); };
  q('.lc-x').onclick = close;
  panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') close(); });

  d.addEventListener('visibilitychange', function () {
    if (d.visibilityState !== 'visible') return;
    if (!ws && want()) reconnectNow();
    update();
  });
  w.addEventListener('online', reconnectNow);
  w.addEventListener('storage', function (e) {
    if (e.key === W.prefix + 'chat' && e.newValue && !chatId) { chatId = e.newValue; reconnectNow(); }
    // another tab got a (new) visitor token: converge on it
    if (e.key === W.prefix + 'token' && e.newValue && e.newValue !== token) {
      token = e.newValue;
      msgs.clear();
      needSession = 1;
      if (ws) ws.close(); else reconnectNow();
    }
  });

  if (W.wantOpen) open();
  connect();
})(window, document);
