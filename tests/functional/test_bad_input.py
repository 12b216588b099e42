"""Bad input gets a clear 4xx or an error frame, and changes nothing."""

import json
from unittest.mock import ANY

import pytest

from chalicelib.models.chat import ChatModel
from chalicelib.models.message import MessageModel


def _counts():
    return ChatModel.count(), MessageModel.count()


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


@pytest.mark.parametrize(
    "frame, code",
    [
        ("{not json", "bad_request"),
        ("[1, 2, 3]", "bad_request"),
        (json.dumps({"action": "fly"}), "bad_request"),
        (json.dumps({"action": 42}), "bad_request"),
        (json.dumps({"action": "send", "client_id": "x-00000001", "text": "hi"}), "unauthorized"),
        (
            json.dumps(
                {
                    "action": "send",
                    "token": "forged.token.x",
                    "client_id": "x-00000001",
                    "text": "hi",
                }
            ),
            "unauthorized",
        ),
        ("SEND_TEXT:" + "x" * 4001, "too_large"),
        ("SEND_TEXT:", "bad_request"),
        ("SEND_TEXT:   ", "bad_request"),
        ("SEND_BAD_TYPE", "bad_request"),
        ("SEND_BAD_CLIENT_ID", "bad_request"),
        ("SEND_OTHER_CHAT", "forbidden"),
        ("x" * 40000, "too_large"),
    ],
)
def test_bad_frames_get_an_error_frame_and_change_nothing(platform, chat, frame, code):
    operator, visitor, tab, chat_id = chat
    send = {"action": "send", "token": visitor.token, "client_id": "bad-000001"}
    if frame.startswith("SEND_TEXT:"):
        frame = json.dumps({**send, "text": frame[len("SEND_TEXT:") :]})
    elif frame == "SEND_BAD_TYPE":
        frame = json.dumps({**send, "text": ["not", "a", "string"]})
    elif frame == "SEND_BAD_CLIENT_ID":
        frame = json.dumps({**send, "client_id": "<>", "text": "hi"})
    elif frame == "SEND_OTHER_CHAT":
        frame = json.dumps({**send, "text": "hi", "chat_id": "v_0123456789abcdef0123-1"})
    before = _counts()

    result = platform.frame(tab, frame)

    [error] = platform.sender.frames_for(tab)
    assert error["type"] == "error" and error["code"] == code, error
    assert error["message"][0].isupper(), error  # a sentence, as people read it
    assert result == {"statusCode": 200}  # the socket stays open
    assert _counts() == before


def test_a_visitor_token_of_another_project_cannot_write_there(platform):
    acme = platform.sign_up(project_name="Acme")
    other = platform.sign_up(project_name="Other")
    visitor = platform.visitor(other.project_id)
    tab, _ = platform.connect(visitor.token)
    acme_op, _ = platform.connect(acme.token, project=acme.project_id)

    # The token is bound to "Other": naming Acme's chat cannot put anything there.
    platform.frame(
        tab,
        {
            "action": "send",
            "token": visitor.token,
            "client_id": "cross-0001",
            "text": "hi",
            "chat_id": "v_victim00000000000000-1",
        },
    )

    assert platform.sender.frames_for(acme_op) == []
    chats = platform.get(f"/projects/{acme.project_id}/chats", acme.auth).json_body
    assert chats["chats"] == []


def test_a_visitor_token_is_not_an_operator_token(platform, chat):
    operator, visitor, tab, chat_id = chat
    response = platform.get(
        f"/projects/{operator.project_id}/chats", {"Authorization": f"Bearer {visitor.token}"}
    )
    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    "method, path_template, body",
    [
        ("GET", "/projects/{pid}/chats", None),
        ("GET", "/projects/{pid}/chats/{cid}", None),
        ("GET", "/projects/{pid}/chats/{cid}/messages", None),
        ("POST", "/projects/{pid}/chats/{cid}/messages", {"client_id": "steal-0001", "text": "x"}),
        ("POST", "/projects/{pid}/chats/{cid}/read", {}),
    ],
)
def test_an_operator_of_one_project_cannot_touch_another(
    platform, chat, method, path_template, body
):
    operator, visitor, tab, chat_id = chat
    intruder = platform.sign_up(project_name="Intruder Inc")
    path = path_template.format(pid=operator.project_id, cid=chat_id)
    before = _counts()

    if method == "GET":
        response = platform.get(path, intruder.auth)
    else:
        response = platform.post(path, body, intruder.auth)

    assert response.status_code == 403
    assert response.json_body["error"]["code"] == "forbidden"
    assert _counts() == before
    assert ChatModel.get(operator.project_id, chat_id).unread_by_team == 1


def test_an_operator_cannot_connect_to_another_projects_socket(platform, chat):
    operator, *_ = chat
    intruder = platform.sign_up(project_name="Intruder Inc")
    _, result = platform.connect(intruder.token, project=operator.project_id)
    assert result["statusCode"] == 403


@pytest.mark.parametrize(
    "params", [{}, {"token": ""}, {"token": "abc"}, {"token": "eyJhbGciOiJIUzI1NiJ9.e30.x"}]
)
def test_sockets_without_a_valid_token_are_refused(platform, params):
    event_token = params.get("token")
    _, result = platform.connect(event_token) if event_token is not None else platform.connect("")
    assert result["statusCode"] == 401


@pytest.mark.parametrize(
    "raw, status",
    [
        ("{oops", 400),
        ("[]", 400),
        ('{"client_id": "ok-000001", "text": 5}', 400),
        ('{"client_id": "ok-000001", "text": "' + "y" * 4001 + '"}', 413),
        ('{"client_id": "no", "text": "hi"}', 400),
        ('{"client_id": "ok-000001", "text": ""}', 400),
    ],
)
def test_bad_replies_get_400s_and_store_nothing(platform, chat, raw, status):
    operator, visitor, tab, chat_id = chat
    before = _counts()
    response = platform.post(
        f"/projects/{operator.project_id}/chats/{chat_id}/messages", headers=operator.auth, raw=raw
    )
    assert response.status_code == status
    assert response.json_body["error"]["message"]
    assert _counts() == before


def test_reply_to_an_unknown_dialogue_is_404(platform, chat):
    operator, *_ = chat
    response = platform.post(
        f"/projects/{operator.project_id}/chats/v_nobody-1/messages",
        {"client_id": "ok-000002", "text": "hi"},
        operator.auth,
    )
    assert response.status_code == 404


@pytest.mark.parametrize("query", ["after=not-a-ulid", "limit=0", "limit=abc", "limit=5000"])
def test_bad_query_parameters_are_400(platform, chat, query):
    operator, visitor, tab, chat_id = chat
    response = platform.get(
        f"/projects/{operator.project_id}/chats/{chat_id}/messages?{query}", operator.auth
    )
    assert response.status_code == 400
    assert response.json_body["error"]["message"].startswith("The '")


def test_a_cursor_from_another_project_is_refused(platform, chat):
    import base64

    operator, *_ = chat
    forged = base64.urlsafe_b64encode(
        json.dumps(
            {"project_id": {"S": "p_other"}, "chat_id": {"S": "x"}, "activity_key": {"S": "y"}}
        ).encode()
    ).decode()
    response = platform.get(f"/projects/{operator.project_id}/chats?cursor={forged}", operator.auth)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body, status",
    [
        ({}, 400),
        ({"project_id": "p_doesnotexist"}, 404),
        ({"project_id": 12}, 400),
        ("RAW:{bad", 400),
    ],
)
def test_bad_session_requests(platform, body, status):
    if isinstance(body, str):
        response = platform.post("/widget/session", raw=body[4:])
    else:
        response = platform.post("/widget/session", body)
    assert response.status_code == status


def test_a_forged_visitor_token_starts_a_new_visitor_instead(platform):
    operator = platform.sign_up()
    real = platform.visitor(operator.project_id)
    tampered = real.token[:-4] + ("AAAA" if not real.token.endswith("AAAA") else "BBBB")
    again = platform.visitor(operator.project_id, token=tampered)
    assert again.visitor_id != real.visitor_id


def test_history_needs_a_valid_visitor_token(platform):
    response = platform.get("/widget/messages", {"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_control_characters_are_dropped_and_a_message_of_only_them_refused(platform, chat):
    operator, visitor, tab, chat_id = chat
    base = f"/projects/{operator.project_id}/chats/{chat_id}/messages"
    kept = platform.post(
        base, {"client_id": "ctl-000001", "text": "a\u0000b\u0007c\nd"}, operator.auth
    )
    assert kept.status_code == 201 and kept.json_body["message"]["text"] == "abc\nd"
    only = platform.post(base, {"client_id": "ctl-000002", "text": "\u0000\u0001"}, operator.auth)
    assert only.status_code == 400


@pytest.mark.parametrize(
    "method, path, headers, status, code",
    [
        ("POST", "/auth/login", {"Content-Type": "application/xml"}, 415, "unsupported_media_type"),
        ("PUT", "/auth/login", {"Content-Type": "application/json"}, 405, "method_not_allowed"),
    ],
)
def test_chalices_own_errors_have_the_same_shape_as_ours(
    platform, method, path, headers, status, code
):
    response = platform.client.http.request(method, path, headers=headers, body=b"{}")

    assert response.status_code == status
    assert json.loads(response.body) == {"error": {"code": code, "message": ANY}}


def test_an_unexpected_error_is_a_500_in_the_same_shape_and_says_nothing_inside(
    platform, monkeypatch
):
    from chalicelib.services import accounts

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(accounts, "log_in", broken)
    response = platform.post("/auth/login", {"email": "a@example.com", "password": "x" * 12})

    assert response.status_code == 500
    assert response.json_body == {
        "error": {"code": "internal", "message": "Internal error; try again"}
    }


def test_error_texts_reach_people_in_sentence_case(platform, chat):
    """The services write their messages as they like; the API's boundary starts each
    with a capital letter, keeping a leading field name as it is spelled."""
    operator, *_ = chat
    short = platform.post(
        "/auth/signup",
        {"email": "x@example.com", "password": "short", "name": "X", "project_name": "P"},
    )
    renamed = platform.client.http.patch(
        f"/projects/{operator.project_id}",
        body=json.dumps({"name": "N" * 101}),
        headers={**operator.auth, "Content-Type": "application/json"},
    )
    invalid = platform.post(
        f"/projects/{operator.project_id}/auto-messages",
        {"name": "", "type": "proactive", "content": {"text": "hi"}, "rules": {"all": [{}]}},
        operator.auth,
    )

    assert short.status_code == 400
    assert short.json_body["error"]["message"].startswith("Choose a password")
    assert renamed.status_code == 400
    assert json.loads(renamed.body)["error"]["message"] == (
        "The 'name' field must be 1-100 characters"
    )
    assert invalid.status_code == 400
    error = invalid.json_body["error"]
    assert error["message"].startswith("In name: ")
    assert all(item["message"][0].isupper() for item in error["errors"]), error["errors"]
