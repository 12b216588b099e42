/* The Install section's markup (static: no server data); views/install.js fills and
 * binds it. */
import { $, h } from '../core/dom.js';

export function buildInstall() {
  $('view-install').append(
    h('header', { class: 'view-head' }, [
      h('h2', { id: 'install-title', text: 'Install' }),
      h('p', { class: 'view-sub', text: 'Put the chat on your website: add the tag, allow your domain, and watch for the first page view.' }),
    ]),
    h('div', { class: 'view-body' }, [
      h('div', { class: 'card install-status', id: 'install-status', 'data-installed': 'false', role: 'status', 'aria-live': 'polite' }, [
        h('span', { class: 'install-dot', 'aria-hidden': 'true' }),
        h('div', null, [
          h('strong', { id: 'install-status-title', text: 'Not installed yet' }),
          h('p', { class: 'form-note', id: 'install-status-text' }),
        ]),
      ]),
      h('div', { class: 'card' }, [
        h('h3', { text: '1. Add this tag to every page of your site' }),
        h('p', { class: 'form-note' }, [
          'Paste it just before ', h('code', { text: '</body>' }),
          '. It draws the chat button and loads the chat only when a visitor opens it.',
        ]),
        h('pre', { class: 'snippet' }, [h('code', { id: 'install-tag' })]),
        h('div', { class: 'form-actions' }, [
          h('button', { type: 'button', class: 'btn btn-secondary btn-sm', id: 'install-copy', text: 'Copy' }), ' ',
          h('span', { class: 'form-note', id: 'install-copied', role: 'status' }),
        ]),
      ]),
      h('div', { class: 'card', id: 'install-domains' }, [
        h('h3', { text: '2. Allowed website domains' }),
        h('p', { class: 'form-note' }, [
          'The widget runs only on these domains, so a copied tag is worth nothing elsewhere. ',
          h('code', { text: '*.example.com' }), ' allows every subdomain; add ', h('code', { text: ':port' }),
          ' to allow one port only.',
        ]),
        h('p', { class: 'notice', id: 'domains-empty', hidden: true }, [
          h('strong', { text: 'Not installed yet: add your site\'s domain.' }),
          ' Until you do, the widget shows nowhere.',
        ]),
        h('ul', { class: 'domain-list', id: 'domain-list', 'aria-label': 'Allowed domains' }),
        h('form', { class: 'domain-form', id: 'domain-form', novalidate: true }, [
          h('div', { class: 'field' }, [
            h('label', { for: 'domain-input', text: 'Add a domain' }), ' ',
            h('input', { id: 'domain-input', type: 'text', maxlength: '253', spellcheck: 'false', autocapitalize: 'off', placeholder: 'shop.example.com', 'aria-describedby': 'domain-error' }),
            h('p', { class: 'row-error', id: 'domain-error', hidden: true }),
          ]),
          h('button', { type: 'submit', class: 'btn btn-primary btn-sm', id: 'domain-add', text: 'Add domain' }),
        ]),
        h('p', { class: 'form-note', id: 'domains-readonly', hidden: true, text: 'Only managers and the administrator can change the allowed domains.' }),
      ]),
      h('div', { class: 'card', id: 'install-refused' }, [
        h('h3', { text: 'Calls refused in the last 7 days' }),
        h('p', { class: 'form-note', text: 'Pages on domains that are not allowed. If one of them is your site, allow it.' }),
        h('p', { class: 'form-note', id: 'refused-empty', text: 'None. Every call came from an allowed domain.' }),
        h('div', { class: 'table-wrap', id: 'refused-wrap', hidden: true }, [
          h('table', { class: 'table', id: 'refused-table' }, [
            h('thead', null, [
              h('tr', null, [
                h('th', { scope: 'col', text: 'Day' }), h('th', { scope: 'col', text: 'Page origin' }),
                h('th', { scope: 'col', text: 'Refused' }), h('th', { scope: 'col', text: 'Last' }),
                h('th', { scope: 'col' }, [h('span', { class: 'sr-only', text: 'Actions' })]),
              ]),
            ]),
            h('tbody', { id: 'refused-body' }),
          ]),
        ]),
      ]),
      h('form', { class: 'card form-grid', id: 'look-form', novalidate: true }, [
        h('h3', { text: 'Widget look' }),
        h('p', { class: 'form-note field-wide' }, [
          'Sent to the widget with each page view, so you never edit the tag. A tag\'s own ',
          h('code', { text: 'data-color' }), ', ', h('code', { text: 'data-title' }), ' or ',
          h('code', { text: 'data-greeting' }), ' still wins.',
        ]),
        h('div', { class: 'field', 'data-path': 'widget_color' }, [
          h('label', { for: 'look-color', text: 'Colour' }),
          h('div', { class: 'color-row' }, [
            h('input', { id: 'look-color', type: 'color', value: '#4f46e5' }),
            h('input', { id: 'look-color-text', type: 'text', maxlength: '7', spellcheck: 'false', 'aria-label': 'Colour as #rrggbb', placeholder: '#4f46e5' }),
          ]),
          h('p', { class: 'row-error', hidden: true }),
        ]),
        h('div', { class: 'field', 'data-path': 'widget_title' }, [
          h('label', { for: 'look-title', text: 'Header text' }),
          h('input', { id: 'look-title', type: 'text', maxlength: '40', placeholder: 'Chat with us' }),
          h('p', { class: 'row-error', hidden: true }),
        ]),
        h('div', { class: 'field field-wide', 'data-path': 'widget_greeting' }, [
          h('label', { for: 'look-greeting', text: 'Greeting' }),
          h('input', { id: 'look-greeting', type: 'text', maxlength: '200', placeholder: 'Hi there! How can we help you today?' }),
          h('p', { class: 'row-error', hidden: true }),
        ]),
        h('div', { class: 'look-preview field-wide', id: 'look-preview', 'aria-label': 'Preview' }, [
          h('div', { class: 'look-head' }, [h('span', { id: 'look-preview-title' })]),
          h('p', { class: 'look-bubble', id: 'look-preview-greeting' }),
          h('span', { class: 'look-launch', 'aria-hidden': 'true' }),
        ]),
        h('div', { class: 'form-actions' }, [
          h('button', { type: 'submit', class: 'btn btn-primary btn-sm', id: 'look-save', text: 'Save look' }), ' ',
          h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'look-reset', text: 'Back to the defaults' }),
          ' ', h('span', { class: 'form-note', id: 'look-result', role: 'status' }),
        ]),
      ]),
      h('div', { class: 'card', id: 'install-identity' }, [
        h('h3', { text: 'Logged-in users (optional)' }),
        h('p', { class: 'form-note' }, [
          'Tell the chat who your logged-in user is with ', h('code', { text: 'LiveChat.identify' }),
          '. Your server signs the user\'s id with this project\'s secret, so nobody can pretend to be another user. Keep the secret on your server.',
        ]),
        h('div', { class: 'form-actions' }, [
          h('button', { type: 'button', class: 'btn btn-secondary btn-sm', id: 'identity-show', text: 'Show the secret' }),
        ]),
        h('div', { id: 'identity-body', hidden: true }, [
          h('p', { class: 'secret-row' }, [
            h('code', { id: 'identity-secret' }), ' ',
            h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'identity-copy', text: 'Copy' }),
          ]),
          h('div', { class: 'code-tabs', role: 'tablist', 'aria-label': 'Server language', id: 'identity-tabs' }),
          h('pre', { class: 'snippet' }, [h('code', { id: 'identity-sample' })]),
        ]),
      ]),
    ]),
  );
}
