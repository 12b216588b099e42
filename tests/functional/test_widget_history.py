"""The widget's history: scrolling back through a long dialogue with ``before=``."""

import pytest


def _dialogue(platform, count):
    """A visitor and a dialogue of ``count`` messages of theirs (sent on the socket)."""
    owner = platform.sign_up()
    visitor = platform.visitor(owner.project_id)
    tab, _ = platform.connect(visitor.token)
    for n in range(1, count + 1):
        platform.frame(
            tab,
            {"action": "send", "token": visitor.token, "client_id": f"msg-{n:05d}", "text": str(n)},
        )
        assert platform.sender.frames_for(tab)[-1]["type"] == "ack"
    return visitor


def _page(platform, visitor, query=""):
    response = platform.get(f"/widget/messages{query}", visitor.auth)
    assert response.status_code == 200, response.json_body
    return response.json_body


def test_the_visitor_scrolls_back_to_the_first_message_page_by_page(platform):
    # Given a dialogue of 25 messages
    visitor = _dialogue(platform, 25)

    # When the widget loads the latest 10, then pages back with before=<oldest held>
    page = _page(platform, visitor, "?limit=10")
    pages = [[m["text"] for m in page["messages"]]]
    while page["has_older"]:
        oldest = page["messages"][0]["id"]
        page = _page(platform, visitor, f"?limit=10&before={oldest}")
        pages.append([m["text"] for m in page["messages"]])

    # Then it gets every message once, in order, the oldest last
    assert pages == [
        [str(n) for n in range(16, 26)],
        [str(n) for n in range(6, 16)],
        [str(n) for n in range(1, 6)],
    ]
    assert page["chat_id"] and page["closed"] is False


@pytest.mark.parametrize(
    "query",
    ["?before=nope", "?before=01J%27%3B--", "?after={id}&before={id}", "?before={id}&limit=0"],
)
def test_bad_before_is_400(platform, query):
    visitor = _dialogue(platform, 2)
    newest = _page(platform, visitor)["messages"][-1]["id"]

    response = platform.get(f"/widget/messages{query.format(id=newest)}", visitor.auth)

    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "bad_request"
    assert len(_page(platform, visitor)["messages"]) == 2
