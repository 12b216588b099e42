"""Dialogues between a visitor and a project's team.

Access patterns:
- chat C of project P: GetItem / conditional UpdateItem.                  -> ChatModel
- a project's chats, newest activity first, paged: Query GSI ``by_activity``
  (hash project, range "<last activity iso>#<chat id>"); ALL projection so the first
  page of the inbox is one Query.                                           -> ChatModel.by_activity
- a project's open, unassigned chats in the order their visitors began to wait (the
  distribution queue): Query the sparse GSI ``queue`` (range ``queued_key``);
  ``waiting_project_id`` and ``queued_key`` are present only while a chat is open and
  unassigned.                                                 -> ChatModel.waiting
- open chats idle since before T, across projects (the auto-close job): Query the sparse
  GSI ``open_idle`` per shard with ``last_activity_at <= T``. ``open_shard`` is present
  only while a chat is open, so the index holds only open chats and the job's cost
  follows them, not every chat ever; sharded so no partition takes every write.
                                                            -> ChatModel.open_idle
- open chats whose visitor has waited for a reply since before T, not yet e-mailed about
  (the escalation job): Query the sparse GSI ``unanswered`` per shard with
  ``unanswered_key <= T``. ``unanswered_key`` is the time of the visitor's first message
  the team has not answered (set in the message's own UpdateItem, removed by the team's
  reply and by the close); once e-mailed it becomes ``"sent <time>"``, which sorts after
  every time, so the key condition skips it without reading it.
                                                            -> ChatModel.unanswered
- how many of project P's chats the team has not read (GET /me/unread, one per project
  of the member): Query the sparse GSI ``unread`` with Select COUNT. ``unread_project_id``
  is set in the same UpdateItem (or Put) that raises ``unread_by_team`` and removed in
  the one that marks the chat read, so the index holds exactly the chats whose list
  badge shows a number, closed ones included, as the list does; ``assignee_id`` is
  projected so an operator's count filters to the chats their list shows.
                                                            -> ChatModel.unread
- chats with a team reply the visitor has not seen since before T (the continuity
  e-mail job, services/continuity.py): Query the sparse GSI ``unseen_replies`` per shard
  (``mail_shard``) with ``unseen_reply_at <= T``. ``unseen_reply_at`` is the time of the
  first team reply since the visitor last read (set in the reply's own UpdateItem),
  removed by the visitor's read mark and by the job's claim, so the index holds only the
  batches still waiting; ``visitor_id`` and ``mailed_through`` are projected.
                                                            -> ChatModel.unseen_replies
"""

import zlib

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
)
from pynamodb.models import Model

from chalicelib.models.base import table_meta

STATUS_OPEN = "open"
STATUS_CLOSED = "closed"
RATINGS = ("great", "average", "poor")


def state_of(chat: "ChatModel") -> str:
    """What the panel shows: open (unassigned), assigned, or closed."""
    if chat.status == STATUS_CLOSED:
        return "closed"
    return "assigned" if chat.assignee_id else "open"


class LastMessage(MapAttribute):
    id = UnicodeAttribute()
    text = UnicodeAttribute()
    author_type = UnicodeAttribute()
    created_at = UnicodeAttribute()


class ChatsByActivity(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_activity"
        projection = AllProjection()

    project_id = UnicodeAttribute(hash_key=True)
    activity_key = UnicodeAttribute(range_key=True)


OPEN_SHARDS = 4


def open_shard(chat_id: str) -> str:
    return str(zlib.crc32(chat_id.encode()) % OPEN_SHARDS)


class OpenChatsByIdleness(GlobalSecondaryIndex):
    class Meta:
        index_name = "open_idle"
        projection = IncludeProjection(["assignee_id"])

    open_shard = UnicodeAttribute(hash_key=True)
    last_activity_at = UnicodeAttribute(range_key=True)


class UnansweredChats(GlobalSecondaryIndex):
    class Meta:
        index_name = "unanswered"
        projection = IncludeProjection(["assignee_id", "visitor_name"])

    open_shard = UnicodeAttribute(hash_key=True)
    unanswered_key = UnicodeAttribute(range_key=True)


ESCALATED = "sent "  # unanswered_key's prefix once the waiting period was e-mailed about


class UnreadChats(GlobalSecondaryIndex):
    class Meta:
        index_name = "unread"
        # Who has it: an operator without the right to see every chat counts only theirs
        # and the unassigned ones (a filter on the count, no read of the chats).
        projection = IncludeProjection(["assignee_id"])

    unread_project_id = UnicodeAttribute(hash_key=True)
    chat_id = UnicodeAttribute(range_key=True)


class UnseenReplies(GlobalSecondaryIndex):
    class Meta:
        index_name = "unseen_replies"
        # Whose chat, and up to when it was e-mailed already: the job's first read is
        # the visitor's record, not the chat's.
        projection = IncludeProjection(["visitor_id", "mailed_through"])

    mail_shard = UnicodeAttribute(hash_key=True)
    unseen_reply_at = UnicodeAttribute(range_key=True)


class WaitingChats(GlobalSecondaryIndex):
    """The distribution queue, in the order visitors began to wait (``queued_key``), not
    by last activity: a waiting visitor who writes again keeps their place. (It replaced
    the ``waiting`` index, ordered by ``activity_key``; ``python -m infra.backfill queue`` once.)"""

    class Meta:
        index_name = "queue"
        # Who gave the dialogue back, so distribution does not hand it straight back.
        projection = IncludeProjection(["declined_by"])

    waiting_project_id = UnicodeAttribute(hash_key=True)
    queued_key = UnicodeAttribute(range_key=True)


class ChatModel(Model):
    Meta = table_meta("chats")

    project_id = UnicodeAttribute(hash_key=True)
    chat_id = UnicodeAttribute(range_key=True)
    visitor_id = UnicodeAttribute()
    visitor_name = UnicodeAttribute()
    status = UnicodeAttribute(default=STATUS_OPEN)
    created_at = UTCDateTimeAttribute()
    # ISO string (not a datetime attribute) because it is an index range key.
    last_activity_at = UnicodeAttribute()
    activity_key = UnicodeAttribute()
    open_shard = UnicodeAttribute(null=True)  # present only while open (sparse index)
    waiting_project_id = UnicodeAttribute(null=True)  # only while open and unassigned
    queued_key = UnicodeAttribute(null=True)  # "<since>#<chat id>": with waiting_project_id
    declined_by = UnicodeAttribute(null=True)  # the member who last gave it back
    # The visitor's oldest unanswered message's time (ISO), "sent <time>" once the team
    # was e-mailed about it; absent when the team answered (services/escalation.py).
    unanswered_key = UnicodeAttribute(null=True)
    last_message = LastMessage(null=True)
    unread_by_team = NumberAttribute(default=0)
    # The project id while ``unread_by_team`` > 0 (sparse index ``unread``), else absent.
    unread_project_id = UnicodeAttribute(null=True)
    unread_by_visitor = NumberAttribute(default=0)
    # Assigned to this member (absent: unassigned). Kept when the dialogue closes, so a
    # rating or a reopening knows whose it was.
    assignee_id = UnicodeAttribute(null=True)
    assignee_name = UnicodeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    rating = UnicodeAttribute(null=True)  # great | average | poor
    # The visitor's agreement to the privacy policy, when the project asked for one.
    consent_version = NumberAttribute(null=True)
    consent_at = UTCDateTimeAttribute(null=True)
    # Present while a dialogue the team opened (a proactive chat) waits for the visitor's
    # agreement: their first reply must carry it (services/consent_dialogue.py).
    consent_wanted = BooleanAttribute(null=True)
    # Conversations that continue by e-mail (services/continuity.py): the first team
    # reply the visitor has not seen (ISO; absent once seen or e-mailed), the chat's
    # shard for that index, and the last reply e-mailed (its message id).
    unseen_reply_at = UnicodeAttribute(null=True)
    mail_shard = UnicodeAttribute(null=True)
    mailed_through = UnicodeAttribute(null=True)
    # When the team last e-mailed the visitor a transcript (services/transcripts.py).
    transcript_sent_at = UnicodeAttribute(null=True)
    # The team's first reply to a waiting visitor (services/reply_times.py): set once, in
    # that reply's own UpdateItem, under the condition that it is still absent.
    first_reply_at = UTCDateTimeAttribute(null=True)

    by_activity = ChatsByActivity()
    open_idle = OpenChatsByIdleness()
    waiting = WaitingChats()
    unanswered = UnansweredChats()
    unread = UnreadChats()
    unseen_replies = UnseenReplies()

    # --- messenger channels (services/channel_inbound.py); all absent for the website ---
    channel = UnicodeAttribute(null=True)  # "telegram" | "messenger"
    channel_id = UnicodeAttribute(null=True)  # the ChannelModel's id
    channel_name = UnicodeAttribute(null=True)  # the bot's @username or the Page's name
    # The customer's last message: Messenger's 24-hour window (and the tag's 7 days) count
    # from it (services/channel_gate.py); set in the inbound message's own write.
    customer_last_at = UTCDateTimeAttribute(null=True)
    # The customer's picture (the visitor's ``picture_url``, copied when the chat opens).
    visitor_picture_url = UnicodeAttribute(null=True)
    # Set when the platform says this customer cannot be reached (blocked the bot, ...).
    unreachable_reason = UnicodeAttribute(null=True)


def activity_key(last_activity_iso: str, chat_id: str) -> str:
    return f"{last_activity_iso}#{chat_id}"


def queued_key(since_iso: str, chat_id: str) -> str:
    """The queue's order: when the visitor began to wait (ties broken by the chat id)."""
    return f"{since_iso}#{chat_id}"
