/*! Live chat widget: auto messages. docs/API.md */
// Loaded by loader.js when the page view's session names auto messages that may fire;
// their remaining (client-side) conditions are checked every second with rules.js. All
// text goes in through textContent. (The served header is kept short, as chat.js's.)
// The widget's files share window.__lcWidget (W): widget/README.md lists its members.
(function (w, d) {
  var W = w.__lcWidget;
  if (!W || W.auto) return;
  W.auto = 1;
  var config = W.config, prefix = W.prefix, candidates = (W.autoMessages || []).slice(), fired = 0, exitIntentAt;
  var ownSrc = d.currentScript ? d.currentScript.src : config.api;

  function local(name, value) {
    try {
      if (value === undefined) return localStorage.getItem(prefix + name);
      localStorage.setItem(prefix + name, value);
    } catch (e) { return null; }
  }
  function timestamp(name) { return +local(name) || undefined; }

  // What happened to an auto message, told to the server: sent (shown), opened.
  function report(id, event) {
    fetch(config.api + '/widget/auto-messages/' + encodeURIComponent(id) + '/events', {method: 'POST',
      headers: {'Content-Type': 'text/plain;charset=UTF-8'}, credentials: 'omit',
      body: JSON.stringify({token: local('token'), event: event})}).catch(function () {});
  }

  // Exit intent (desktop): the pointer leaves the page towards the browser's top bar. The
  // latest exit counts ("time before exit intent" > 5 s holds on a later exit), checked now.
  d.addEventListener('mouseout', function (event) {
    if (!event.relatedTarget && event.clientY <= 0) { exitIntentAt = Date.now(); tick(); }
  });

  // waiting_since: chat.js has it from the dialogue's messages (none without a dialogue).
  // page_events: LiveChat.event names sent on this page (the server's pass settled those
  // of earlier page views, so the remaining rules need only these).
  function facts() {
    return {page_opened_at: W.openedAt, visit_started_at: timestamp('vs'), widget_open: !!W.isOpen,
      widget_closed_at: timestamp('wc'), exit_intent_at: exitIntentAt, last_invitation_at: timestamp('li'),
      waiting_since: W.waiting && W.waiting(), page_events: W.pageEvents};
  }

  // Each second: the page's facts read once, then each message's remaining rules.
  function tick() {
    if (fired || !W.rules || !W.box) return;
    var rules = W.rules, values = rules.values(facts(), Date.now());
    for (var i = 0; i < candidates.length; i++) if (rules.matches(candidates[i].rules, values)) return showTeaser(candidates[i]);
  }

  function fileLink(parent, file) { // an attachment: a link to our CDN
    if (!/^https?:\/\//.test(file.url)) return;
    var link = parent.appendChild(d.createElement('a'));
    link.className = 'lc-file';
    link.textContent = '\u2193 ' + file.name;
    link.href = file.url; link.target = '_blank'; link.rel = 'noopener';
  }

  // A teaser above the launcher; opening it shows the message in the chat. It can be
  // dismissed (x, Escape) and scrolls when long; the launcher opens it too.
  function showTeaser(message) {
    var content = message.content;
    fired = 1;
    local('li', Date.now());
    report(message.id, 'sent');
    if (W.isOpen && W.showAuto) return W.showAuto(message);
    var style = d.createElement('style');
    style.textContent = '.lc-teaser{position:absolute;right:0;bottom:72px;width:272px;box-sizing:border-box;' +
      'background:#fff;color:#1f2937;border-radius:14px;box-shadow:0 8px 28px rgba(17,24,39,.22);animation:lc-pop .25s ease-out}' +
      '.lc-tb{max-height:min(60vh,420px);overflow:auto;padding:12px 30px 12px 14px}.lc-tm{cursor:pointer;white-space:pre-wrap;overflow-wrap:anywhere}' +
      '.lc-teaser button{all:unset;cursor:pointer;font:inherit}' +
      '.lc-teaser button:focus-visible,.lc-teaser a:focus-visible{outline:2px solid var(--lc-accent);outline-offset:2px;border-radius:6px}' +
      '.lc-teaser .lc-tx{position:absolute;top:6px;right:8px;font-size:18px;line-height:1;color:#6b7280;padding:2px 4px}' +
      '.lc-teaser img{display:block;max-width:100%;border-radius:8px;margin-bottom:8px}.lc-teaser .lc-file{display:block;margin-top:8px;color:var(--lc-accent);font-size:13px}' +
      '.lc-acts{display:flex;flex-wrap:wrap;gap:6px;margin-top:10px}.lc-acts button{font-size:13px;' +
      'padding:5px 10px;border-radius:999px;border:1px solid var(--lc-accent);color:var(--lc-accent)}.lc-acts .lc-rp{background:var(--lc-accent);color:#fff}.lc-open .lc-teaser{display:none}';
    W.root.appendChild(style);
    // The message is text (read as such); the card opens the chat on a click, and "Reply"
    // does it from the keyboard. The x stays put while a long message scrolls.
    var teaser = d.createElement('div'), scroller = teaser.appendChild(d.createElement('div')),
      text = scroller.appendChild(d.createElement('div'));
    teaser.className = 'lc-teaser';
    teaser.setAttribute('role', 'dialog');
    teaser.setAttribute('aria-label', 'Message from ' + (W.teamName || 'the team'));
    scroller.className = 'lc-tb';
    text.className = 'lc-tm';
    var imageUrl = content.image_url;
    if (imageUrl && /^https:\/\//.test(imageUrl)) {
      var image = text.appendChild(d.createElement('img'));
      image.src = imageUrl; image.alt = '';
    }
    text.appendChild(d.createTextNode(content.text || ''));
    function dismiss() {
      teaser.remove();
      d.removeEventListener('keydown', onKey);
      clearInterval(openWatch);
    }
    // Into the chat (chat.js, loaded now if it is not yet), with the reply a button gave.
    function openInChat(reply) {
      dismiss();
      W.autoOpened = {message: message, reply: reply};
      report(message.id, 'opened');
      if (W.showAuto) W.showAuto(message, reply);
      W.open();
    }
    function onKey(event) { if (event.key === 'Escape') dismiss(); }
    d.addEventListener('keydown', onKey);
    // The launcher (or LiveChat.open) opened the chat: the message goes in with it.
    var openWatch = setInterval(function () { if (W.isOpen) openInChat(); }, 250);
    text.onclick = function () { openInChat(); };
    (content.attachments || []).forEach(function (file) { fileLink(scroller, file); });
    var actions = scroller.appendChild(d.createElement('div')), button;
    actions.className = 'lc-acts';
    function addButton(label, onclick) {
      button = actions.appendChild(d.createElement('button'));
      button.type = 'button'; button.textContent = label; button.onclick = onclick;
    }
    addButton('Reply', function () { openInChat(); });
    button.className = 'lc-rp';
    (content.buttons || []).forEach(function (spec) {
      // A link opens in a new tab; a reply answers with the button's words.
      addButton(spec.label, spec.action === 'link' && /^https:\/\//.test(spec.url || '')
        ? function () { w.open(spec.url, '_blank', 'noopener'); } : function () { openInChat(spec.label); });
    });
    var dismissButton = teaser.appendChild(d.createElement('button'));
    dismissButton.type = 'button';
    dismissButton.className = 'lc-tx';
    dismissButton.textContent = '\u00d7';
    dismissButton.setAttribute('aria-label', 'Dismiss');
    dismissButton.onclick = dismiss;
    W.box.insertBefore(teaser, W.box.firstChild); // before the launcher, as it is on screen
  }

  // LiveChat.trigger(id): show that auto message now, whatever its remaining rules say.
  W.trigger = function (id) {
    for (var i = 0; i < candidates.length; i++) if (candidates[i].id === id && !fired && W.box) return showTeaser(candidates[i]);
  };
  if (W.triggeredId) setTimeout(function wait() { W.box ? W.trigger(W.triggeredId) : setTimeout(wait, 200); }, 0);

  var rulesScript = d.createElement('script');
  rulesScript.src = new URL('rules.js', ownSrc).href;
  rulesScript.async = true;
  (d.head || d.body).appendChild(rulesScript);
  setInterval(tick, 1000);
})(window, document);
