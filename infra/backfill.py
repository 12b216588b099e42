"""Once, after a deploy that adds a sparse index: chats written before it carry no key
for it, so the app would not find them there until their next write. Each backfill puts
them in.

    AWS_REGION=... python -m infra.backfill unread --prefix livechat-dev-
    AWS_REGION=... python -m infra.backfill queue --prefix livechat-dev-

- ``unread``: chats left unread by the team get ``unread_project_id`` (GET /me/unread).
- ``queue``: chats waiting for distribution get ``queued_key`` (the ``queue`` index that
  replaced ``waiting``), from their ``activity_key``: the order the old index had.

One Scan of the chats table (the deployer's credentials; the app itself never scans) and
one conditional UpdateItem per chat found, still in the state the scan saw and still
without the attribute, so a read, a message or an assignment meanwhile wins. Safe to rerun.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Backfill:
    what: str  # for the summary line: "<n> <what> put in the index"
    still: str  # the condition the chat must still meet (and the scan's filter)
    update: str
    values: dict  # the condition's values; ":project" / ":activity" are the item's own


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
}


def backfill(client, table: str, step: Backfill) -> int:
    """Every chat of ``table`` the step finds, put in the index; how many."""
    done = 0
    scan = {
        "TableName": table,
        "FilterExpression": step.still,
        "ProjectionExpression": "project_id, chat_id, activity_key",
    }
    if step.values:
        scan["ExpressionAttributeValues"] = step.values
    for page in client.get_paginator("scan").paginate(**scan):
        for item in page["Items"]:
            own = {":project": item["project_id"], ":activity": item.get("activity_key")}
            values = {**step.values, **{k: v for k, v in own.items() if k in step.update}}
            try:
                client.update_item(
                    TableName=table,
                    Key={"project_id": item["project_id"], "chat_id": item["chat_id"]},
                    UpdateExpression=step.update,
                    ConditionExpression=step.still,
                    ExpressionAttributeValues=values,
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
    print(f"{backfill(client, args.prefix + 'chats', step)} {step.what} put in the index")
    return 0


if __name__ == "__main__":
    sys.exit(main())
