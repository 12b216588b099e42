"""Once, after the first deploy with the ``unread`` index: chats left unread by the team
before it existed carry no ``unread_project_id`` yet, so GET /me/unread would not count
them until their next visitor message or read mark. This puts them in the index.

    AWS_REGION=... python -m infra.backfill_unread --prefix livechat-dev-

One Scan of the chats table (the deployer's credentials; the app itself never scans)
and one conditional UpdateItem per chat found: still unread and still without the
attribute, so a read mark or a new message meanwhile wins. Safe to rerun.
"""

from __future__ import annotations

import argparse
import sys


def backfill(client, table: str) -> int:
    """Put every unread chat of ``table`` lacking the attribute in the index; how many."""
    done = 0
    pages = client.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="unread_by_team > :zero AND attribute_not_exists(unread_project_id)",
        ProjectionExpression="project_id, chat_id",
        ExpressionAttributeValues={":zero": {"N": "0"}},
    )
    for page in pages:
        for item in page["Items"]:
            try:
                client.update_item(
                    TableName=table,
                    Key={"project_id": item["project_id"], "chat_id": item["chat_id"]},
                    UpdateExpression="SET unread_project_id = :project",
                    ConditionExpression=(
                        "unread_by_team > :zero AND attribute_not_exists(unread_project_id)"
                    ),
                    ExpressionAttributeValues={":zero": {"N": "0"}, ":project": item["project_id"]},
                )
                done += 1
            except client.exceptions.ConditionalCheckFailedException:
                pass  # read, or written to, since the scan saw it: already right
    return done


def main(argv: list[str] | None = None, client=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.backfill_unread", description=__doc__)
    parser.add_argument("--prefix", required=True, help="the stack's TABLE_PREFIX")
    args = parser.parse_args(argv)
    if client is None:
        import botocore.session

        client = botocore.session.get_session().create_client("dynamodb")
    print(f"{backfill(client, args.prefix + 'chats')} unread chats put in the index")
    return 0


if __name__ == "__main__":
    sys.exit(main())
