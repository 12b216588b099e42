"""Transcripts: a chat so far, e-mailed to the visitor's known address, sent by the team
(the panel's "E-mail transcript") or asked for by the visitor (the widget's "E-mail me
this conversation", ``POST /widget/transcript``: their own chats only, and an address
given with the request is kept on the visitor first, as ``POST /widget/contact`` keeps
it). The same e-mail as a continuity one in form (plain text, ``List-Unsubscribe``, a
``Reply-To`` back into the chat when replies are set up), sent from the traffic app. At
most one per chat in ``EVERY`` (10 minutes), whoever asks: the chat keeps when the last
went, claimed with a conditional update before the mail goes, so a double click, two
members, or a member and the visitor at once send one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.auth.identities import VisitorIdentity
from chalicelib.clock import iso
from chalicelib.config import get_settings
from chalicelib.errors import Conflict, NotFound, RateLimited, TemporarilyUnavailable
from chalicelib.models.base import is_condition_failure
from chalicelib.models.chat import ChatModel
from chalicelib.models.message import MessageModel, chat_key
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import (
    continuity,
    continuity_mail,
    identity,
    mail_contact,
    projects,
    validation,
)
from chalicelib.services.chat_reads import get_chat, visible_chat

EVERY = timedelta(minutes=10)
SHOWN = 200
_BLOCKED = {
    "unsubscribed": "the visitor unsubscribed from e-mails",
    "bounced": "e-mails to the visitor's address bounced",
    "complained": "the visitor marked our e-mail as spam",
}
# The same refusals as the visitor reads them in the widget.
_BLOCKED_FOR_VISITOR = {
    "unsubscribed": "you unsubscribed from our e-mails at this address",
    "bounced": "e-mails to your address bounced: we cannot send it there",
    "complained": "you marked our e-mail as spam, so we do not write to that address",
}


def send(member: MemberModel, chat_id: str, mailer, tokens, now: datetime) -> dict:
    """The team's: the chat (if this member may see it) to the visitor's known address."""
    chat = visible_chat(member, chat_id)
    try:
        visitor = VisitorModel.get(member.project_id, chat.visitor_id)
    except DoesNotExist:
        visitor = None
    return _mail(member.project_id, chat, visitor, mailer, tokens, now)


def request(caller: VisitorIdentity, body: dict, mailer, tokens, now: datetime) -> dict:
    """The visitor's ``POST /widget/transcript`` ``{chat_id, email?}``: one of their own
    chats (another visitor's or project's is NotFound, as if it did not exist). Without
    ``email`` it goes to the address known (409 when there is none: the widget asks);
    with one, that address is checked and kept on the visitor (``given_email``), then
    used. Everything is checked before anything is written or sent."""
    body = validation.require_object(body)
    chat_id = validation.chat_id(body.get("chat_id"))
    address = validation.optional_email(body, "email")
    chat = get_chat(caller.project_id, chat_id, consistent=True)
    if chat.visitor_id != caller.visitor_id:
        raise NotFound("no such dialogue")
    if tokens is None:
        raise TemporarilyUnavailable("e-mail is not set up here (MAIL_TOKEN_SECRET)")
    # Refused before an address is kept (the claim in _mail still settles a race).
    if chat.transcript_sent_at and chat.transcript_sent_at > iso(now - EVERY):
        raise RateLimited("this conversation was e-mailed a moment ago")
    if address is None:
        try:
            visitor = VisitorModel.get(caller.project_id, caller.visitor_id)
        except DoesNotExist:
            raise NotFound("unknown visitor: start a session") from None
    else:
        if (blocked := mail_contact.blocked_reason(caller.project_id, address)) is not None:
            raise Conflict(_BLOCKED_FOR_VISITOR[blocked])  # before the address is kept
        visitor = identity.update_visitor(
            caller, [VisitorModel.given_email.set(address)], None, None
        )
    return _mail(caller.project_id, chat, visitor, mailer, tokens, now, _BLOCKED_FOR_VISITOR)


def _mail(
    project_id: str, chat: ChatModel, visitor, mailer, tokens, now: datetime, refusals=_BLOCKED
) -> dict:
    chat_id = chat.chat_id
    address = mail_contact.known_email(visitor)
    if not address:
        raise Conflict("the visitor has no known e-mail address")
    blocked = mail_contact.blocked_reason(project_id, address)
    if blocked is not None:
        mail_contact.note_blocked(visitor, address)  # the widget stops promising e-mail
        raise Conflict(refusals[blocked])
    if tokens is None:
        raise TemporarilyUnavailable("e-mail is not set up here (MAIL_TOKEN_SECRET)")
    project = projects.require_project(project_id)
    _claim(chat, now)
    history = list(
        reversed(
            [
                m
                for m in MessageModel.query(
                    chat_key(project_id, chat_id), scan_index_forward=False, limit=SHOWN
                )
                if not m.internal
            ]
        )
    )
    message = continuity_mail.build_transcript(
        project_name=project.name,
        to=address,
        reply_to=continuity.reply_address(tokens, project_id, chat_id),
        unsubscribe_url=mail_contact.unsubscribe_link(tokens, project_id, address),
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
