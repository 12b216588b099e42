"""Transcripts: the team e-mails a chat so far to the visitor's known address (the
panel's "E-mail transcript"). The same e-mail as a continuity one in form (plain text,
``List-Unsubscribe``, a ``Reply-To`` back into the chat when replies are set up), sent
from the traffic app. At most one per chat in ``EVERY`` (10 minutes): the chat keeps
when the last went, claimed with a conditional update before the mail goes, so a double
click or two members at once send one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.clock import iso
from chalicelib.config import get_settings
from chalicelib.errors import Conflict, RateLimited, TemporarilyUnavailable
from chalicelib.models.base import is_condition_failure
from chalicelib.models.chat import ChatModel
from chalicelib.models.message import MessageModel, chat_key
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import continuity, continuity_mail, mail_contact, projects
from chalicelib.services.chat_reads import visible_chat

EVERY = timedelta(minutes=10)
SHOWN = 200
_BLOCKED = {
    "unsubscribed": "the visitor unsubscribed from e-mails",
    "bounced": "e-mails to the visitor's address bounced",
    "complained": "the visitor marked our e-mail as spam",
}


def send(member: MemberModel, chat_id: str, mailer, tokens, now: datetime) -> dict:
    chat = visible_chat(member, chat_id)
    try:
        visitor = VisitorModel.get(member.project_id, chat.visitor_id)
    except DoesNotExist:
        visitor = None
    address = mail_contact.known_email(visitor)
    if not address:
        raise Conflict("the visitor has no known e-mail address")
    blocked = mail_contact.blocked_reason(member.project_id, address)
    if blocked is not None:
        raise Conflict(_BLOCKED[blocked])
    if tokens is None:
        raise TemporarilyUnavailable("e-mail is not set up here (MAIL_TOKEN_SECRET)")
    project = projects.require_project(member.project_id)
    _claim(chat, now)
    history = list(
        reversed(
            [
                m
                for m in MessageModel.query(
                    chat_key(member.project_id, chat_id), scan_index_forward=False, limit=SHOWN
                )
                if not m.internal
            ]
        )
    )
    message = continuity_mail.build_transcript(
        project_name=project.name,
        to=address,
        reply_to=continuity.reply_address(tokens, member.project_id, chat_id),
        unsubscribe_url=mail_contact.unsubscribe_link(tokens, member.project_id, address),
        thread_id=f"chat.{chat_id}@{get_settings().inbound_mail_domain or 'livechat'}",
        history=history,
    )
    try:
        mailer.send_message(message, display_name=project.name)
    except Exception as error:
        chat.update(actions=[ChatModel.transcript_sent_at.remove()])  # the next try may go
        raise TemporarilyUnavailable("the e-mail could not be sent; try again") from error
    return {"sent": True, "to": address}


def _claim(chat: ChatModel, now: datetime) -> None:
    sent = ChatModel.transcript_sent_at
    try:
        chat.update(
            actions=[sent.set(iso(now))],
            condition=sent.does_not_exist() | (sent <= iso(now - EVERY)),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise RateLimited("a transcript of this chat went a moment ago") from None
        raise
