"""The continuity e-mail itself: a MIME message with the team's unseen replies, the
chat so far as plain text, a ``Reply-To`` that routes the answer back into the chat,
and one-click unsubscribe headers (RFC 8058).

Plain text only: message text is never put into markup, so nothing a visitor or an
operator typed can become HTML in someone's mail client.
"""

from __future__ import annotations

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage

from chalicelib.models.message import AUTHOR_VISITOR, MessageModel

SHOWN_MESSAGES = 50
# Header lines up to RFC 5322's 998 characters: folded at 78, the long unsubscribe URL
# would be RFC 2047-encoded, which mail clients do not read as a List-Unsubscribe URL.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _when(message: MessageModel) -> str:
    return message.created_at.strftime("%d %b %Y %H:%M UTC")


def _lines(message: MessageModel) -> list[str]:
    lines = (message.text or "").splitlines() or [""]
    files = [f"[file: {_one_line(f.name)} {f.url}]" for f in message.files or []]
    return lines + files


def transcript(
    messages: list[MessageModel], visitor_label: str = "You", limit: int = SHOWN_MESSAGES
) -> list[str]:
    out = []
    for message in messages[-limit:]:
        who = visitor_label if message.author_type == AUTHOR_VISITOR else message.author_name
        out.append(f"{_one_line(who)} ({_when(message)}):")
        out += [f"  {line}" for line in _lines(message)]
    return out


def build(
    *,
    project_name: str,
    to: str,
    reply_to: str,
    unsubscribe_url: str,
    thread_id: str,
    new_replies: list[MessageModel],
    history: list[MessageModel],
) -> EmailMessage:
    name = _one_line(project_name)
    authors = list(dict.fromkeys(_one_line(m.author_name) for m in new_replies))
    who = ", ".join(authors) or name
    count = len(new_replies)
    subject = f"[{name}] {who} replied to your chat" + (f" ({count} messages)" * (count > 1))
    body = [f"{who} from {name} wrote to you in the chat:", ""]
    for message in new_replies:
        body += [f"  {line}" for line in _lines(message)]
        body.append("")
    body += [
        "Reply to this e-mail to answer: your reply goes into the same chat.",
        "",
        "--- The chat so far ---",
        *transcript(history),
        "",
        "--",
        f"You get this e-mail because you chatted with {name} and did not see these",
        "replies in the chat window.",
        f"Stop these e-mails: {unsubscribe_url}",
    ]
    message = EmailMessage(policy=MAIL_POLICY)
    message["To"] = to
    message["Subject"] = subject
    user, _, domain = reply_to.rpartition("@")
    message["Reply-To"] = Address(display_name=name, username=user, domain=domain)
    _common_headers(message, unsubscribe_url, thread_id)
    message.set_content("\n".join(body) + "\n")
    return message


def _common_headers(message: EmailMessage, unsubscribe_url: str, thread_id: str) -> None:
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Sent by a program (RFC 3834): out-of-office responders do not answer it, so no
    # robot's reply comes back into the chat (and inbound_mail refuses those anyway).
    message["Auto-Submitted"] = "auto-generated"
    # One conversation, one thread in the visitor's mail client.
    message["References"] = f"<{thread_id}>"
    message["In-Reply-To"] = f"<{thread_id}>"


def build_transcript(
    *,
    project_name: str,
    to: str,
    reply_to: str | None,
    unsubscribe_url: str,
    thread_id: str,
    history: list[MessageModel],
) -> EmailMessage:
    """The chat so far, sent by the team (services/transcripts.py)."""
    name = _one_line(project_name)
    body = [f"Your chat with {name}:", "", *transcript(history, limit=len(history)), ""]
    if reply_to:
        body += ["Reply to this e-mail to answer: your reply goes into the same chat.", ""]
    body += [
        "--",
        f"The team of {name} sent you this transcript.",
        f"Stop these e-mails: {unsubscribe_url}",
    ]
    message = EmailMessage(policy=MAIL_POLICY)
    message["To"] = to
    message["Subject"] = f"[{name}] Your chat transcript"
    if reply_to:
        user, _, domain = reply_to.rpartition("@")
        message["Reply-To"] = Address(display_name=name, username=user, domain=domain)
    _common_headers(message, unsubscribe_url, thread_id)
    message.set_content("\n".join(body) + "\n")
    return message
