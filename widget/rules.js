/*! Live chat targeting rules (docs/API.md "Targeting rules"), as chalicelib/targeting has them. */
(function (w) {
  // catalogue.json in short (a test compares): field -> [type's initial (event: v), default],
  // [s, from, to, never = infinity] or [v, names, names]
  var F = {
    widget_open: ['b', false], chat_history: ['p', false], browser_language: ['l'],
    platform: ['e'], rating: ['e'], page_views: ['c'], visits: ['c'], invitations_sent: ['c', 0],
    time_on_page: ['s', 'page_opened_at', 'now', 0],
    time_this_visit: ['s', 'visit_started_at', 'now', 0],
    time_before_exit_intent: ['s', 'page_opened_at', 'exit_intent_at', 0],
    time_without_agent_reply: ['s', 'waiting_since', 'now', 0],
    time_since_widget_closed: ['s', 'widget_closed_at', 'now', 0],
    time_since_last_invitation: ['s', 'last_invitation_at', 'now', 1],
    custom_event: ['v', 'event_names', 'page_events']
  };
  'city country page_url user_agent referrer_url source_url utm_campaign utm_content utm_medium utm_source utm_term'
    .split(' ').forEach(function (k) { F[k] = ['t']; });
  var NOT = {is_not: 'equals', not_contains: 'contains', not_happened: 'happened'};

  function num(x) { return typeof x == 'number'; }

  // One value per field: text lower-cased, timers as whole seconds, == null when unknown.
  function values(facts, now) {
    var v = {}, k, f, x, a, b;
    for (k in F) {
      f = F[k];
      x = facts[k];
      if (f[0] == 's') {
        a = facts[f[1]];
        b = f[2] == 'now' ? now : facts[f[2]];
        x = num(a) && num(b) ? (b - a) / 1000 : NaN;
        // A clock running backwards counts as no time; a missing timestamp as "never".
        x = isFinite(x) ? Math.max(0, Math.floor(x)) : f[3] ? Infinity : null;
      } else if (f[0] == 'b' || f[0] == 'p') {
        x = typeof x == 'boolean' ? x : f[1];
      } else if (f[0] == 'c') {
        x = num(x) ? x : f[1];
      } else if (f[0] == 'v') {
        x = [].concat(facts[f[1]], facts[f[2]]);
      } else {
        x = typeof x == 'string' ? x.toLowerCase() : null;
      }
      v[k] = x;
    }
    return v;
  }

  function holds(op, c, v) {
    var want = c.value, t = F[c.field][0];
    if (op == 'exists') return v === true;
    if (op == 'none') return v === false;
    if (op == 'is') return v === want;
    if (v == null) return false;
    if (op == 'greater') return v > want;
    if (op == 'less') return v < want;
    if (t == 'c' || t == 's') return v == want;
    if (t == 'v') return v.indexOf(want) >= 0; // an event name, exactly
    want = want.toLowerCase();
    if (op == 'contains') return v.indexOf(want) >= 0;
    // Language "en" is any English, "en-gb" only British English.
    return v == want || (t == 'l' && v.indexOf(want + '-') == 0);
  }

  function test(c, vals) {
    var neg = NOT[c.op];
    return neg ? !holds(neg, c, vals[c.field]) : holds(c.op, c, vals[c.field]);
  }

  function every(list, vals) {
    for (var i = 0; i < list.length; i++) if (!test(list[i], vals)) return false;
    return true;
  }

  // All of rules.all hold, and one of rules.any_groups (each group: all of it), if any.
  function matches(rules, vals) {
    var g = rules.any_groups || [], i;
    if (!every(rules.all || [], vals)) return false;
    for (i = 0; i < g.length; i++) if (every(g[i], vals)) return true;
    return !g.length;
  }

  // window.__lcWidget.rules; never create __lcWidget: the loader stops if it exists
  var W = w.__lcWidget;
  if (W) W.rules = {
    fields: F,
    values: values,
    matches: matches,
    evaluate: function (rules, facts, now) { return matches(rules, values(facts, now)); }
  };
})(window);
