"""E-mail escalation: a visitor waiting the project's minutes for a reply e-mails one
person (the assignee, else the online members with room, else the administrator), once
per waiting period, never after a reply. The clock is moved by handing the job a later
``now``; what was sent is read from moto's SES."""

import itertools
import json
from datetime import timedelta

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.models.chat import ChatModel
from chalicelib.services import escalation

_ids = itertools.count()


def sent_mail():
    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def mail_to(address):
    return [m for m in sent_mail() if m.destinations["ToAddresses"] == [address]]


def run_at(minutes):
    return escalation.run(utcnow() + timedelta(minutes=minutes), deps.mailer())


@pytest.fixture
def shop(platform):
    owner = platform.sign_up(project_name="Shop", name="Olga")
    return owner


def _visitor_writes(platform, owner, texts, visitor=None, tab=None):
    visitor = visitor or platform.visitor(owner.project_id)
    tab = tab or platform.connect(visitor.token)[0]
    for n, text in enumerate(texts):
        platform.frame(
            tab,
            {
                "action": "send",
                "token": visitor.token,
                "client_id": f"esc-{next(_ids):04d}-{n}",
                "text": text,
            },
        )
    chat_id = [f for f in platform.sender.frames_for(tab) if "message" in f][0]["message"][
        "chat_id"
    ]
    return visitor, tab, chat_id


def _reply(platform, member, chat_id, text="On it!"):
    response = platform.post(
        f"/projects/{member.project_id}/chats/{chat_id}/messages",
        {"client_id": f"op-reply-{next(_ids):04d}", "text": text},
        member.auth,
    )
    assert response.status_code == 201, response.json_body


def _online(platform, member):
    platform.connect(member.token, project=member.project_id)
    response = platform.client.http.put(
        f"/projects/{member.project_id}/status", body='{"status": "online"}', headers=member.auth
    )
    assert response.status_code == 200, response.json_body


def _patch(platform, owner, body):
    return platform.client.http.patch(
        f"/projects/{owner.project_id}", body=json.dumps(body), headers=owner.auth
    )


def test_the_assignee_gets_it_after_the_minutes_and_not_before(platform, shop):
    anna = platform.member(shop, "operator", name="Anna")
    _visitor, _tab, chat_id = _visitor_writes(platform, shop, ["hello?"])
    assert (
        platform.post(
            f"/projects/{shop.project_id}/chats/{chat_id}/assign",
            {"user_id": anna.user_id},
            shop.auth,
        ).status_code
        == 200
    ), "assign"

    assert run_at(2)["sent"] == 0
    assert mail_to(anna.email) == []
    assert run_at(3)["sent"] == 1
    [mail] = mail_to(anna.email)
    assert mail_to(shop.email) == []
    assert "Shop" in mail.subject
    # A second run sends nothing more: one e-mail per waiting period.
    assert run_at(10) == {"examined": 0, "sent": 0}
    assert len(mail_to(anna.email)) == 1


def test_unassigned_goes_to_the_online_members_who_may_take_it(platform, shop):
    anna = platform.member(shop, "operator", name="Anna")
    bob = platform.member(shop, "operator", name="Bob")
    _online(platform, anna)  # bob stays offline
    _visitor_writes(platform, shop, ["anyone?"])

    assert run_at(4)["sent"] == 1
    assert len(mail_to(anna.email)) == 1
    assert mail_to(bob.email) == [] and mail_to(shop.email) == []


def test_nobody_online_goes_to_the_administrator(platform, shop):
    platform.member(shop, "operator", name="Anna")
    _visitor_writes(platform, shop, ["anyone?"])
    assert run_at(4)["sent"] == 1
    assert len(mail_to(shop.email)) == 1


def test_a_team_reply_before_the_minutes_sends_nothing(platform, shop):
    _visitor, _tab, chat_id = _visitor_writes(platform, shop, ["hello?"])
    _reply(platform, shop, chat_id)
    assert ChatModel.get(shop.project_id, chat_id).unanswered_key is None
    assert run_at(10) == {"examined": 0, "sent": 0}
    assert sent_mail() == []


def test_a_new_visitor_message_after_a_reply_starts_a_new_waiting_period(platform, shop):
    visitor, tab, chat_id = _visitor_writes(platform, shop, ["hello?"])
    assert run_at(4)["sent"] == 1
    _reply(platform, shop, chat_id)
    assert run_at(8)["sent"] == 0
    _visitor_writes(platform, shop, ["one more thing"], visitor=visitor, tab=tab)
    # The new period starts now: 2 minutes after it, nothing; 3 minutes, a new e-mail.
    assert run_at(2)["sent"] == 0
    assert run_at(3)["sent"] == 1
    assert len(mail_to(shop.email)) == 2


def test_a_second_visitor_message_does_not_restart_the_wait(platform, shop):
    visitor, tab, chat_id = _visitor_writes(platform, shop, ["hello?"])
    first = ChatModel.get(shop.project_id, chat_id).unanswered_key
    _visitor_writes(platform, shop, ["still there?"], visitor=visitor, tab=tab)
    assert ChatModel.get(shop.project_id, chat_id).unanswered_key == first


def test_a_member_who_opted_out_is_skipped(platform, shop):
    anna = platform.member(shop, "operator", name="Anna")
    bob = platform.member(shop, "operator", name="Bob")
    _online(platform, anna)
    _online(platform, bob)
    off = platform.client.http.put(
        f"/projects/{shop.project_id}/escalation-emails",
        body='{"escalation_emails": false}',
        headers=anna.auth,
    )
    assert off.status_code == 200
    assert off.json_body["member"]["escalation_emails"] is False
    _visitor_writes(platform, shop, ["anyone?"])
    assert run_at(4)["sent"] == 1
    assert mail_to(anna.email) == [] and len(mail_to(bob.email)) == 1
    members = platform.get(f"/projects/{shop.project_id}/members", shop.auth).json_body
    views = {m["user_id"]: m for m in members["members"]}
    assert views[anna.user_id]["escalation_emails"] is False
    assert views[bob.user_id]["escalation_emails"] is True


def test_an_opted_out_administrator_gets_nothing_either(platform, shop):
    platform.client.http.put(
        f"/projects/{shop.project_id}/escalation-emails",
        body='{"escalation_emails": false}',
        headers=shop.auth,
    )
    _visitor_writes(platform, shop, ["anyone?"])
    assert run_at(4)["sent"] == 0
    assert sent_mail() == []


def test_setting_zero_sends_nothing_and_the_setting_is_shown(platform, shop):
    view = platform.get(f"/projects/{shop.project_id}", shop.auth).json_body["project"]
    assert view["escalation_minutes"] == 3  # the default
    response = _patch(platform, shop, {"escalation_minutes": 0})
    assert response.status_code == 200
    assert response.json_body["project"]["escalation_minutes"] == 0
    _visitor_writes(platform, shop, ["hello?"])
    assert run_at(60)["sent"] == 0
    assert sent_mail() == []


def test_a_longer_setting_waits_longer(platform, shop):
    _patch(platform, shop, {"escalation_minutes": 10})
    _visitor_writes(platform, shop, ["hello?"])
    assert run_at(9)["sent"] == 0
    assert run_at(10)["sent"] == 1


def test_the_email_names_project_and_visitor_quotes_messages_and_links(platform, shop, monkeypatch):
    monkeypatch.setenv("PANEL_URL", "https://panel.example/panel/")
    from chalicelib.config import get_settings

    get_settings.cache_clear()
    texts = ["hello?", "<b>is anyone</b> there?\nsecond line"]
    _visitor, _tab, chat_id = _visitor_writes(platform, shop, texts)
    chat = ChatModel.get(shop.project_id, chat_id)
    assert run_at(4)["sent"] == 1
    [mail] = mail_to(shop.email)
    assert mail.subject == f"[Shop] {chat.visitor_name} is waiting for a reply"
    body = mail.body
    assert f"{chat.visitor_name} has been waiting 4 minutes for a reply in Shop." in body
    assert f"> {chat.visitor_name}: hello?" in body
    # Quoted as text: the mail has no HTML part, the markup stays as typed.
    assert f"> {chat.visitor_name}: <b>is anyone</b> there?\n>   second line" in body
    assert f"https://panel.example/panel/#/{shop.project_id}/inbox/{chat_id}" in body
    get_settings.cache_clear()


def test_a_closed_chat_is_not_escalated(platform, shop):
    _visitor, _tab, chat_id = _visitor_writes(platform, shop, ["hello?"])
    assert (
        platform.post(
            f"/projects/{shop.project_id}/chats/{chat_id}/close", {}, shop.auth
        ).status_code
        == 200
    )
    assert run_at(10) == {"examined": 0, "sent": 0}


@pytest.mark.parametrize(
    "body",
    [
        '{"escalation_minutes": "5"}',
        '{"escalation_minutes": 2.5}',
        '{"escalation_minutes": true}',
        '{"escalation_minutes": -1}',
        '{"escalation_minutes": 1441}',
        '{"escalation_minutes": null}',
    ],
)
def test_the_setting_refuses_bad_values(platform, shop, body):
    response = platform.client.http.patch(
        f"/projects/{shop.project_id}", body=body, headers=shop.auth
    )
    assert response.status_code == 400
    assert (
        "escalation_minutes' field must be a whole number 0-1440"
        in response.json_body["error"]["message"]
    )


@pytest.mark.parametrize("body", ['{"escalation_emails": "no"}', "{}", '{"escalation_emails": 0}'])
def test_the_opt_out_refuses_bad_values(platform, shop, body):
    response = platform.client.http.put(
        f"/projects/{shop.project_id}/escalation-emails", body=body, headers=shop.auth
    )
    assert response.status_code == 400
    assert (
        "escalation_emails' field must be true or false" in response.json_body["error"]["message"]
    )


def test_an_operator_cannot_change_the_setting(platform, shop):
    anna = platform.member(shop, "operator", name="Anna")
    assert _patch(platform, anna, {"escalation_minutes": 5}).status_code == 403


def test_a_run_costs_what_the_docs_say(platform, shop, monkeypatch):
    from collections import Counter

    from pynamodb.connection.base import Connection

    _visitor_writes(platform, shop, ["hello?"])
    _visitor_writes(platform, shop, ["hi there"])
    calls = Counter()
    original = Connection._make_api_call

    def counting(self, operation_name, operation_kwargs):
        calls[operation_name] += 1
        return original(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    assert run_at(1) == {"examined": 2, "sent": 0}  # not due: the index and the project
    assert calls == {"Query": 4, "GetItem": 1}
    calls.clear()
    assert run_at(4)["sent"] == 2
    # 4 index Queries, the project; per chat: the members online (a Query of the team),
    # the administrator, the claim, the last messages.
    assert calls == {"Query": 4 + 2 * 2, "GetItem": 1 + 2, "UpdateItem": 2}
