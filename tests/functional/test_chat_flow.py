"""A visitor and an operator chat through the traffic app's REST and WebSocket handlers."""

import json


def test_visitor_message_reaches_every_tab_and_every_operator_once_stored(platform):
    # Given an operator online in the panel and a visitor with two tabs open
    operator = platform.sign_up()
    op_conn, result = platform.connect(operator.token, project=operator.project_id)
    assert result["statusCode"] == 200
    visitor = platform.visitor(operator.project_id)
    tab1, _ = platform.connect(visitor.token)
    tab2, _ = platform.connect(visitor.token)

    # When the visitor sends a message from tab 1
    platform.frame(
        tab1,
        {
            "action": "send",
            "token": visitor.token,
            "client_id": "client-msg-0001",
            "text": "Hello, is anyone there?",
        },
    )

    # Then tab 1 gets an ack, tab 2 and the operator get the message with the chat summary
    ack = platform.sender.frames_for(tab1)
    assert [f["type"] for f in ack] == ["ack"]
    message = ack[0]["message"]
    assert message["text"] == "Hello, is anyone there?"
    assert platform.sender.frames_for(tab2) == [
        {"type": "message", "message": message, "assignee_id": None}
    ]
    [to_operator] = platform.sender.frames_for(op_conn)
    assert to_operator["chat"]["id"] == message["chat_id"]
    assert to_operator["chat"]["last_message"]["text"] == "Hello, is anyone there?"

    # And it is stored: the panel lists the dialogue with one unread message
    chats = platform.get(f"/projects/{operator.project_id}/chats", operator.auth).json_body
    assert [c["id"] for c in chats["chats"]] == [message["chat_id"]]
    assert chats["chats"][0]["unread"] == 1


def test_resend_with_the_same_client_id_is_not_a_second_message(platform):
    operator = platform.sign_up()
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)
    frame = {"action": "send", "token": visitor.token, "client_id": "same-id-123", "text": "hi"}

    platform.frame(tab, frame)
    platform.frame(tab, frame)  # the ack was lost; the widget resends

    acks = platform.sender.frames_for(tab)
    assert len(acks) == 2 and acks[0]["message"]["id"] == acks[1]["message"]["id"]
    history = platform.get("/widget/messages", visitor.auth).json_body
    assert [m["text"] for m in history["messages"]] == ["hi"]
    chats = platform.get(f"/projects/{operator.project_id}/chats", operator.auth).json_body
    assert chats["chats"][0]["unread"] == 1


def test_operator_reply_reaches_the_visitor_live_and_by_cursor(platform):
    operator = platform.sign_up()
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab,
        {"action": "send", "token": visitor.token, "client_id": "c-0000001", "text": "question"},
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    cursor = platform.sender.frames_for(tab)[0]["message"]["id"]
    platform.sender.clear()

    response = platform.post(
        f"/projects/{operator.project_id}/chats/{chat_id}/messages",
        {"client_id": "op-0000001", "text": "answer"},
        operator.auth,
    )

    assert response.status_code == 201
    [live] = platform.sender.frames_for(tab)
    assert live["type"] == "message" and live["message"]["text"] == "answer"
    assert live["message"]["author_type"] == "operator"
    missed = platform.get(f"/widget/messages?after={cursor}", visitor.auth).json_body
    assert [m["text"] for m in missed["messages"] if m["id"] > cursor] == ["answer"]


def test_a_returning_visitor_keeps_identity_and_dialogue(platform):
    operator = platform.sign_up()
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab,
        {"action": "send", "token": visitor.token, "client_id": "c-0000002", "text": "first visit"},
    )

    again = platform.post(
        "/widget/session", {"project_id": operator.project_id, "token": visitor.token}
    ).json_body

    assert again["visitor_id"] == visitor.visitor_id
    assert again["chat_id"] is not None


def test_read_marks_clear_unread_and_tell_the_other_side(platform):
    operator = platform.sign_up()
    op_conn, _ = platform.connect(operator.token, project=operator.project_id)
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab,
        {"action": "send", "token": visitor.token, "client_id": "c-0000003", "text": "unread me"},
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    platform.sender.clear()

    response = platform.post(
        f"/projects/{operator.project_id}/chats/{chat_id}/read", {}, operator.auth
    )

    assert response.json_body["chat"]["unread"] == 0
    assert {"type": "read", "chat_id": chat_id, "reader": "operator"} in (
        platform.sender.frames_for(tab)
    )


def test_typing_is_relayed_without_storing(platform):
    operator = platform.sign_up()
    op_conn, _ = platform.connect(operator.token, project=operator.project_id)
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)

    platform.frame(tab, {"action": "typing", "token": visitor.token, "typing": True})

    [frame] = platform.sender.frames_for(op_conn)
    assert frame["type"] == "typing" and frame["typing"] is True
    assert frame["visitor_id"] == visitor.visitor_id


def test_ping_gets_pong(platform):
    operator = platform.sign_up()
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(tab, json.dumps({"action": "ping"}))
    assert platform.sender.frames_for(tab) == [{"type": "pong"}]


def test_the_session_call_works_as_a_cors_simple_request(platform):
    # Given the widget sends its session request as text/plain (no CORS preflight)
    operator = platform.sign_up()
    response = platform.client.http.post(
        "/widget/session",
        body=json.dumps({"project_id": operator.project_id}),
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://shop.example"},
    )
    # Then it is parsed as JSON and answered with CORS headers
    assert response.status_code == 200
    assert response.json_body["visitor_id"].startswith("v_")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_error_responses_carry_cors_headers_too(platform):
    response = platform.get("/projects/p_x/chats", {"Origin": "https://panel.example"})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_panel_can_scroll_back_through_a_long_dialogue(platform):
    operator = platform.sign_up()
    visitor = platform.visitor(operator.project_id)
    tab, _ = platform.connect(visitor.token)
    for n in range(7):
        platform.frame(
            tab,
            {
                "action": "send",
                "token": visitor.token,
                "client_id": f"scroll-{n:04d}",
                "text": f"m{n}",
            },
        )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    base = f"/projects/{operator.project_id}/chats/{chat_id}/messages"

    latest = platform.get(f"{base}?limit=3", operator.auth).json_body
    older = platform.get(
        f"{base}?limit=3&before={latest['messages'][0]['id']}", operator.auth
    ).json_body
    oldest = platform.get(
        f"{base}?limit=3&before={older['messages'][0]['id']}", operator.auth
    ).json_body

    assert [m["text"] for m in latest["messages"]] == ["m4", "m5", "m6"]
    assert [m["text"] for m in older["messages"]] == ["m1", "m2", "m3"]
    assert [m["text"] for m in oldest["messages"]] == ["m0"]
    assert latest["has_older"] and older["has_older"] and not oldest["has_older"]
