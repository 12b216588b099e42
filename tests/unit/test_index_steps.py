"""DynamoDB adds (or deletes) one GSI per table per update: a stack deployed long ago
gains its indexes through intermediate templates (infra/index_steps.py, infra/deploy.sh)."""

import pytest

from chalicelib.config import get_settings
from infra import tables as table_templates

# --- DynamoDB adds one GSI per table per update (infra/index_steps.py, infra/deploy.sh) ---


def test_a_table_gaining_two_indexes_gets_them_in_two_updates():
    from infra.index_steps import plan

    wanted = {"chats": ["by_activity", "unanswered", "unread"], "members": ["by_user"]}
    # A stack from before both: this update adds "unanswered", holds "unread" back.
    before = {"chats": {"by_activity"}, "members": {"by_user"}}
    assert plan(wanted, before) == ["chats:unread"]
    # The next one can add the last; a new table is created with all its indexes.
    assert plan(wanted, {"chats": {"by_activity", "unanswered"}, "members": {"by_user"}}) == []
    assert plan(wanted, {"chats": None, "members": None}) == []


def test_a_replaced_index_is_deleted_in_an_update_of_its_own_before_its_successor_is_added():
    from infra.index_steps import plan

    wanted = {"chats": ["by_activity", "queue"], "members": ["by_user", "by_email"]}
    live = {"chats": {"by_activity", "waiting"}, "members": {"by_user"}}
    # First update: chats only drops "waiting" (its successor held back); members adds one.
    assert plan(wanted, live) == ["chats:queue"]
    # Then "queue" comes in the next.
    assert plan(wanted, {"chats": {"by_activity"}, "members": {"by_user", "by_email"}}) == []


def test_a_held_back_index_and_its_key_attribute_leave_the_template(monkeypatch):
    from chalicelib.models.chat import ChatModel

    prefix = get_settings().table_prefix
    monkeypatch.setenv("HOLD_BACK_INDEXES", "chats:unread")
    held = table_templates.table_resource(ChatModel, prefix, table_templates.held_back_indexes())[
        "Properties"
    ]
    whole = table_templates.table_resource(ChatModel, prefix)["Properties"]

    def names(properties):
        return [index["IndexName"] for index in properties["GlobalSecondaryIndexes"]]

    assert "unread" in names(whole) and names(held) == [n for n in names(whole) if n != "unread"]
    defined = {d["AttributeName"] for d in held["AttributeDefinitions"]}
    assert "unread_project_id" not in defined and "unanswered_key" in defined
    assert "unread_project_id" in {d["AttributeName"] for d in whole["AttributeDefinitions"]}


def test_a_malformed_hold_back_is_refused(monkeypatch):
    monkeypatch.setenv("HOLD_BACK_INDEXES", "chats")
    with pytest.raises(ValueError, match="<table>:<index>"):
        table_templates.held_back_indexes()


def test_index_steps_reads_the_live_tables(monkeypatch, capsys):
    import boto3
    import moto

    from infra import index_steps

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        # The chats table as a stack from before ``unanswered`` and ``unread`` has it.
        boto3.client("dynamodb").create_table(
            TableName="old-stack-chats",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "project_id", "KeyType": "HASH"},
                {"AttributeName": "chat_id", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "project_id", "AttributeType": "S"},
                {"AttributeName": "chat_id", "AttributeType": "S"},
                {"AttributeName": "activity_key", "AttributeType": "S"},
                {"AttributeName": "open_shard", "AttributeType": "S"},
                {"AttributeName": "last_activity_at", "AttributeType": "S"},
                {"AttributeName": "waiting_project_id", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": name,
                    "KeySchema": [
                        {"AttributeName": hash_key, "KeyType": "HASH"},
                        {"AttributeName": range_key, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
                for name, hash_key, range_key in (
                    ("by_activity", "project_id", "activity_key"),
                    ("open_idle", "open_shard", "last_activity_at"),
                    ("waiting", "waiting_project_id", "activity_key"),
                )
            ],
        )
        assert index_steps.main(["--prefix", "old-stack-"]) == 0

    # Every other table is new (created whole). The old chats table first loses "waiting"
    # (replaced by "queue") with everything it gains held back; then one a step.
    assert capsys.readouterr().out.strip() == (
        "chats:unanswered,chats:unread,chats:unseen_replies,chats:queue"
    )
