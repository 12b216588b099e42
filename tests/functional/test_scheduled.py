"""The clock app's connection sweep, invoked as the schedule would invoke it."""

import json
import pathlib
from datetime import timedelta

from chalicelib.clock import utcnow
from chalicelib.models.connection import KIND_OPERATOR, KIND_VISITOR, ConnectionModel
from chalicelib.models.project import MemberModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.realtime import connections

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _records():
    """Connection records (not their pointers). A Scan, in a test only."""
    return [r for r in ConnectionModel.scan() if r.audience.startswith("P#")]


def _sweep(client):
    event = json.loads((ROOT / "tests" / "events" / "scheduled.json").read_text())
    return client.lambda_.invoke("sweep_connections", event).payload


def test_sweep_removes_expired_records_and_marks_people_offline(platform, scheduled_app):
    # Given an operator and a visitor whose sockets API Gateway dropped silently 3 hours ago
    operator = platform.sign_up()
    visitor = platform.visitor(operator.project_id)
    long_ago = utcnow() - timedelta(hours=3)
    connections.register(
        "old-op=", KIND_OPERATOR, operator.project_id, operator.user_id, long_ago, 7800
    )
    connections.register(
        "old-v=", KIND_VISITOR, operator.project_id, visitor.visitor_id, long_ago, 7800
    )
    # and a visitor tab that connected just now
    fresh, _ = platform.connect(visitor.token)

    result = _sweep(scheduled_app)

    assert result == {"removed": 2}
    remaining = {r.connection_id for r in _records()}
    assert remaining == {fresh}
    assert MemberModel.get(operator.project_id, operator.user_id).presence == "offline"
    # the visitor still has a live tab, so stays online
    assert VisitorModel.get(operator.project_id, visitor.visitor_id).online is True


def test_sweep_is_idempotent(platform, scheduled_app):
    operator = platform.sign_up()
    connections.register(
        "old-op=",
        KIND_OPERATOR,
        operator.project_id,
        operator.user_id,
        utcnow() - timedelta(hours=3),
        7800,
    )
    assert _sweep(scheduled_app) == {"removed": 1}
    assert _sweep(scheduled_app) == {"removed": 0}


def test_disconnect_removes_the_record_and_the_last_one_marks_offline(platform):
    operator = platform.sign_up()
    first, _ = platform.connect(operator.token, project=operator.project_id)
    second, _ = platform.connect(operator.token, project=operator.project_id)
    assert MemberModel.get(operator.project_id, operator.user_id).presence == "online"

    platform.disconnect(first)
    assert MemberModel.get(operator.project_id, operator.user_id).presence == "online"
    platform.disconnect(second)
    assert MemberModel.get(operator.project_id, operator.user_id).presence == "offline"
    assert ConnectionModel.count() == 0


def test_a_gone_connection_is_deleted_when_fan_out_meets_a_410(platform):
    operator = platform.sign_up()
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)
    stale_op, _ = platform.connect(operator.token, project=operator.project_id)
    platform.sender.gone.add(stale_op)

    platform.frame(
        tab,
        {"action": "send", "token": visitor.token, "client_id": "gone-00001", "text": "anyone?"},
    )

    assert [r.connection_id for r in _records()] == [tab]


def test_a_socket_closed_right_after_it_opened_leaves_nothing_behind(platform):
    operator = platform.sign_up()
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.disconnect(tab)
    assert ConnectionModel.count() == 0
    assert VisitorModel.get(operator.project_id, visitor.visitor_id).online is False


def test_a_410_racing_a_disconnect_counts_once(platform):
    operator = platform.sign_up()
    visitor = platform.visitor(operator.project_id)
    first, _ = platform.connect(visitor.token)
    second, _ = platform.connect(visitor.token)
    [record] = [r for r in _records() if r.connection_id == first]

    assert connections.forget(record) is True
    assert connections.forget(record) is False  # the $disconnect arriving late
    state = VisitorModel.get(operator.project_id, visitor.visitor_id)
    assert (state.live_connections, state.online) == (1, True)


def test_an_operator_socket_stops_receiving_when_its_token_expires(platform, sender):
    operator = platform.sign_up()
    op_conn, _ = platform.connect(operator.token, project=operator.project_id)
    [record] = [r for r in _records() if r.connection_id == op_conn]
    import jwt

    exp = jwt.decode(operator.token, options={"verify_signature": False})["exp"]
    assert record.expires_epoch <= exp

    # When the token has expired, fan-out skips and removes the record
    record.update(actions=[ConnectionModel.expires_epoch.set(exp - 7200)])
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "late-0001", "text": "secret"}
    )
    assert sender.frames_for(op_conn) == []
    assert op_conn not in [r.connection_id for r in _records()]


def test_logging_out_closes_the_operators_sockets(platform, sender):
    operator = platform.sign_up()
    op_conn, _ = platform.connect(operator.token, project=operator.project_id)

    assert platform.post("/auth/logout", {}, operator.auth).status_code == 204

    assert sender.closed == [op_conn]
    assert _records() == []
    assert MemberModel.get(operator.project_id, operator.user_id).presence == "offline"


def test_the_auto_close_schedule_closes_a_month_old_unassigned_dialogue(platform, scheduled_app):
    from chalicelib.clock import iso
    from chalicelib.models.chat import ChatModel, activity_key

    operator = platform.sign_up()
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "old-0001", "text": "anyone?"}
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    # Given its last activity was 40 days ago
    stamp = iso(utcnow() - timedelta(days=40))
    ChatModel(operator.project_id, chat_id).update(
        actions=[
            ChatModel.last_activity_at.set(stamp),
            ChatModel.activity_key.set(activity_key(stamp, chat_id)),
        ]
    )

    event = json.loads((ROOT / "tests" / "events" / "scheduled.json").read_text())
    result = scheduled_app.lambda_.invoke("close_idle_dialogues", event).payload

    assert result == {"examined": 1, "closed": 1, "assigned": 0}
    assert ChatModel.get(operator.project_id, chat_id).status == "closed"


def _age(project_id, chat_id, by):
    """Move a dialogue's last activity into the past (the clock app reads the real time)."""
    from chalicelib.clock import iso
    from chalicelib.models.chat import ChatModel, activity_key

    stamp = iso(utcnow() - by)
    ChatModel(project_id, chat_id).update(
        actions=[
            ChatModel.last_activity_at.set(stamp),
            ChatModel.activity_key.set(activity_key(stamp, chat_id)),
        ]
    )


def test_auto_close_hands_the_freed_slot_to_the_oldest_waiting_dialogue(
    platform, scheduled_app, sender
):
    from chalicelib.models.chat import ChatModel

    # Given a member at her limit (1) and a second dialogue waiting in the queue
    owner = platform.sign_up()
    settings = {"distribution": "least_busy", "max_active_chats": 1, "auto_close_minutes": 15}
    patched = platform.client.http.patch(
        f"/projects/{owner.project_id}", body=json.dumps(settings), headers=owner.auth
    )
    assert patched.status_code == 200
    anna = platform.member(owner, "operator", name="Anna")
    panel, _ = platform.connect(anna.token, project=owner.project_id)
    chats = []
    for n in range(2):
        visitor = platform.visitor(owner.project_id)
        tab, _ = platform.connect(visitor.token)
        body = {
            "action": "send",
            "token": visitor.token,
            "client_id": f"queue-{n:04d}",
            "text": "hi",
        }
        platform.frame(tab, body)
        chats.append((platform.sender.frames_for(tab)[0]["message"]["chat_id"], tab))
    (first, _), (waiting, waiting_tab) = chats
    assert ChatModel.get(owner.project_id, first).assignee_id == anna.user_id
    assert ChatModel.get(owner.project_id, waiting).assignee_id is None
    # and her dialogue idle past the project's limit
    _age(owner.project_id, first, timedelta(minutes=20))
    sender.clear()

    event = json.loads((ROOT / "tests" / "events" / "scheduled.json").read_text())
    result = scheduled_app.lambda_.invoke("close_idle_dialogues", event).payload

    assert result == {"examined": 1, "closed": 1, "assigned": 1}
    assert ChatModel.get(owner.project_id, first).status == "closed"
    # the waiting dialogue is hers at once, her count is back at the limit
    moved = ChatModel.get(owner.project_id, waiting)
    assert moved.assignee_id == anna.user_id and moved.waiting_project_id is None
    assert MemberModel.get(owner.project_id, anna.user_id).active_chats == 1
    # her panel hears both: the close (with the team's line) and the new dialogue
    heard = [(f["chat"]["id"], f["chat"]["state"]) for f in sender.frames_for(panel)]
    assert (first, "closed") in heard
    [handed] = [f for f in sender.frames_for(panel) if f["chat"]["id"] == waiting]
    assert handed["chat"]["assignee"]["id"] == anna.user_id
    # and the waiting visitor is told someone took it
    assert {
        "type": "assigned",
        "chat_id": waiting,
        "assignee": {"id": anna.user_id, "name": "Anna"},
    } in sender.frames_for(waiting_tab)
