"""E-mail auto messages: the clock app sends each enabled one to the project's logged-in
users with an address whose facts match its rules, once per user.

It reads the enabled e-mail messages from a sparse index (never all auto messages) and,
for each, the project's logged-in users with an address (another sparse index). A user
is claimed before the mail goes (a conditional add to the visitor's shown messages), so
a rerun, a crash half-way or two runs at once never send twice; a failed send gives the
claim back, so the next run tries again. A user whose address bounced or complained
(services/mail_suppression.py) is claimed and not written to: settled, not re-read
each run. Only the server's facts decide: a rule that
needs the widget (timers, exit intent) cannot hold for an e-mail.
"""

from __future__ import annotations

import logging

from pynamodb.exceptions import UpdateError

from chalicelib.models.auto_message import EMAIL_SHARDS, AutoMessageModel
from chalicelib.models.base import is_condition_failure
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import attachments, auto_delivery, auto_messages, mail_suppression
from chalicelib.targeting import compile_rules, field_values

log = logging.getLogger(__name__)


def run(mailer) -> dict:
    examined = sent = 0
    for shard in range(EMAIL_SHARDS):
        for message in AutoMessageModel.email_outbox.query(str(shard)):
            compiled = compile_rules(message.rules or {})
            for user in VisitorModel.users_index.query(message.project_id):
                examined += 1
                if _due(message, compiled, user) and _send(message, user, mailer):
                    sent += 1
    return {"examined": examined, "sent": sent}


def _due(message: AutoMessageModel, compiled, user: VisitorModel) -> bool:
    if not user.user_email or message.message_id in (user.shown_auto or set()):
        return False
    # No page will add to what the server knows (conditions only a page can tell are
    # refused on an e-mail), so its facts are the whole truth: "has not happened" can hold.
    return compiled.matches(field_values(auto_delivery.server_facts(user), 0))


def email_text(content) -> str:
    """The mail's plain text: the message, then its link buttons and its attachments as
    links (an e-mail has nowhere to click a reply button; those are refused on save)."""
    links = [f"{b.label}: {b.url}" for b in content.buttons or [] if b.action == "link"]
    links += [f"{a.name}: {attachments.public_url(a.key)}" for a in content.attachments or []]
    return "\n\n".join([content.text or "", *(["\n".join(links)] if links else [])])


def _send(message: AutoMessageModel, user: VisitorModel, mailer) -> bool:
    shown = VisitorModel.shown_auto
    try:
        user.update(
            actions=[shown.add({message.message_id})],
            condition=VisitorModel.user_email.exists()
            & (shown.does_not_exist() | ~shown.contains(message.message_id)),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            return False  # sent by another run a moment ago, or no longer logged in
        raise
    if mail_suppression.is_suppressed(user.user_email):
        log.info("e-mail auto message %s: %s's address is suppressed", message.message_id,
                 user.visitor_id)  # fmt: skip
        return False
    content = message.content
    try:
        mailer.send(user.user_email, content.subject or message.name, email_text(content))
    except Exception:  # noqa: BLE001 - give the claim back: the next run tries again
        log.exception("e-mail auto message %s to %s failed", message.message_id, user.visitor_id)
        user.update(actions=[shown.delete({message.message_id})])
        return False
    try:
        auto_messages.record(message.project_id, message.message_id, "sent")
    except Exception:  # noqa: BLE001 - the mail went: a lost count is not worth a resend
        log.exception("counting e-mail auto message %s", message.message_id)
    return True
