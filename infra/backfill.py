"""Once, after a deploy that adds a sparse index: items written before it carry no key
for it, so the app would not find them there until their next write. Each backfill puts
them in.

    AWS_REGION=... python -m infra.backfill unread --prefix livechat-dev-
    AWS_REGION=... python -m infra.backfill queue --prefix livechat-dev-
    AWS_REGION=... python -m infra.backfill connected --prefix livechat-dev-
    AWS_REGION=... python -m infra.backfill sending --prefix livechat-dev-

- ``unread``: chats left unread by the team get ``unread_project_id`` (GET /me/unread).
- ``queue``: chats waiting for distribution get ``queued_key`` (the ``queue`` index that
  replaced ``waiting``), from their ``activity_key``: the order the old index had.
- ``connected``: connected channels get ``connected_shard`` (the daily token check).
- ``sending``: replies to Telegram/Messenger still "sending" get ``sending_due`` = now
  (the ``sending`` index the clock app re-queues unsent replies from; the claims make a
  re-queue of one still on the queue harmless).

One Scan of the table (the deployer's credentials; the app itself never scans) and
one conditional UpdateItem per item found, still in the state the scan saw and still
without the attribute, so a read, a message or an assignment meanwhile wins. Safe to rerun.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Backfill:
    what: str  # for the summary line: "<n> <what> put in the index"
    still: str  # the condition the item must still meet (and the scan's filter)
    update: str
    values: dict  # the condition's values; ":project" / ":activity" are the item's own
    table: str = "chats"  # the table's base name (after the prefix)
    keys: tuple = ("project_id", "chat_id")


BACKFILLS = {
    "unread": Backfill(
        "unread chats",
        "unread_by_team > :zero AND attribute_not_exists(unread_project_id)",
        "SET unread_project_id = :project",
        {":zero": {"N": "0"}},
    ),
    "queue": Backfill(
        "waiting chats",
        "attribute_exists(waiting_project_id) AND attribute_not_exists(queued_key)",
        "SET queued_key = :activity",
        {},
    ),
    "connected": Backfill(
        "connected channels",
        "#status = :connected AND attribute_not_exists(connected_shard)",
        "SET connected_shard = :shard",
        {":connected": {"S": "connected"}, ":shard": {"S": "connected"}},
        table="channels",
        keys=("channel_id",),
    ),
    "sending": Backfill(
        "unsent replies",
        "delivery = :sending AND attribute_not_exists(sending_due)",
        "SET sending_due = :due",
        # PynamoDB's UTCDateTimeAttribute format, so the index's range sorts with the app's.
        {
            ":sending": {"S": "sending"},
            ":due": {"S": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")},
        },
        table="messages",
        keys=("chat_key", "message_id"),
    ),
}
# Attribute names that are DynamoDB reserved words, as the expressions write them.
NAMES = {"#status": "status"}


def backfill(client, table: str, step: Backfill) -> int:
    """Every item of ``table`` the step finds, put in the index; how many."""
    done = 0
    names = {k: v for k, v in NAMES.items() if k in step.still}
    read = [*step.keys, *(["activity_key"] if ":activity" in step.update else [])]
    scan = {
        "TableName": table,
        "FilterExpression": step.still,
        "ProjectionExpression": ", ".join(read),
    }
    if step.values:
        scan["ExpressionAttributeValues"] = step.values
    if names:
        scan["ExpressionAttributeNames"] = names
    for page in client.get_paginator("scan").paginate(**scan):
        for item in page["Items"]:
            own = {":project": item.get("project_id"), ":activity": item.get("activity_key")}
            values = {**step.values, **{k: v for k, v in own.items() if k in step.update}}
            try:
                client.update_item(
                    TableName=table,
                    Key={key: item[key] for key in step.keys},
                    UpdateExpression=step.update,
                    ConditionExpression=step.still,
                    ExpressionAttributeValues=values,
                    **({"ExpressionAttributeNames": names} if names else {}),
                )
                done += 1
            except client.exceptions.ConditionalCheckFailedException:
                pass  # changed since the scan saw it: already right
    return done


def main(argv: list[str] | None = None, client=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.backfill", description=__doc__)
    parser.add_argument("index", choices=sorted(BACKFILLS), help="which index to backfill")
    parser.add_argument("--prefix", required=True, help="the stack's TABLE_PREFIX")
    args = parser.parse_args(argv)
    if client is None:
        import botocore.session

        client = botocore.session.get_session().create_client("dynamodb")
    step = BACKFILLS[args.index]
    print(f"{backfill(client, args.prefix + step.table, step)} {step.what} put in the index")
    return 0


if __name__ == "__main__":
    sys.exit(main())
