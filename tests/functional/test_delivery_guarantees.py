"""No message lost, none doubled, none misdelivered: concurrency, failures and resync."""

from datetime import timedelta

import pytest
from pynamodb.connection.base import Connection
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

from chalicelib.models.message import MessageModel


def _conflict(monkeypatch, reasons, times=1):
    """The next ``times`` transactions are cancelled as DynamoDB does when another
    writer holds one of their items."""
    real = Connection.transact_write_items
    state = {"left": times}

    def cancelled_then_real(self, *args, **kwargs):
        if state["left"]:
            state["left"] -= 1
            cause = VerboseClientError(
                {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
                "TransactWriteItems",
                cancellation_reasons=reasons,
            )
            raise TransactWriteError("Failed to write transaction items", cause)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "transact_write_items", cancelled_then_real)


@pytest.fixture
def chat(platform):
    operator = platform.sign_up()
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "setup-0001", "text": "hello"}
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    platform.sender.clear()
    return operator, visitor, tab, chat_id


def test_a_reply_that_meets_a_concurrent_writer_is_retried_and_stored_once(
    platform, chat, monkeypatch
):
    operator, visitor, tab, chat_id = chat
    _conflict(monkeypatch, [None, None, CancellationReason(code="TransactionConflict")], times=2)

    response = platform.post(
        f"/projects/{operator.project_id}/chats/{chat_id}/messages",
        {"client_id": "op-000001", "text": "hi"},
        operator.auth,
    )

    assert response.status_code == 201
    history = platform.get("/widget/messages", visitor.auth).json_body["messages"]
    assert [m["text"] for m in history] == ["hello", "hi"]


def test_a_first_message_that_meets_a_concurrent_writer_is_retried(platform, monkeypatch):
    operator = platform.sign_up()
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)
    _conflict(monkeypatch, [None, None, None, CancellationReason(code="TransactionConflict")])

    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "first-0001", "text": "hello"}
    )

    assert [f["type"] for f in platform.sender.frames_for(tab)] == ["ack"]


def test_endless_conflicts_end_in_a_clear_retryable_error(platform, chat, monkeypatch):
    operator, visitor, tab, chat_id = chat
    _conflict(monkeypatch, [None, None, CancellationReason(code="TransactionConflict")], times=99)
    response = platform.post(
        f"/projects/{operator.project_id}/chats/{chat_id}/messages",
        {"client_id": "op-000002", "text": "hi"},
        operator.auth,
    )
    assert response.status_code == 409
    assert MessageModel.count() == 1


def test_one_failing_recipient_does_not_stop_the_others_or_the_ack(platform, chat):
    operator, visitor, tab, chat_id = chat
    op_conn, _ = platform.connect(operator.token, project=operator.project_id)
    broken_tab, _ = platform.connect(visitor.token)
    platform.sender.failing.add(broken_tab)
    platform.sender.clear()  # the panel connecting told the open tab "online": not this test's

    platform.frame(
        tab,
        {
            "action": "send",
            "token": visitor.token,
            "client_id": "after-break",
            "text": "still there?",
        },
    )

    assert [f["type"] for f in platform.sender.frames_for(tab)] == ["ack"]
    assert [f["type"] for f in platform.sender.frames_for(op_conn)] == ["message"]


def test_a_client_id_reused_in_another_dialogue_is_refused_not_misdelivered(platform, chat):
    operator, visitor, tab, chat_id = chat
    other = platform.visitor(operator.project_id)
    other_tab, _ = platform.connect(other.token)
    platform.frame(
        other_tab,
        {"action": "send", "token": other.token, "client_id": "other-0001", "text": "me too"},
    )
    other_chat = platform.sender.frames_for(other_tab)[0]["message"]["chat_id"]
    base = f"/projects/{operator.project_id}/chats"
    first = platform.post(
        f"{base}/{chat_id}/messages",
        {"client_id": "op-reused", "text": "your order ships to 1 Main St"},
        operator.auth,
    )
    platform.sender.clear()

    second = platform.post(
        f"{base}/{other_chat}/messages", {"client_id": "op-reused", "text": "hello"}, operator.auth
    )

    assert first.status_code == 201 and second.status_code == 409
    assert platform.sender.frames_for(other_tab) == []


def test_resync_pages_always_move_forward_through_a_burst(platform, chat):
    operator, visitor, tab, chat_id = chat
    for n in range(7):
        platform.frame(
            tab,
            {
                "action": "send",
                "token": visitor.token,
                "client_id": f"burst-{n:04d}",
                "text": f"m{n}",
            },
        )
    base = f"/projects/{operator.project_id}/chats/{chat_id}/messages"
    everything = platform.get(base, operator.auth).json_body["messages"]
    cursor, seen = everything[0]["id"], set()

    for _ in range(10):
        page = platform.get(f"{base}?after={cursor}&limit=2", operator.auth).json_body
        seen.update(m["text"] for m in page["messages"])
        assert page["cursor"] >= cursor
        cursor = page["cursor"]
        if not page["has_more"]:
            break

    assert seen >= {f"m{n}" for n in range(7)}


def test_a_message_stamped_just_before_a_cursor_is_still_found(platform, chat, monkeypatch):
    """A concurrent writer's id can be older than one already fetched; the read overlap
    finds it and the client de-duplicates."""
    operator, visitor, tab, chat_id = chat
    base = f"/projects/{operator.project_id}/chats/{chat_id}/messages"
    platform.frame(
        tab, {"action": "send", "token": visitor.token, "client_id": "later-0001", "text": "later"}
    )
    later = platform.sender.frames_for(tab)[-1]["message"]

    # Given a reply whose id was stamped 3 s before "later" but committed after it
    import chalicelib.services.messaging as messaging
    from chalicelib.clock import utcnow

    real_now = utcnow()
    monkeypatch.setattr(messaging, "utcnow", lambda: real_now - timedelta(seconds=3))
    platform.post(base, {"client_id": "slow-0001", "text": "slow writer"}, operator.auth)

    page = platform.get(f"/widget/messages?after={later['id']}", visitor.auth).json_body
    assert "slow writer" in [m["text"] for m in page["messages"]]


@pytest.mark.parametrize(
    "path",
    [
        "/projects/{pid}/chats/{cid}/messages?after=01M7Y9TFKH0000000000000000%0A",
        "/projects/{pid}/chats/{cid}/messages?before=%0A",
        "/projects/{pid}/chats?cursor=eyJwcm9qZWN0X2lkIjp7IlMiOiJ4In19",
    ],
)
def test_odd_query_parameters_are_400_not_500(platform, chat, path):
    operator, visitor, tab, chat_id = chat
    response = platform.get(path.format(pid=operator.project_id, cid=chat_id), operator.auth)
    assert response.status_code == 400


def test_deeply_nested_json_is_a_400(platform):
    response = platform.post("/widget/session", raw="[" * 30_000 + "]" * 30_000)  # < 64 KB
    assert response.status_code == 400


def test_an_absurd_chat_id_in_the_path_is_a_404(platform, chat):
    operator, *_ = chat
    response = platform.post(
        f"/projects/{operator.project_id}/chats/{'v_' + 'a' * 3000}-1/messages",
        {"client_id": "op-000003", "text": "x"},
        operator.auth,
    )
    assert response.status_code == 404
