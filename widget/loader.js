/*! Live chat widget loader. Include with:
 * <script src=".../widget/loader.js" data-project-id="PID" data-api="https://api.example" async></script>
 * Optional: data-color="#4f46e5" data-title="Support" data-greeting="Hi! How can we help?"
 * Draws the launcher in a shadow root and loads chat.js (same directory) on demand. */
(function (w, d) {
  if (w.__lcWidget) return; // included twice: keep the first one
  var s = d.currentScript || d.querySelector('script[data-project-id][src*="loader.js"]');
  if (!s || !s.getAttribute('data-project-id')) return;
  var c = {}, k, ds = s.dataset;
  for (k in ds) c[k] = ds[k];
  c.api = (c.api || new URL(s.src).origin).replace(/\/+$/, '');
  var src = new URL('chat.js', s.src);
  src.search = new URL(s.src).search; // keep cache-busting ?v=
  var pre = 'lc:' + c.projectId + ':';
  var W = w.__lcWidget = {config: c, prefix: pre, wantOpen: 0, ev: []}; // ev: this page's events

  function ls(k, v) {
    try {
      if (v === undefined) return localStorage.getItem(pre + k);
      if (v === null) localStorage.removeItem(pre + k); else localStorage.setItem(pre + k, v);
    } catch (e) { return null; }
  }
  function has(key) { return !!ls(key); }

  // What the session call tells the server about this page view (chat.js reuses it).
  W.facts = function () {
    var q = new URLSearchParams(location.search), u = {}, t = ls('token');
    ['source', 'medium', 'campaign', 'term', 'content'].forEach(function (k) {
      var v = q.get('utm_' + k);
      if (v) u[k] = v.slice(0, 256);
    });
    var b = {project_id: c.projectId, page_url: location.href.slice(0, 2048), referrer: d.referrer.slice(0, 2048),
      language: (navigator.language || '').slice(0, 35), utm: u};
    if (t) b.token = t;
    return b;
  };

  function load() {
    if (W.loading || !W.root) return; // before init: init() loads if wantOpen
    W.loading = 1;
    var x = d.createElement('script');
    x.src = src.href;
    x.async = true;
    if (s.nonce) x.nonce = s.nonce;
    x.onerror = function () { W.loading = 0; x.remove(); }; // retry on next click
    (d.head || d.body).appendChild(x);
  }

  W.load = load;
  W.open = W.toggle = function () { W.wantOpen = 1; load(); };
  W.close = function () { W.wantOpen = 0; };

  function init() {
    // Custom tag (not matched by host-page div/button rules) + inline !important styles.
    var h = W.host = d.createElement('lc-widget');
    h.id = 'lc-widget';
    h.className = 'lc-host';
    h.setAttribute('style', 'all:initial!important;display:block!important;position:fixed!important;' +
      'right:20px!important;bottom:20px!important;z-index:2147483000!important;' +
      'visibility:visible!important;opacity:1!important;transform:none!important;direction:ltr!important');
    var r = W.root = h.attachShadow({mode: 'open'});
    r.innerHTML =
      '<style>' +
      ':host{all:initial}' +
      '.lc-root{all:initial;display:block;font:14px/1.4 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;' +
      'color:#1f2937;direction:ltr;text-align:left;--lc-accent:#4f46e5;-webkit-font-smoothing:antialiased}' +
      '.lc-root *,.lc-root *::before,.lc-root *::after{box-sizing:border-box}' +
      '.lc-launch{all:unset;position:relative;display:flex;align-items:center;justify-content:center;width:60px;height:60px;' +
      'border-radius:50%;background:var(--lc-accent);color:#fff;cursor:pointer;box-shadow:0 6px 20px rgba(17,24,39,.28);' +
      'transition:transform .18s ease,box-shadow .18s ease;animation:lc-pop .25s ease-out}' +
      '.lc-launch:hover{transform:scale(1.06);box-shadow:0 8px 26px rgba(17,24,39,.34)}' +
      '.lc-launch:focus-visible{outline:3px solid rgba(79,70,229,.45);outline-offset:3px}' +
      '.lc-launch svg{width:28px;height:28px;fill:currentColor}' +
      '.lc-open .lc-launch{display:none}' +
      '.lc-badge{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;' +
      'background:#ef4444;color:#fff;border:2px solid #fff;font-size:11px;font-weight:700;line-height:18px;text-align:center}' +
      '.lc-badge[hidden]{display:none}' +
      '@keyframes lc-pop{from{transform:scale(.6);opacity:0}}' +
      '@media (prefers-reduced-motion:reduce){.lc-root *{animation:none!important;transition:none!important}}' +
      '</style>' +
      '<div class="lc-root" id="lc-root"><button class="lc-launch" type="button" aria-label="Open chat" aria-haspopup="dialog" aria-expanded="false">' +
      '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4.3 21l4-2.1c1.2.4 2.4.6 3.7.6 5.5 0 10-3.8 10-8.5S17.5 3 12 3z"/></svg>' +
      '<span class="lc-badge" hidden></span></button></div>';
    var box = W.box = r.lastChild;
    if (c.color) box.style.setProperty('--lc-accent', c.color);
    W.btn = box.firstChild;
    W.badge = W.btn.lastChild;
    W.btn.onclick = function () { W.toggle(); };
    d.body.appendChild(h);
    if (W.wantOpen || has('chat')) load(); // existing dialogue: connect now so replies arrive (panel stays closed)
  }

  // Another tab started a dialogue: start listening here too.
  w.addEventListener('storage', function (e) { if (e.key === pre + 'chat' && e.newValue) load(); });
  // One session per page view: records the visit; 423 (chats off), 402 (plan), 403 (a site
  // the project does not allow) or 404 hide it.
  // Lengths are capped as the server wants; text/plain needs no CORS preflight.
  // A visit ends after 30 minutes without activity ('la': the last, kept in this browser).
  var t0 = Date.now(), f = W.facts(), P = {method: 'POST', headers: {'Content-Type': 'text/plain;charset=UTF-8'}, credentials: 'omit'};
  f.page_view = true;
  f.new_visit = t0 - (+ls('la') || 0) >= 18e5;
  ls('la', t0);
  W.openedAt = t0;
  var ready = fetch(c.api + '/widget/session', Object.assign({body: JSON.stringify(f)}, P))
    .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw r.status; return j; }); })
    .then(function (j) {
      var v = ls('vid');
      if (v && v !== j.visitor_id) ['chat', 'seen', 'as'].forEach(function (k) { ls(k, null); }); // a new visitor
      ls('vid', j.visitor_id);
      ls('token', j.token);
      W.sess = j;
      for (k in j.look) c[k] = c[k] || j.look[k]; // the panel's look; the tag's data- attributes win
      if (f.new_visit) ls('vs', t0);
      if ((j.auto_messages || []).length) { // proactive messages may fire here: their module
        var a = d.createElement('script');
        a.src = new URL('auto.js', src).href;
        a.async = true;
        (d.head || d.body).appendChild(a);
      }
      // Still here: a beat every 90 s while the page is visible keeps the visitor listed.
      // A new visitor's first comes after 10 s: it counts them (the server renews the token).
      function beat() {
        if (d.hidden) return;
        ls('la', Date.now());
        fetch(c.api + '/widget/heartbeat', Object.assign({body: JSON.stringify({token: ls('token')})}, P))
          .then(function (r) { return r.json(); }).then(function (b) {
            if (b.token) ls('token', b.token);
            // An operator started a chat with this visitor: pop the widget open.
            if (b.chat_id && b.chat_id !== ls('chat')) { ls('chat', b.chat_id); W.open(); }
          }).catch(function () {});
      }
      if (!j.counted) setTimeout(beat, 1e4);
      setInterval(beat, 9e4);
    }, function (e) { if (e === 423 || e === 404 || e === 402 || e === 403) throw e; }); // else show it; chat.js retries
  function start() { ready.then(init, function () {}); }

  // The page's API: LiveChat.open(), .close(), .identify({user_id, name, email, hash}),
  // .event(name), .trigger(autoMessageId). Calls made before the session wait for it.
  function send(path, b) {
    return ready.then(function () {
      b.token = ls('token');
      return fetch(c.api + path, Object.assign({body: JSON.stringify(b)}, P));
    });
  }
  var L = w.LiveChat = {
    open: function () { W.open(); },
    close: function () { W.close(); },
    identify: function (u) { return send('/widget/identify', Object.assign({}, u)); },
    event: function (n) { W.ev.push(n); return send('/widget/events', {name: n}); }, // auto.js sees it now
    trigger: function (id) { W.trigger = id; if (W.autoTrigger) W.autoTrigger(id); }
  };
  (w.LiveChatQueue || []).forEach(function (a) { L[a[0]].apply(L, a.slice(1)); }); // calls queued by a snippet
  if (d.body) start(); else d.addEventListener('DOMContentLoaded', start);
})(window, document);
