/*! Live chat targeting rules (docs/API.md "Targeting rules"), as chalicelib/targeting has them. */
// Sets window.__lcWidget.rules, read by auto.js (widget/README.md lists the shared members).
(function (w) {
  // catalogue.json in short (a test compares): field -> [type's initial (event: v), default],
  // [s, from, to, never = infinity] or [v, names, names]
  var FIELDS = {
    widget_open: ['b', false], chat_history: ['p', false], email_known: ['p', false], browser_language: ['l'],
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
    .split(' ').forEach(function (field) { FIELDS[field] = ['t']; });
  var NEGATIONS = {is_not: 'equals', not_contains: 'contains', not_happened: 'happened'};

  function isNumber(value) { return typeof value == 'number'; }

  // One value per field: text lower-cased, timers as whole seconds, == null when unknown.
  function values(facts, now) {
    var vals = {}, field, spec, value, from, to;
    for (field in FIELDS) {
      spec = FIELDS[field];
      value = facts[field];
      if (spec[0] == 's') {
        from = facts[spec[1]];
        to = spec[2] == 'now' ? now : facts[spec[2]];
        value = isNumber(from) && isNumber(to) ? (to - from) / 1000 : NaN;
        // A clock running backwards counts as no time; a missing timestamp as "never".
        value = isFinite(value) ? Math.max(0, Math.floor(value)) : spec[3] ? Infinity : null;
      } else if (spec[0] == 'b' || spec[0] == 'p') {
        value = typeof value == 'boolean' ? value : spec[1];
      } else if (spec[0] == 'c') {
        value = isNumber(value) ? value : spec[1];
      } else if (spec[0] == 'v') {
        value = [].concat(facts[spec[1]], facts[spec[2]]);
      } else {
        value = typeof value == 'string' ? value.toLowerCase() : null;
      }
      vals[field] = value;
    }
    return vals;
  }

  function holds(op, condition, value) {
    var want = condition.value, type = FIELDS[condition.field][0];
    if (op == 'exists') return value === true;
    if (op == 'none') return value === false;
    if (op == 'is') return value === want;
    if (value == null) return false;
    if (op == 'greater') return value > want;
    if (op == 'less') return value < want;
    if (type == 'c' || type == 's') return value == want;
    if (type == 'v') return value.indexOf(want) >= 0; // an event name, exactly
    want = want.toLowerCase();
    if (op == 'contains') return value.indexOf(want) >= 0;
    // Language "en" is any English, "en-gb" only British English.
    return value == want || (type == 'l' && value.indexOf(want + '-') == 0);
  }

  function holdsCondition(condition, vals) {
    var negated = NEGATIONS[condition.op], value = vals[condition.field];
    return negated ? !holds(negated, condition, value) : holds(condition.op, condition, value);
  }

  function every(conditions, vals) {
    for (var i = 0; i < conditions.length; i++) if (!holdsCondition(conditions[i], vals)) return false;
    return true;
  }

  // All of rules.all hold, and one of rules.any_groups (each group: all of it), if any.
  function matches(rules, vals) {
    var groups = rules.any_groups || [], i;
    if (!every(rules.all || [], vals)) return false;
    for (i = 0; i < groups.length; i++) if (every(groups[i], vals)) return true;
    return !groups.length;
  }

  // window.__lcWidget.rules; never create __lcWidget: the loader stops if it exists
  var W = w.__lcWidget;
  if (W) W.rules = {
    fields: FIELDS,
    values: values,
    matches: matches,
    evaluate: function (rules, facts, now) { return matches(rules, values(facts, now)); }
  };
})(window);
