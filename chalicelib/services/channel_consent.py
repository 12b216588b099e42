"""Privacy consent on Telegram/Messenger chats: a notice, not a gate.

On the website the widget asks before a new dialogue's first message is stored (the
visitor has not written anything yet). A messenger customer has already written: their
message is on the platform, and refusing to store it would lose it without telling
anyone. So when the project asks for consent and the channel's kind ("telegram",
"messenger") is not in its excluded channels, a new dialogue's first customer message is
stored as always and answered at once with the project's consent text, its privacy link
and that continuing the conversation means agreeing: an automatic message through the
channel outbox (never with Messenger's Human agent tag), once per dialogue (its client id
is ``consent.<chat id>``), shown to the team as a system line with its delivery state.

The notice is stored in a write of its own after the dialogue opened: a crash between the
two leaves that dialogue without a notice (the customer's message is never at risk).
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.errors import DomainError
from chalicelib.models.chat import ChatModel
from chalicelib.models.message import AUTHOR_SYSTEM
from chalicelib.models.project import ProjectModel
from chalicelib.services import channel_outbox, consent, message_store
from chalicelib.services.message_store import Draft, Posted

CONTINUING = "By continuing this conversation you agree to it."


def notice_text(needed: consent.Requirement) -> str:
    policy = f"\nPrivacy policy: {needed.privacy_url}" if needed.privacy_url else ""
    return f"{needed.text}{policy}\n{CONTINUING}"


def send_notice(project: ProjectModel, opened: Posted, clock) -> Posted | None:
    """After a customer's message opened a dialogue: the notice, stored and queued; None
    when none applies or it may not go (no queue, the quota reached, the channel gone)."""
    chat = ChatModel.get(project.project_id, opened.message.chat_id)
    needed = consent.requirement(project, chat.channel)
    if needed is None:
        return None
    draft = Draft(
        project.project_id,
        chat.chat_id,
        AUTHOR_SYSTEM,
        "consent",
        project.name,
        notice_text(needed),
        f"consent.{chat.chat_id}",
    )
    now: datetime = clock()
    try:
        draft = channel_outbox.prepare(project, chat, draft, now, automatic=True)
    except DomainError:
        return None
    posted = message_store.store_standalone(draft, clock)
    return None if posted.duplicate else Posted(posted.message, False, chat.assignee_id)
