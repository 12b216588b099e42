"""E-mail escalation: when a visitor has waited the project's ``escalation_minutes``
(default 3, 0: off) for a reply, the clock app e-mails one person about the chat: the
assignee, else the online members with room who may take it, else the administrator
(the project's owner). Members who turned these e-mails off are skipped.

Candidates come from the sparse index ``unanswered`` (models/chat.py): only open chats
whose visitor's oldest unanswered message is older than a minute and not yet e-mailed
about, so a run costs in proportion to those, not to every chat. The waiting period's
start is written in the message's own UpdateItem (services/message_store.py), so the
message path costs no request more.

One e-mail per chat per waiting period: the chat is claimed before the mail goes (a
conditional update turning ``unanswered_key`` into ``"sent <time>"``, only if it is still
the period the index showed: a reply meanwhile removed it, so nothing is sent); a failed
send gives the claim back, so the next run tries again. A team reply ends the period;
the visitor's next message starts a new one, and a new e-mail may follow.

Business hours (services/business_hours.py): nobody is e-mailed while the project is
closed, and only the time within hours counts as waiting. A visitor who wrote at night
is escalated ``escalation_minutes`` after the opening (not at the opening, for a night's
"wait" nobody was there for); one who wrote at 16:58 with hours to 17:00 and a 3-minute
setting is escalated a minute after the next opening, since the team had two minutes of
their hours already. A chat waiting outside hours stays in the index and costs its
project's schedule check each run (no request: the project is read anyway).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import quote

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.clock import iso
from chalicelib.config import get_settings
from chalicelib.models.base import is_condition_failure
from chalicelib.models.chat import ESCALATED, OPEN_SHARDS, ChatModel
from chalicelib.models.message import AUTHOR_VISITOR, MessageModel, chat_key
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.services import availability, business_hours, distribution
from chalicelib.services.projects import escalation_minutes

log = logging.getLogger(__name__)

MIN_WAIT = timedelta(minutes=1)  # the smallest setting: the index is read from there
QUOTED_MESSAGES = 5
# Openings and closings walked through when adding up a wait within hours: a chat is
# e-mailed about (and leaves the index) minutes into the first opening, so a few suffice
# (32 openings: a day's setting with an hour a day). Past them the rest counts as open,
# so an odd schedule sends the e-mail early rather than never.
MAX_CHANGES = 64


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def run(now: datetime, mailer) -> dict:
    """E-mail about the chats whose wait passed their project's limit. Returns counts."""
    projects: dict[str, ProjectModel | None] = {}
    examined = sent = 0
    cutoff = iso(now - MIN_WAIT)
    for shard in range(OPEN_SHARDS):
        for candidate in ChatModel.unanswered.query(str(shard), ChatModel.unanswered_key <= cutoff):
            examined += 1
            if candidate.project_id not in projects:
                try:
                    projects[candidate.project_id] = ProjectModel.get(candidate.project_id)
                except DoesNotExist:
                    projects[candidate.project_id] = None
            project = projects[candidate.project_id]
            if project is not None and _due(candidate, project, now):
                sent += _escalate(candidate, project, now, mailer)
    return {"examined": examined, "sent": sent}


def _due(candidate: ChatModel, project: ProjectModel, now: datetime) -> bool:
    minutes = escalation_minutes(project)
    if minutes <= 0:
        return False
    schedule = availability.schedule_of(project)
    if not business_hours.is_open(schedule, now):
        return False  # nobody is due to be there: the wait resumes at the opening
    waited = waited_within_hours(schedule, _parse(candidate.unanswered_key), now)
    return waited >= timedelta(minutes=minutes)


def waited_within_hours(
    schedule: business_hours.Schedule | None, since: datetime, now: datetime
) -> timedelta:
    """How much of the time from ``since`` to ``now`` the project was open."""
    if schedule is None:
        return max(now - since, timedelta(0))
    total, moment = timedelta(0), since
    open_now = business_hours.is_open(schedule, since)
    for _ in range(MAX_CHANGES):
        change = business_hours.next_change(schedule, moment)
        end = now if change is None else min(change, now)
        if open_now and end > moment:
            total += end - moment
        if change is None or change >= now:
            break
        moment, open_now = change, not open_now
    else:
        total += now - moment
    return total


def recipients(project: ProjectModel, assignee_id: str | None) -> list[MemberModel]:
    """Who hears about a waiting chat: the assignee, else the online members with room
    (any of them may take it), else the administrator; without those who opted out."""
    if assignee_id:
        first = [m for m in [_member(project.project_id, assignee_id)] if m is not None]
    else:
        first = distribution.available_members(project)
    wanted = [m for m in first if m.escalation_emails is not False]
    if wanted:
        return wanted
    owner = _member(project.project_id, project.owner_id)
    return [owner] if owner is not None and owner.escalation_emails is not False else []


def _member(project_id: str, user_id: str) -> MemberModel | None:
    try:
        return MemberModel.get(project_id, user_id)
    except DoesNotExist:
        return None


def _claim(candidate: ChatModel, since: str, to: str) -> bool:
    key = ChatModel.unanswered_key
    try:
        candidate.update(
            actions=[key.set(to)],
            condition=(key == since) & ChatModel.open_shard.exists(),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            return False  # answered, closed or e-mailed meanwhile
        raise
    return True


def _escalate(candidate: ChatModel, project: ProjectModel, now: datetime, mailer) -> int:
    since = candidate.unanswered_key
    people = recipients(project, candidate.assignee_id)
    if not people or not _claim(candidate, since, ESCALATED + since):
        return 0
    waited = int((now - _parse(since)).total_seconds() // 60)
    subject, text = email(project, candidate, _last_messages(candidate), waited)
    sent = 0
    for person in people:
        try:
            mailer.send(person.email, subject, text)
            sent += 1
        except Exception:  # noqa: BLE001 - logged; the others still get theirs
            log.exception("escalation of %s to %s failed", candidate.chat_id, person.user_id)
    if not sent:  # give the claim back: the next run tries again
        _claim(candidate, ESCALATED + since, since)
    return sent


def _last_messages(candidate: ChatModel) -> list[MessageModel]:
    newest = MessageModel.query(
        chat_key(candidate.project_id, candidate.chat_id),
        scan_index_forward=False,
        limit=QUOTED_MESSAGES * 2,
    )
    shown = [m for m in newest if not m.internal and m.text][:QUOTED_MESSAGES]
    return list(reversed(shown))


def chat_link(project_id: str, chat_id: str) -> str:
    base = get_settings().panel_url or "https://example.invalid/panel/"
    return f"{base}#/{quote(project_id, safe='')}/inbox/{quote(chat_id, safe='')}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def email(
    project: ProjectModel, chat: ChatModel, messages: list[MessageModel], waited: int
) -> tuple[str, str]:
    """The e-mail's subject and plain text (visitor text is quoted as text, never
    markup: the mail has no HTML part)."""
    visitor = _one_line(chat.visitor_name or "A visitor")
    name = _one_line(project.name)
    subject = f"[{name}] {visitor} is waiting for a reply"
    quoted = []
    for message in messages:
        who = visitor if message.author_type == AUTHOR_VISITOR else message.author_name
        lines = message.text.splitlines() or [""]
        quoted.append(f"> {_one_line(who)}: {lines[0]}")
        quoted += [f">   {line}" for line in lines[1:]]
    minutes = f"{waited} minute{'s' * (waited != 1)}"
    text = "\n".join(
        [
            f"{visitor} has been waiting {minutes} for a reply in {name}.",
            "",
            "Last messages:",
            *quoted,
            "",
            f"Open the chat: {chat_link(project.project_id, chat.chat_id)}",
            "",
            "You get this e-mail because nobody on the team has answered since the visitor"
            " wrote. You can turn these e-mails off for yourself in the panel's Settings.",
        ]
    )
    return subject, text
