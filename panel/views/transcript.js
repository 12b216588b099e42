/* "E-mail transcript" on the open chat's visitor facts: the team sends the chat so far to
   the visitor's known address (POST .../transcript). Shown only when there is an address
   that did not unsubscribe, bounce or complain; the server refuses otherwise too (409), and sends at most one
   per chat in 10 minutes (429). */
import { api, chatPath, reportError } from '../core/api.js';
import { h } from '../core/dom.js';
import { toast } from '../core/toast.js';

export function transcriptButton(chatId, mail) {
  if (!mail || !mail.email || mail.unsubscribed || mail.suppressed) return null;
  const button = h('button', {
    type: 'button',
    class: 'btn btn-ghost btn-sm',
    id: 'conv-transcript',
    text: 'E-mail transcript',
    title: 'Send the chat so far to ' + mail.email,
  });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const sent = await api('POST', chatPath(chatId, '/transcript'), {});
      toast('Transcript sent to ' + sent.to);
    } catch (e) {
      reportError(e, 'Transcript not sent');
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
