"""Consent in dialogues the team opens: the visitor's first reply waits for agreement.

A dialogue the visitor starts asks for consent before it is stored (messaging). One an
operator starts (services/proactive.py) already exists when the visitor first writes, so
it is opened with ``consent_wanted`` when the project asks for consent on the widget. The
visitor's writes into a dialogue are conditional on that flag being absent, so a normal
reply still costs no read; the first reply fails the condition, the dialogue is read,
and comes here: without the current consent version it is refused (ConsentRequired,
nothing stored); with it, one transaction stores the consent line, the reply, and the
agreement on the dialogue, and clears the flag.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.auth.identities import VisitorIdentity
from chalicelib.models.chat import STATUS_CLOSED, ChatModel
from chalicelib.models.message import AUTHOR_SYSTEM, MessageModel
from chalicelib.models.project import ProjectModel
from chalicelib.services import consent, message_store, projects
from chalicelib.services.message_store import Draft, Posted


def wanted(project: ProjectModel) -> bool:
    """Whether a dialogue the team opens now must ask the visitor (the widget channel)."""
    return consent.requirement(project) is not None


def consent_line(
    project: ProjectModel, chat_id: str, agreed: consent.Requirement, now: datetime
) -> MessageModel:
    """The system line that records what the visitor agreed to, in the dialogue."""
    text = agreed.text + (f"\nPrivacy policy: {agreed.privacy_url}" if agreed.privacy_url else "")
    return Draft(
        project.project_id,
        chat_id,
        AUTHOR_SYSTEM,
        "consent",
        project.name,
        text,
        f"consent.{chat_id}",
    ).at(now)


def first_reply(
    identity: VisitorIdentity,
    draft: Draft,
    chat: ChatModel,
    consent_version,
    clock,
    sleep,
) -> Posted | None:
    """Store the visitor's first reply in a dialogue that waits for consent (``chat``, just
    read). None when the dialogue changed meanwhile (the caller reads it again)."""
    project = projects.require_project(identity.project_id)
    # Consent may have been switched off since the dialogue opened: the reply goes in.
    agreed = consent.check(project, consent_version)
    draft = replace(draft, chat_id=chat.chat_id)
    condition = (
        (ChatModel.visitor_id == identity.visitor_id)
        & (ChatModel.status != STATUS_CLOSED)
        & ChatModel.consent_wanted.exists()
        & message_store.assignee_is(chat.assignee_id)
    )

    def agreement(transaction, message: MessageModel, now: datetime) -> None:
        # The consent line at ``now``, the visitor's words a millisecond later.
        if agreed is not None:
            transaction.save(consent_line(project, chat.chat_id, agreed, now))
        actions = [*message_store.chat_actions(message), ChatModel.consent_wanted.remove()]
        if agreed is not None:
            actions += [
                ChatModel.consent_version.set(agreed.version),
                ChatModel.consent_at.set(now),
            ]
        transaction.update(
            ChatModel(identity.project_id, chat.chat_id), actions=actions, condition=condition
        )

    # None: another tab agreed first, or the dialogue was closed or moved.
    return message_store.store(
        draft,
        clock,
        sleep,
        also=agreement,
        assignee_id=chat.assignee_id,
        at=(lambda now: now + timedelta(milliseconds=1)) if agreed else None,
    )
