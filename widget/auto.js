/*! Live chat widget: proactive auto messages. Loaded by loader.js when the page view's
 * session names auto messages that may fire; their remaining (client-side) conditions
 * are checked every second with rules.js. All text goes in through textContent. */
(function (w, d) {
  var W = w.__lcWidget;
  if (!W || W.auto) return;
  W.auto = 1;
  var C = W.config, pre = W.prefix, list = (W.am || []).slice(), fired = 0, exitAt;
  var here = d.currentScript ? d.currentScript.src : C.api;

  function ls(k, v) {
    try {
      if (v === undefined) return localStorage.getItem(pre + k);
      localStorage.setItem(pre + k, v);
    } catch (e) { return null; }
  }
  function num(k) { return +ls(k) || undefined; }

  // The widget reports what happened to an auto message: sent (shown), opened, replied.
  W.autoEvent = function (id, ev) {
    fetch(C.api + '/widget/auto-messages/' + encodeURIComponent(id) + '/events', {method: 'POST',
      headers: {'Content-Type': 'text/plain;charset=UTF-8'}, credentials: 'omit',
      body: JSON.stringify({token: ls('token'), event: ev})}).catch(function () {});
  };

  // Exit intent (desktop): the pointer leaves the page towards the browser's top bar. The
  // latest exit counts ("time before exit intent" > 5 s holds on a later exit), checked now.
  d.addEventListener('mouseout', function (e) {
    if (!e.relatedTarget && e.clientY <= 0) { exitAt = Date.now(); tick(); }
  });

  // waiting_since: chat.js has it from the dialogue's messages (none without a dialogue).
  // page_events: LiveChat.event names sent on this page (the server's pass settled those
  // of earlier page views, so the remaining rules need only these).
  function facts() {
    return {page_opened_at: W.openedAt, visit_started_at: num('vs'), widget_open: !!W.isOpen,
      widget_closed_at: num('wc'), exit_intent_at: exitAt, last_invitation_at: num('li'),
      waiting_since: W.waiting && W.waiting(), page_events: W.ev};
  }

  // Each second: the page's facts read once, then each message's remaining rules.
  function tick() {
    if (fired || !W.rules || !W.box) return;
    var R = W.rules, v = R.values(facts(), Date.now());
    for (var i = 0; i < list.length; i++) if (R.matches(list[i].rules, v)) return show(list[i]);
  }

  function link(parent, f) { // an attachment: a link to our CDN
    if (!/^https?:\/\//.test(f.url)) return;
    var a = parent.appendChild(d.createElement('a'));
    a.className = 'lc-file';
    a.textContent = '\u2193 ' + f.name;
    a.href = f.url; a.target = '_blank'; a.rel = 'noopener';
  }
  W.fileLink = link;

  // A teaser above the launcher; opening it shows the message in the chat. It can be
  // dismissed (x, Escape) and scrolls when long; the launcher opens it too.
  function show(m) {
    fired = 1;
    ls('li', Date.now());
    W.autoEvent(m.id, 'sent');
    if (W.isOpen && W.showAuto) return W.showAuto(m);
    var st = d.createElement('style');
    st.textContent = '.lc-teaser{position:absolute;right:0;bottom:72px;width:272px;box-sizing:border-box;' +
      'background:#fff;color:#1f2937;border-radius:14px;box-shadow:0 8px 28px rgba(17,24,39,.22);animation:lc-pop .25s ease-out}' +
      '.lc-tb{max-height:min(60vh,420px);overflow:auto;padding:12px 30px 12px 14px}.lc-tm{cursor:pointer;white-space:pre-wrap;overflow-wrap:anywhere}' +
      '.lc-teaser button{all:unset;cursor:pointer;font:inherit}' +
      '.lc-teaser button:focus-visible,.lc-teaser a:focus-visible{outline:2px solid var(--lc-accent);outline-offset:2px;border-radius:6px}' +
      '.lc-teaser .lc-tx{position:absolute;top:6px;right:8px;font-size:18px;line-height:1;color:#6b7280;padding:2px 4px}' +
      '.lc-teaser img{display:block;max-width:100%;border-radius:8px;margin-bottom:8px}.lc-teaser .lc-file{display:block;margin-top:8px;color:var(--lc-accent);font-size:13px}' +
      '.lc-acts{display:flex;flex-wrap:wrap;gap:6px;margin-top:10px}.lc-acts button{font-size:13px;' +
      'padding:5px 10px;border-radius:999px;border:1px solid var(--lc-accent);color:var(--lc-accent)}.lc-acts .lc-rp{background:var(--lc-accent);color:#fff}.lc-open .lc-teaser{display:none}';
    W.root.appendChild(st);
    // The message is text (read as such); the card opens the chat on a click, and "Reply"
    // does it from the keyboard. The x stays put while a long message scrolls.
    var t = d.createElement('div'), tb = t.appendChild(d.createElement('div')), main = tb.appendChild(d.createElement('div'));
    t.className = 'lc-teaser';
    t.setAttribute('role', 'dialog');
    t.setAttribute('aria-label', 'Message from ' + (W.pn || 'the team'));
    tb.className = 'lc-tb';
    main.className = 'lc-tm';
    var img = m.content.image_url;
    if (img && /^https:\/\//.test(img)) { var i = main.appendChild(d.createElement('img')); i.src = img; i.alt = ''; }
    main.appendChild(d.createTextNode(m.content.text || ''));
    function gone() {
      t.remove();
      d.removeEventListener('keydown', esc);
      clearInterval(watch);
    }
    function go(say) {
      gone();
      W.autoMsg = m;
      W.autoSay = say;
      W.autoEvent(m.id, 'opened');
      if (W.showAuto) W.showAuto(m);
      W.open();
    }
    function esc(e) { if (e.key === 'Escape') gone(); }
    d.addEventListener('keydown', esc);
    // The launcher (or LiveChat.open) opened the chat: the message goes in with it.
    var watch = setInterval(function () { if (W.isOpen) go(); }, 250);
    main.onclick = function () { go(); };
    (m.content.attachments || []).forEach(function (f) { link(tb, f); });
    var acts = tb.appendChild(d.createElement('div')), y;
    acts.className = 'lc-acts';
    function act(label, fn) { y = acts.appendChild(d.createElement('button')); y.type = 'button'; y.textContent = label; y.onclick = fn; }
    act('Reply', function () { go(); });
    y.className = 'lc-rp';
    (m.content.buttons || []).forEach(function (b) {
      // A link opens in a new tab; a reply answers with the button's words.
      act(b.label, b.action === 'link' && /^https:\/\//.test(b.url || '')
        ? function () { w.open(b.url, '_blank', 'noopener'); } : function () { go(b.label); });
    });
    var x = t.appendChild(d.createElement('button'));
    x.type = 'button';
    x.className = 'lc-tx';
    x.textContent = '\u00d7';
    x.setAttribute('aria-label', 'Dismiss');
    x.onclick = gone;
    W.box.insertBefore(t, W.box.firstChild); // before the launcher, as it is on screen
  }

  // LiveChat.trigger(id): show that auto message now, whatever its remaining rules say.
  W.autoTrigger = function (id) {
    for (var i = 0; i < list.length; i++) if (list[i].id === id && !fired && W.box) return show(list[i]);
  };
  if (W.trigger) setTimeout(function wait() { W.box ? W.autoTrigger(W.trigger) : setTimeout(wait, 200); }, 0);

  var r = d.createElement('script');
  r.src = new URL('rules.js', here).href;
  r.async = true;
  (d.head || d.body).appendChild(r);
  setInterval(tick, 1000);
})(window, document);
