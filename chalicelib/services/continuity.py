"""Conversations that continue by e-mail, outgoing: a team reply the visitor has not
seen in the widget within ``UNSEEN_FOR`` (2 minutes) is e-mailed to the visitor's known
address (services/mail_contact.py), with every reply since the last e-mail (or the
visitor's last read), the chat so far, and a ``Reply-To`` whose signed token routes the
answer back into the chat (services/inbound_mail.py).

Exact and cheap: a team reply's own UpdateItem sets ``unseen_reply_at`` (kept if already
there: the batch's first reply) and ``mail_shard`` (services/message_store.py); the
visitor's read mark removes it (services/dialogues.py). So the sparse index
``unseen_replies`` holds exactly the batches still unseen, and the clock app's run each
minute costs one Query per shard plus, per due batch, the visitor's record, the
claim, and the chat's last messages. Nothing is read for a chat whose visitor saw the
replies.

Once per batch: the batch is claimed before the mail goes, by a conditional update that
removes ``unseen_reply_at`` (only if it is still the value the index showed: a read mark
or another run meanwhile makes the claim fail); the
e-mail holds the team's replies from that time on, after the last one e-mailed before
(``mailed_through``, a message id, written once the mail went). A failed send gives
the claim back, so the next run tries again. No address, an unsubscribed, bounced or
complained one (services/mail_contact.py ``blocked_reason``), or no mail-token secret:
the batch is dropped (the key removed, so it is not read again), nothing is sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.clock import iso
from chalicelib.config import get_settings
from chalicelib.models.base import is_condition_failure
from chalicelib.models.chat import OPEN_SHARDS, ChatModel
from chalicelib.models.message import AUTHOR_OPERATOR, MessageModel, chat_key
from chalicelib.models.project import ProjectModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import continuity_mail, mail_contact

log = logging.getLogger(__name__)

UNSEEN_FOR = timedelta(minutes=2)


def _parse(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


def reply_address(tokens, project_id: str, chat_id: str) -> str | None:
    domain = get_settings().inbound_mail_domain
    token = tokens.reply_token(project_id, chat_id) if tokens and domain else None
    return f"reply+{token}@{domain}" if token else None


def run(now: datetime, mailer, tokens) -> dict:
    """E-mail the due batches of unseen replies. Returns counts."""
    projects: dict[str, ProjectModel | None] = {}
    examined = sent = dropped = 0
    cutoff = iso(now - UNSEEN_FOR)
    for shard in range(OPEN_SHARDS):
        query = ChatModel.unseen_replies.query(str(shard), ChatModel.unseen_reply_at <= cutoff)
        for candidate in query:
            examined += 1
            outcome = _handle(candidate, now, mailer, tokens, projects)
            sent += outcome == "sent"
            dropped += outcome == "dropped"
    return {"examined": examined, "sent": sent, "dropped": dropped}


def _project(project_id: str, cache: dict) -> ProjectModel | None:
    if project_id not in cache:
        try:
            cache[project_id] = ProjectModel.get(project_id)
        except DoesNotExist:
            cache[project_id] = None
    return cache[project_id]


def _handle(candidate: ChatModel, now: datetime, mailer, tokens, projects) -> str:
    since, through = candidate.unseen_reply_at, candidate.mailed_through
    try:
        visitor = VisitorModel.get(candidate.project_id, candidate.visitor_id)
    except DoesNotExist:
        visitor = None
    address = mail_contact.known_email(visitor)
    project = _project(candidate.project_id, projects)
    reply_to = reply_address(tokens, candidate.project_id, candidate.chat_id)
    claimed = _claim(candidate, since)  # seen, or claimed by another run, meanwhile: False
    if not claimed:
        return "raced"
    if not address or project is None or reply_to is None:
        return "dropped"  # nobody to write to; out of the index (a next reply may find one)
    if mail_contact.blocked_reason(candidate.project_id, address) is not None:
        mail_contact.note_blocked(visitor, address)  # the widget stops promising e-mail
        return "dropped"  # nobody to write to; out of the index (a next reply may find one)
    history = _history(candidate)
    start = _parse(since)
    new = [
        m
        for m in history
        if m.author_type == AUTHOR_OPERATOR
        and not m.author_id.startswith("auto.")
        and m.created_at >= start
        and (through is None or m.message_id > through)  # never twice
    ]
    if not new:
        return "raced"
    message = continuity_mail.build(
        project_name=project.name,
        to=address,
        reply_to=reply_to,
        unsubscribe_url=mail_contact.unsubscribe_link(tokens, project.project_id, address),
        thread_id=f"chat.{candidate.chat_id}@{get_settings().inbound_mail_domain}",
        new_replies=new,
        history=history,
    )
    try:
        mailer.send_message(message, display_name=project.name)
    except Exception:  # noqa: BLE001 - logged; the claim is given back for the next run
        log.exception("continuity e-mail for %s failed", candidate.chat_id)
        _give_back(candidate, since)
        return "failed"
    candidate.update(actions=[ChatModel.mailed_through.set(new[-1].message_id)])
    return "sent"


def _claim(candidate: ChatModel, since: str) -> bool:
    key = ChatModel.unseen_reply_at
    try:
        candidate.update(actions=[key.remove()], condition=key == since)
    except UpdateError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def _give_back(candidate: ChatModel, since: str) -> None:
    try:
        candidate.update(actions=[ChatModel.unseen_reply_at.set(ChatModel.unseen_reply_at | since)])
    except UpdateError:
        log.exception("could not give back the continuity claim of %s", candidate.chat_id)


def _history(candidate: ChatModel) -> list[MessageModel]:
    newest = MessageModel.query(
        chat_key(candidate.project_id, candidate.chat_id),
        scan_index_forward=False,
        limit=continuity_mail.SHOWN_MESSAGES * 2,
        consistent_read=True,
    )
    shown = [m for m in newest if not m.internal][: continuity_mail.SHOWN_MESSAGES]
    return list(reversed(shown))
