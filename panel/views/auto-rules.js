/* Auto messages: the rules. The editor is built from GET /targeting/catalogue, so fields
 * and operators are defined once (chalicelib/targeting/catalogue.json): a condition is
 * field / operator / value (the value control follows the field's type); groups are
 * "any of" sets of conditions. */
import { api } from '../core/api.js';
import { $, h } from '../core/dom.js';
import { renumberAuto, VALUELESS_OPS } from './auto-form.js';

let catalogue = null; // GET /targeting/catalogue: rule fields and operators

const OP_LABELS = {
  is: 'is', equals: 'equals', contains: 'contains', is_not: 'is not', not_contains: 'does not contain',
  greater: 'greater than', less: 'less than', exists: 'exists', none: 'none',
  happened: 'happened', not_happened: 'has not happened',
};

export async function loadCatalogue() {
  if (catalogue) return catalogue;
  const data = await api('GET', '/targeting/catalogue');
  catalogue = data && Array.isArray(data.fields) ? data : { fields: [], limits: {} };
  return catalogue;
}

function catalogueField(id) {
  return ((catalogue && catalogue.fields) || []).find((f) => f.id === id) || null;
}

function fieldOptions() {
  return ((catalogue && catalogue.fields) || []).map((f) => h('option', { value: f.id, text: f.label }));
}

/** One condition: field / operator / value. The value control follows the field's type. */
export function ruleRow(cond) {
  const row = h('div', { class: 'auto-row rule-row' });
  const field = h('select', { class: 'rule-field', 'aria-label': 'Field' }, fieldOptions());
  const op = h('select', { class: 'rule-op', 'aria-label': 'Operator' });
  const valueBox = h('span', { class: 'rule-value-box' });
  field.value = (cond && cond.field) || 'page_url';
  if (!field.value && field.options.length) field.selectedIndex = 0;
  const fillOps = (wantedOp) => {
    const f = catalogueField(field.value);
    op.replaceChildren(...((f && f.ops) || []).map((o) => h('option', { value: o, text: OP_LABELS[o] || o })));
    if (wantedOp && f && f.ops.includes(wantedOp)) op.value = wantedOp;
  };
  const fillValue = (wanted) => {
    const f = catalogueField(field.value);
    let control;
    if (f && f.type === 'bool') {
      control = h('select', { class: 'rule-value', 'aria-label': 'Value' }, [
        h('option', { value: 'true', text: 'yes' }), h('option', { value: 'false', text: 'no' })]);
      control.value = wanted === false ? 'false' : 'true';
    } else if (f && f.type === 'enum') {
      control = h('select', { class: 'rule-value', 'aria-label': 'Value' }, f.values.map((v) => h('option', { value: v, text: v })));
      if (wanted !== undefined && wanted !== null) control.value = String(wanted);
    } else {
      // Numbers are typed as text: the server says what is wrong with "abc", by its path.
      const numeric = f && (f.type === 'count' || f.type === 'seconds');
      // A custom event: the exact name the site's LiveChat.event(name) sends.
      const event = f && f.type === 'event';
      control = h('input', {
        type: 'text', class: 'rule-value', 'aria-label': event ? 'Event name' : 'Value',
        maxlength: event ? '64' : '512', spellcheck: 'false', autocapitalize: event ? 'off' : null,
        inputmode: numeric ? 'numeric' : null,
        placeholder: f && f.type === 'seconds' ? 'seconds' : event ? 'added_to_cart'
          : f && f.id === 'country' ? 'DE (two-letter code)' : f && f.type === 'language' ? 'en or en-GB' : '',
        title: event ? 'The name the site sends with LiveChat.event(name), exactly (case-sensitive)' : null,
      });
      control.value = wanted === undefined || wanted === null ? '' : String(wanted);
    }
    control.dataset.type = f ? f.type : 'text';
    valueBox.replaceChildren(control);
    valueBox.hidden = VALUELESS_OPS.includes(op.value); // exists / none take no value
  };
  fillOps(cond && cond.op);
  fillValue(cond ? cond.value : undefined);
  field.addEventListener('change', () => { fillOps(null); fillValue(undefined); });
  op.addEventListener('change', () => { valueBox.hidden = VALUELESS_OPS.includes(op.value); });
  row.append(field, op, valueBox, h('button', {
    type: 'button', class: 'btn btn-ghost btn-sm btn-danger', text: 'Remove', 'aria-label': 'Remove condition',
    onclick: () => { const group = row.closest('.rule-group'); row.remove(); if (group && !group.querySelector('.rule-row')) group.remove(); renumberAuto(); },
  }), h('p', { class: 'row-error', hidden: true }));
  return row;
}

export function groupBox(conditions) {
  const rows = h('div', { class: 'auto-rows group-rows' }, (conditions || []).map(ruleRow));
  const box = h('div', { class: 'rule-group', role: 'group' }, [
    h('div', { class: 'rule-group-head' }, [
      h('strong', { class: 'rule-group-title' }),
      h('span', { class: 'topbar-spacer' }),
      h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-danger', text: 'Remove group', onclick: () => { box.remove(); renumberAuto(); } }),
    ]),
    rows,
    h('button', { type: 'button', class: 'btn btn-secondary btn-sm', text: 'Add condition to group', onclick: () => { rows.append(ruleRow(null)); renumberAuto(); } }),
    h('p', { class: 'row-error', hidden: true }),
  ]);
  return box;
}

export function mount() {
  $('auto-add-rule').addEventListener('click', () => { $('auto-rules-all').append(ruleRow(null)); renumberAuto(); });
  $('auto-add-group').addEventListener('click', () => { $('auto-rules-groups').append(groupBox([null])); renumberAuto(); });
}
