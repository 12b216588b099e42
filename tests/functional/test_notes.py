"""Internal notes (in a dialogue, never for the visitor) and the team chat, both live."""


def _setup(platform):
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    platform.frame(
        tab,
        {
            "action": "send",
            "token": visitor.token,
            "client_id": "note-0001",
            "text": "my order is late",
        },
    )
    chat_id = platform.sender.frames_for(tab)[0]["message"]["chat_id"]
    return owner, visitor, tab, chat_id


def test_a_note_reaches_the_team_live_and_never_the_visitor(platform):
    owner, visitor, tab, chat_id = _setup(platform)
    colleague = platform.member(owner, "manager")
    colleague_socket, _ = platform.connect(colleague.token, project=owner.project_id)
    platform.sender.clear()

    note = platform.post(
        f"/projects/{owner.project_id}/chats/{chat_id}/notes",
        {"client_id": "note-op-01", "text": "VIP customer, refund ok"},
        owner.auth,
    )

    assert note.status_code == 201 and note.json_body["message"]["internal"] is True
    assert platform.sender.frames_for(tab) == []
    [live] = platform.sender.frames_for(colleague_socket)
    assert live["type"] == "note" and live["message"]["text"] == "VIP customer, refund ok"
    # The team reads it in the dialogue; the visitor's history does not have it
    team_view = platform.get(
        f"/projects/{owner.project_id}/chats/{chat_id}/messages", owner.auth
    ).json_body["messages"]
    assert [m["text"] for m in team_view] == ["my order is late", "VIP customer, refund ok"]
    visitor_view = platform.get("/widget/messages", visitor.auth).json_body["messages"]
    assert [m["text"] for m in visitor_view] == ["my order is late"]
    first_id = visitor_view[0]["id"]
    resync = platform.get(f"/widget/messages?after={first_id}", visitor.auth).json_body
    assert [m["text"] for m in resync["messages"]] == ["my order is late"]


def test_a_note_does_not_count_as_unread_or_move_the_dialogue(platform):
    owner, visitor, tab, chat_id = _setup(platform)
    before = platform.get(f"/projects/{owner.project_id}/chats/{chat_id}", owner.auth).json_body
    platform.post(
        f"/projects/{owner.project_id}/chats/{chat_id}/notes",
        {"client_id": "note-op-02", "text": "checking the warehouse"},
        owner.auth,
    )
    after = platform.get(f"/projects/{owner.project_id}/chats/{chat_id}", owner.auth).json_body
    assert after["chat"]["last_message"] == before["chat"]["last_message"]
    assert after["chat"]["unread"] == before["chat"]["unread"]


def test_the_team_chat_is_live_for_every_member_and_kept(platform):
    owner, visitor, tab, chat_id = _setup(platform)
    operator = platform.member(owner, "operator")
    operator_socket, _ = platform.connect(operator.token, project=owner.project_id)
    platform.sender.clear()

    sent = platform.post(
        f"/projects/{owner.project_id}/team/messages",
        {"client_id": "team-msg-01", "text": "lunch at 1?"},
        owner.auth,
    )

    assert sent.status_code == 201
    [live] = platform.sender.frames_for(operator_socket)
    assert live["type"] == "team_message" and live["message"]["text"] == "lunch at 1?"
    assert platform.sender.frames_for(tab) == []
    history = platform.get(f"/projects/{owner.project_id}/team/messages", operator.auth).json_body
    assert [m["text"] for m in history["messages"]] == ["lunch at 1?"]
