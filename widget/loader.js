/*! Live chat widget loader. Include with:
 * <script src=".../widget/loader.js" data-project-id="PID" data-api="https://api.example" async></script>
 * Optional: data-color="#4f46e5" data-title="Support" data-greeting="Hi! How can we help?"
 * Draws the launcher in a shadow root and loads chat.js (same directory) on demand. */
// The widget's files share window.__lcWidget (W): widget/README.md lists its members.
(function (w, d) {
  if (w.__lcWidget) return; // included twice: keep the first one
  var script = d.currentScript || d.querySelector('script[data-project-id][src*="loader.js"]');
  if (!script || !script.getAttribute('data-project-id')) return;
  var config = {}, key, dataset = script.dataset;
  for (key in dataset) config[key] = dataset[key];
  config.api = (config.api || new URL(script.src).origin).replace(/\/+$/, '');
  var chatSrc = new URL('chat.js', script.src);
  chatSrc.search = new URL(script.src).search; // keep cache-busting ?v=
  var prefix = 'lc:' + config.projectId + ':';
  var W = w.__lcWidget = {config: config, prefix: prefix, wantOpen: 0, pageEvents: []};
  var loading = 0; // chat.js is on its way (or running)
  var every; // seconds between heartbeats, as the server last said

  // This project's entries in localStorage (which may throw: private mode, sandboxed iframes).
  function local(name, value) {
    try {
      if (value === undefined) return localStorage.getItem(prefix + name);
      if (value === null) localStorage.removeItem(prefix + name); else localStorage.setItem(prefix + name, value);
    } catch (e) { return null; }
  }
  function isSet(key) { return !!local(key); }

  // What the session call tells the server about this page view (chat.js reuses it).
  W.facts = function () {
    var query = new URLSearchParams(location.search), utm = {}, token = local('token');
    ['source', 'medium', 'campaign', 'term', 'content'].forEach(function (name) {
      var value = query.get('utm_' + name);
      if (value) utm[name] = value.slice(0, 256);
    });
    var facts = {project_id: config.projectId, page_url: location.href.slice(0, 2048), referrer: d.referrer.slice(0, 2048),
      language: (navigator.language || '').slice(0, 35), utm: utm};
    if (token) facts.token = token;
    return facts;
  };

  function loadChat() {
    if (loading || !W.root) return; // before init: init() loads if wantOpen
    loading = 1;
    var tag = d.createElement('script');
    tag.src = chatSrc.href;
    tag.async = true;
    if (script.nonce) tag.nonce = script.nonce;
    tag.onerror = function () { loading = 0; tag.remove(); }; // retry on next click
    (d.head || d.body).appendChild(tag);
  }

  // Until chat.js runs and replaces them: opening loads it, and it opens when it runs.
  W.open = function () { W.wantOpen = 1; loadChat(); };
  W.close = function () { W.wantOpen = 0; };

  function init() {
    // Custom tag (not matched by host-page div/button rules) + inline !important styles.
    var host = d.createElement('lc-widget');
    host.id = 'lc-widget';
    host.className = 'lc-host';
    host.setAttribute('style', 'all:initial!important;display:block!important;position:fixed!important;' +
      'right:20px!important;bottom:20px!important;z-index:2147483000!important;' +
      'visibility:visible!important;opacity:1!important;transform:none!important;direction:ltr!important');
    var root = W.root = host.attachShadow({mode: 'open'});
    root.innerHTML =
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
    var box = W.box = root.lastChild;
    if (config.color) box.style.setProperty('--lc-accent', config.color);
    // The launcher (chat.js finds it and its badge by class): it opens or closes the chat.
    box.firstChild.onclick = function () { if (W.isOpen) W.close(); else W.open(); };
    d.body.appendChild(host);
    if (W.wantOpen || isSet('chat')) loadChat(); // existing dialogue: connect now so replies arrive (panel stays closed)
  }

  // Another tab started a dialogue: start listening here too.
  w.addEventListener('storage', function (event) { if (event.key === prefix + 'chat' && event.newValue) loadChat(); });
  // One session per page view: records the visit; 423 (chats off), 402 (plan), 403 (a site
  // the project does not allow) or 404 hide it.
  // Lengths are capped as the server wants; text/plain needs no CORS preflight.
  // A visit ends after 30 minutes without activity ('la': the last, kept in this browser).
  var now = Date.now(), pageView = W.facts(), POST = {method: 'POST', headers: {'Content-Type': 'text/plain;charset=UTF-8'}, credentials: 'omit'};
  pageView.page_view = true;
  pageView.new_visit = now - (+local('la') || 0) >= 18e5;
  local('la', now);
  W.openedAt = now;
  var ready = fetch(config.api + '/widget/session', Object.assign({body: JSON.stringify(pageView)}, POST))
    .then(function (response) {
      return response.json().then(function (json) { if (!response.ok) throw response.status; return json; });
    })
    .then(function (session) {
      var visitorId = local('vid');
      if (visitorId && visitorId !== session.visitor_id) ['chat', 'seen', 'as'].forEach(function (name) { local(name, null); }); // a new visitor
      local('vid', session.visitor_id);
      local('token', session.token);
      W.session = session;
      for (key in session.look) config[key] = config[key] || session.look[key]; // the panel's look; the tag's data- attributes win
      W.teamName = (session.project || {}).name; // how the team signs (chat.js, auto.js)
      if (pageView.new_visit) local('vs', now);
      // Handed to auto.js apart from W.session, which chat.js takes (and clears) if it runs first.
      if ((W.autoMessages = session.auto_messages || []).length) { // proactive messages may fire here: their module
        var autoScript = d.createElement('script');
        autoScript.src = new URL('auto.js', chatSrc).href;
        autoScript.async = true;
        (d.head || d.body).appendChild(autoScript);
      }
      // Still here: a beat while the page is visible keeps the visitor listed. Each answer
      // says when the next is due ('beat', seconds): 90, 15 while the team looks at its
      // Visitors list (a chat it starts reaches us then), a new visitor's first after 10
      // (it counts them; the server renews the token). One timer at a time.
      function next(seconds) { setTimeout(beat, (every = Math.min(Math.max(seconds, 2), 90) || 90) * 1e3); }
      function beat() {
        if (d.hidden) return next(every);
        local('la', Date.now());
        fetch(config.api + '/widget/heartbeat', Object.assign({body: JSON.stringify({token: local('token')})}, POST))
          .then(function (response) { return response.json(); }).then(function (answer) {
            if (answer.token) local('token', answer.token);
            // An operator started a chat with this visitor: pop the widget open.
            if (answer.chat_id && answer.chat_id !== local('chat')) { local('chat', answer.chat_id); W.open(); }
            return answer.beat;
          }).catch(function () {}).then(next);
      }
      next(session.beat);
    }, function (status) { if (status === 423 || status === 404 || status === 402 || status === 403) throw status; }); // else show it; chat.js retries
  function start() { ready.then(init, function () {}); }

  // The page's API: LiveChat.open(), .close(), .identify({user_id, name, email, hash}),
  // .event(name), .trigger(autoMessageId). Calls made before the session wait for it.
  function post(path, body) {
    return ready.then(function () {
      body.token = local('token');
      return fetch(config.api + path, Object.assign({body: JSON.stringify(body)}, POST));
    });
  }
  var api = w.LiveChat = {
    open: function () { W.open(); },
    close: function () { W.close(); },
    identify: function (user) { return post('/widget/identify', Object.assign({}, user)); },
    event: function (name) { W.pageEvents.push(name); return post('/widget/events', {name: name}); }, // auto.js sees it now
    trigger: function (id) { W.triggeredId = id; if (W.trigger) W.trigger(id); } // auto.js's, once it runs
  };
  (w.LiveChatQueue || []).forEach(function (call) { api[call[0]].apply(api, call.slice(1)); }); // calls queued by a snippet
  if (d.body) start(); else d.addEventListener('DOMContentLoaded', start);
})(window, document);
