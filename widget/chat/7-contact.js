// Knowing who to answer: the project's pre-chat form (the session's `prechat`: before the
// first message, the composer hidden until it is done, or a card after it), and, while the
// team is away or offline, a card asking for an e-mail address when none usable is known
// (`email_usable`: identify's verified one or one given, unless a send found it bounced,
// complained of or unsubscribed; emailKnown holds it) and replies go by e-mail
// (`availability.email_replies`). What the visitor answers or skips
// is remembered ('pc' the form, 'pa' the away card), so neither asks twice. The shapes are
// checked here as the server checks them (services/validation.py), which decides.
// After a close, "E-mail me this conversation" (POST /widget/transcript) goes to the
// address known, or asks for one with the same card.
var prechat = null, emailKnown = 0, contactCard = null;
var EMAIL = /^[\w!#$%&'*+/=?^`{|}~-]+(\.[\w!#$%&'*+/=?^`{|}~-]+)*@[a-z\d]([a-z\d-]*[a-z\d])?(\.[a-z\d]([a-z\d-]*[a-z\d])?)+$/i;

// wrote: a message of the visitor's was just stored (without: the session came in).
function offerContact(wrote) {
  var setting = prechat, fields = [];
  if (contactCard) return;
  if (setting && !local('pc') && (setting.mode === 'before' ? !wrote && !chatId : wrote)) {
    if (setting.name !== 'off') fields.push(['name', setting.name === 'required']);
    if (setting.email !== 'off' && !emailKnown) fields.push(['email', setting.email === 'required']);
    if (fields.length) return askContact(fields, 'pc', wrote ? 'So we know who we\u2019re talking to:' : 'Before we start, please tell us who you are:', wrote);
  }
  if (wrote && !emailKnown && availability.email_replies && availability.state !== 'online' && !local('pa')) {
    askContact([['email']], 'pa', 'Leave your e-mail and we\u2019ll reply there', wrote);
  }
}

// The closed dialogue by e-mail (button: the one pressed; a line under it says how it went).
function askTranscript(dialogueId, button) {
  var note = button._n = button._n || button.parentNode.insertBefore(el('div', 'lc-meta'), button.nextSibling);
  function send(body) {
    body.chat_id = dialogueId;
    return api('POST', '/widget/transcript', body).then(function (answer) {
      button.remove();
      note.textContent = 'Sent to ' + answer.to;
    });
  }
  if (emailKnown) send({token: local('token') || token}).catch(function (failure) {
    note.textContent = failure.message;
    // refused (the address bounced, unsubscribed): no longer promised, another one asked for
    if (failure.status === 409) { emailKnown = 0; setState(); askTranscript(dialogueId, button); }
  });
  else {
    if (contactCard) contactCard.remove(); // (an away card left open: this one asks the same)
    askContact([['email', 1]], 0, 'Where should we send it?', 1, send);
  }
}

// fields: [name, required]; key: what remembers the answer (none: a transcript's);
// wrote: as offerContact's; sent: where the answer goes (default POST /widget/contact).
function askContact(fields, key, intro, wrote, sent) {
  var card = contactCard = el('form', 'lc-rate', intro), inputs = [], error = el('div', 'lc-err'), required = 0;
  card.noValidate = true;
  card.setAttribute('aria-label', 'Your contact details');
  fields.forEach(function (field) {
    var box = card.appendChild(el('input'));
    box.name = field[0];
    box.type = field[0] === 'email' ? 'email' : 'text';
    box.placeholder = (field[0] === 'email' ? 'E-mail' : 'Name') + (field[1] ? '' : ' (optional)');
    box.setAttribute('aria-label', box.placeholder);
    box._r = field[1];
    required |= field[1];
    inputs.push(box);
  });
  card.appendChild(error).setAttribute('role', 'alert');
  card.appendChild(el('button', 0, sent ? 'Send' : 'Save'));
  if (!required) {
    var skip = card.appendChild(el('button', 0, 'Skip'));
    skip.type = 'button';
    skip.onclick = done;
  }
  function done() {
    if (key) local(key, '1');
    card.remove();
    contactCard = null;
    form.hidden = 0;
    input.focus();
    offerContact(wrote); // the form done, the away card may follow
  }
  card.onsubmit = function (event) {
    var body = {token: local('token') || token}, problem = ''; // (the heartbeat may have renewed it)
    event.preventDefault();
    inputs.forEach(function (box) {
      var value = box.value.replace(/^\s+|\s+$/g, ''), email = box.name === 'email', label = email ? 'e-mail' : 'name';
      if (problem) return;
      problem = !value ? box._r && 'Please enter your ' + label + '.'
        : value.length > (email ? 254 : 100) ? 'Your ' + label + ' is too long (max ' + (email ? 254 : 100) + ' characters).'
        : email && !EMAIL.test(value) ? 'Please enter an e-mail address such as ada@example.com.' : '';
      if (problem) box.focus();
      if (value) body[box.name] = value;
    });
    error.textContent = problem;
    if (problem) return;
    if (!body.name && !body.email) return done(); // optional fields left empty: skipped
    (sent ? sent(body) : api('POST', '/widget/contact', body)).then(function () {
      if (body.email) { emailKnown = 1; setState(); } // the away header may promise e-mail now
      done();
    }, function (failure) { error.textContent = failure.status < 500 ? failure.message : 'Could not send, please try again.'; });
  };
  scroller.appendChild(card);
  scroller.scrollTop = scroller.scrollHeight;
  if (!wrote) { form.hidden = 1; inputs[0].focus(); } // before the first message: the form first (after it: the visitor may go on writing)
}
