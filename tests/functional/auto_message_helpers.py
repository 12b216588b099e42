"""Auto-message bodies and REST calls shared by the auto-message test files."""

import json

PRICING_RULES = {
    "all": [
        {"field": "page_url", "op": "contains", "value": "  Pricing "},
        {"field": "time_on_page", "op": "greater", "value": 10.0},
    ]
}


def _proactive(**changes):
    body = {
        "name": "Pricing help",
        "type": "proactive",
        "content": {
            "text": "Questions about our plans?",
            "buttons": [{"label": "See plans", "action": "link", "url": "https://shop.example/p"}],
        },
        "rules": PRICING_RULES,
    }
    body.update(changes)
    return body


def _email(**changes):
    body = {
        "name": "Welcome mail",
        "type": "email",
        "channels": [],
        "audience": "users",
        "content": {"subject": "Welcome", "text": "Glad you are here."},
    }
    body.update(changes)
    return body


def _with_content(base, **content):
    return {**base, "content": {**base["content"], **content}}


def _path(who, rest=""):
    return f"/projects/{who.project_id}/auto-messages{rest}"


def _create(platform, who, body):
    return platform.post(_path(who), body, who.auth)


def _patch(platform, who, message_id, body):
    return platform.client.http.patch(
        _path(who, f"/{message_id}"), headers=who.auth, body=json.dumps(body)
    )


def _delete(platform, who, message_id):
    return platform.client.http.delete(_path(who, f"/{message_id}"), headers=who.auth)


def _listed(platform, who):
    response = platform.get(_path(who), who.auth)
    assert response.status_code == 200, response.json_body
    return response.json_body["auto_messages"]
