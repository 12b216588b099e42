"""Which global indexes infra/deploy.sh must hold back for one more intermediate stack
update: DynamoDB creates (or deletes) one GSI per table per update, so CloudFormation
fails ("Cannot perform more than one GSI creation or deletion in a single update") when
a table of a stack deployed long ago gains two at once (e.g. ``unanswered`` and
``unread`` on the chats table for a stack from before either).

    python -m infra.index_steps --prefix livechat-dev-

prints ``<table>:<index>,...`` (the indexes to leave out of the next update, for
``HOLD_BACK_INDEXES``, infra/tables.py), or nothing when one update can add them all.
Each step adds the first missing index of every table, in the models' order. A table that
does not exist yet is created with all its indexes in one go (that is allowed). An index
the template dropped (replaced, as ``waiting`` by ``queue`` on chats) is deleted by the
first step, holding back every index that table gains; a deletion is one of the "one per
update" too.
"""

from __future__ import annotations

import argparse
import sys
import time


def plan(wanted: dict[str, list[str]], existing: dict[str, set[str] | None]) -> list[str]:
    """The indexes to hold back: all but the first missing one of each existing table, or
    all of them while the table still has one the template dropped (this update deletes
    it). ``wanted``: table -> its template's GSI names in order; ``existing``: table ->
    the live table's GSI names (None: no such table yet)."""
    held: list[str] = []
    for table, indexes in wanted.items():
        live = existing.get(table)
        if live is None:
            continue
        missing = [index for index in indexes if index not in live]
        dropped = live - set(indexes)
        held += [f"{table}:{index}" for index in missing[(0 if dropped else 1) :]]
    return held


def wanted_indexes() -> dict[str, list[str]]:
    from infra.tables import _models, table_base_name, table_resource

    models, prefix = _models()
    wanted = {}
    for model in models:
        resource = table_resource(model, prefix)["Properties"]
        names = [index["IndexName"] for index in resource.get("GlobalSecondaryIndexes", [])]
        wanted[table_base_name(model, prefix)] = names
    return wanted


def live_indexes(
    tables: list[str], prefix: str, sleep=time.sleep, wait_s: float = 3600
) -> dict[str, set[str] | None]:
    """Each table's GSIs, once none is still being built: a second creation while one
    backfills fails too ("Only 1 online index can be created or deleted simultaneously")."""
    import botocore.session

    client = botocore.session.get_session().create_client("dynamodb")
    deadline = time.monotonic() + wait_s
    live: dict[str, set[str] | None] = {}
    for table in tables:
        while True:
            try:
                described = client.describe_table(TableName=prefix + table)["Table"]
            except client.exceptions.ResourceNotFoundException:
                live[table] = None
                break
            indexes = described.get("GlobalSecondaryIndexes", [])
            if all(i.get("IndexStatus", "ACTIVE") == "ACTIVE" for i in indexes):
                live[table] = {i["IndexName"] for i in indexes}
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"infra.index_steps: {prefix + table}'s indexes stay busy")
            sleep(15)
    return live


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.index_steps", description=__doc__)
    parser.add_argument("--prefix", required=True, help="the stack's TABLE_PREFIX")
    args = parser.parse_args(argv)
    wanted = wanted_indexes()
    print(",".join(plan(wanted, live_indexes(list(wanted), args.prefix))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
