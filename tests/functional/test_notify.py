"""Who gets a Web Push, through the real message path and the queue consumer
(``push_notifier``): the message path queues one event after fan-out; the consumer
decides recipients per member and device and sends (a recording sender here; the real
pywebpush against the fake push service in test_push_end_to_end.py)."""

import json
from datetime import timedelta

import pytest

from chalicelib import deps
from chalicelib.clock import iso, utcnow
from chalicelib.services import notify
from chalicelib.services.push_payload import topic_of
from chalicelib.webpush import PushResult
from tests.functional.push_helpers import ListQueue, RecordingPush, subscription_body

_sequence = iter(range(10**6))


class Push:
    def __init__(self, platform):
        self.platform = platform
        self.queue = ListQueue()
        self.sender = RecordingPush()
        deps.override(push_queue=self.queue, web_push=self.sender)

    def deliver(self):
        """Run the consumer on everything queued, as Lambda's event source would."""
        events = self.queue.drain()
        for event, _delay in events:
            sqs = self.platform.client.events.generate_sqs_event(
                message_bodies=[json.dumps(event)], queue_name="livechat-push"
            )
            self.platform.client.lambda_.invoke("push_notifier", sqs)
        return events

    def kinds(self, endpoint):
        return [push["payload"]["kind"] for push in self.sender.to(endpoint)]


def endpoint(name):
    return f"https://push.example.test/{name}"


def subscribe(platform, operator, name, **extra):
    response = platform.client.http.put(
        "/me/push-subscriptions",
        headers=operator.auth,
        body=json.dumps(subscription_body(endpoint(name), **extra)),
    )
    assert response.status_code == 200, response.json_body
    return response.json_body["subscription"]["id"]


def set_status(platform, operator, status):
    response = platform.client.http.put(
        f"/projects/{operator.project_id}/status",
        headers=operator.auth,
        body=json.dumps({"status": status}),
    )
    assert response.status_code == 200, response.json_body


@pytest.fixture
def push(platform):
    return Push(platform)


@pytest.fixture
def team(platform, push):
    owner = platform.sign_up(project_name="Acme Outdoor", name="Olga")
    ana = platform.member(owner, "operator", name="Ana Lima")
    bob = platform.member(owner, "operator", name="Bob Stone")
    for person, name in ((owner, "olga"), (ana, "ana"), (bob, "bob")):
        set_status(platform, person, "online")
        subscribe(platform, person, name)
    return {"owner": owner, "ana": ana, "bob": bob}


def visitor_writes(platform, project_id, text, visitor=None, chat_id=None):
    visitor = visitor or platform.visitor(project_id)
    tab, _ = platform.connect(visitor.token)
    frame = {"action": "send", "token": visitor.token, "text": text}
    frame["client_id"] = f"push-{next(_sequence):06d}"
    if chat_id:
        frame["chat_id"] = chat_id
    platform.frame(tab, frame)
    acks = [f for f in platform.sender.frames_for(tab) if f["type"] == "ack"]
    return visitor, acks[-1]["message"]["chat_id"]


def reply(platform, operator, chat_id, text):
    response = platform.post(
        f"/projects/{operator.project_id}/chats/{chat_id}/messages",
        {"client_id": f"reply-{next(_sequence):06d}", "text": text},
        operator.auth,
    )
    assert response.status_code == 201, response.json_body


def assign(platform, caller, chat_id, target=None):
    body = {"user_id": target.user_id} if target else {}
    response = platform.post(
        f"/projects/{caller.project_id}/chats/{chat_id}/assign", body, caller.auth
    )
    assert response.status_code == 200, response.json_body


def test_a_new_chat_goes_to_every_member_who_may_take_it(platform, push, team):
    _, chat_id = visitor_writes(platform, team["owner"].project_id, "Do you ship to Norway?")
    [(event, delay)] = push.deliver()
    assert event["kind"] == "message" and event["opened"] is True and delay == 0
    for name in ("olga", "ana", "bob"):
        [sent] = push.sender.to(endpoint(name))
        payload = sent["payload"]
        assert payload["kind"] == "new_chat"
        assert payload["title"].startswith("Acme Outdoor · ")
        assert payload["body"] == "Do you ship to Norway?"
        assert payload["tag"] == f"chat-{chat_id}"
        assert payload["url"].endswith(f"#/{team['owner'].project_id}/inbox/{chat_id}")
        assert (sent["ttl"], sent["urgency"]) == (3600, "high")
        assert sent["topic"] == topic_of(payload["tag"]) and len(sent["topic"]) <= 32


def test_a_burst_of_messages_gives_one_push_per_device_and_stale_events_none(platform, push, team):
    visitor, chat_id = visitor_writes(platform, team["owner"].project_id, "hello")
    for n in range(4):
        visitor_writes(platform, team["owner"].project_id, f"more {n}", visitor, chat_id)
    assert len(push.deliver()) == 5
    [only] = push.sender.to(endpoint("ana"))  # the newest message's event pushed
    assert only["payload"]["body"] == "more 3"
    # An event that waited longer than the push TTL (a backlog) is dropped.
    event = {"kind": "message", "project_id": team["owner"].project_id, "chat_id": chat_id}
    old = iso(utcnow() - timedelta(seconds=notify.PUSH_TTL + 1))
    assert notify.handle({**event, "at": old, "message": {}})["skipped"] == "stale"


def test_a_chat_someone_answered_or_took_never_pushes_as_new(platform, push, team):
    owner, ana, bob = team["owner"], team["ana"], team["bob"]
    visitor, chat_id = visitor_writes(platform, owner.project_id, "first")
    push.queue.drain()
    reply(platform, owner, chat_id, "Hi! Olga here.")  # answered, not taken
    visitor_writes(platform, owner.project_id, "thanks, and...", visitor, chat_id)
    push.deliver()
    assert push.kinds(endpoint("ana")) == push.kinds(endpoint("bob")) == []
    assert push.kinds(endpoint("olga")) == ["message"]  # the one who answered hears it

    # Taken between the message and its push: the others are not told about it.
    push.sender.sent.clear()
    _, second = visitor_writes(platform, owner.project_id, "new one")
    assign(platform, ana, second)  # ana takes it herself: no "assigned" push to her
    push.deliver()
    assert push.kinds(endpoint("bob")) == push.kinds(endpoint("olga")) == []
    assert "new_chat" not in push.kinds(endpoint("ana"))
    assert "assigned" not in push.kinds(endpoint("ana"))
    assert bob  # (a member who could have taken it)


def test_my_chats_assigned_to_me_and_never_my_own_messages(platform, push, team):
    owner, bob = team["owner"], team["bob"]
    visitor, chat_id = visitor_writes(platform, owner.project_id, "help")
    push.queue.drain()
    assign(platform, owner, chat_id, bob)
    push.deliver()
    [assigned] = push.sender.to(endpoint("bob"))
    assert assigned["payload"]["kind"] == "assigned"
    assert assigned["payload"]["body"] == "Assigned to you: help"
    assert push.kinds(endpoint("olga")) == []  # who gave it is not told

    push.sender.sent.clear()
    reply(platform, bob, chat_id, "On it")  # bob's own message: nobody is pushed
    visitor_writes(platform, owner.project_id, "great", visitor, chat_id)
    push.deliver()
    assert push.kinds(endpoint("bob")) == ["message"]
    assert push.kinds(endpoint("ana")) == push.kinds(endpoint("olga")) == []
    # A teammate writing in bob's chat is news for bob.
    push.sender.sent.clear()
    reply(platform, owner, chat_id, "Olga chiming in")
    push.deliver()
    assert push.kinds(endpoint("bob")) == ["message"] and push.kinds(endpoint("olga")) == []


def test_team_chat_pushes_the_members_it_names(platform, push, team):
    owner = team["owner"]
    response = platform.post(
        f"/projects/{owner.project_id}/team/messages",
        {"client_id": "team-000001", "text": "@bob can you look at the Norway one?"},
        owner.auth,
    )
    assert response.status_code == 201
    push.deliver()
    [mention] = push.sender.to(endpoint("bob"))
    assert mention["payload"]["kind"] == "mention"
    assert mention["payload"]["tag"] == f"team-{owner.project_id}"
    assert mention["payload"]["url"].endswith(f"#/{owner.project_id}/team-chat")
    assert mention["payload"]["body"] == "Olga: @bob can you look at the Norway one?"
    assert push.kinds(endpoint("ana")) == push.kinds(endpoint("olga")) == []


def test_prefs_per_device_and_offline_status(platform, push, team):
    owner, ana, bob = team["owner"], team["ana"], team["bob"]
    devices = platform.client.http.get("/me/push-subscriptions", headers=ana.auth)
    [ana_device] = devices.json_body["subscriptions"]
    changed = platform.client.http.patch(
        f"/me/push-subscriptions/{ana_device['id']}",
        headers=ana.auth,
        body=json.dumps({"prefs": {"new_chats": False}}),
    )
    assert changed.json_body["subscription"]["prefs"]["new_chats"] is False
    set_status(platform, bob, "offline")
    subscribe(platform, bob, "bob-phone", prefs={"when_offline": True})
    visitor_writes(platform, owner.project_id, "anyone?")
    push.deliver()
    assert push.kinds(endpoint("ana")) == []
    assert push.kinds(endpoint("bob")) == []  # offline: only the device that asked
    assert push.kinds(endpoint("bob-phone")) == ["new_chat"]
    assert push.kinds(endpoint("olga")) == ["new_chat"]


def test_not_while_my_panel_shows_that_chat(platform, push, team):
    owner, ana = team["owner"], team["ana"]
    visitor, chat_id = visitor_writes(platform, owner.project_id, "one")
    push.queue.drain()
    tab, _ = platform.connect(ana.token, project=owner.project_id)
    viewing = {"action": "viewing", "token": ana.token, "project": owner.project_id}
    platform.frame(tab, {**viewing, "chat_id": chat_id})
    assert platform.sender.frames_for(tab) == []  # no answer
    visitor_writes(platform, owner.project_id, "two", visitor, chat_id)
    push.deliver()
    assert push.kinds(endpoint("ana")) == []
    assert push.kinds(endpoint("bob")) == ["new_chat"]
    platform.frame(tab, {**viewing, "chat_id": None})  # the tab was hidden
    visitor_writes(platform, owner.project_id, "three", visitor, chat_id)
    push.deliver()
    assert push.kinds(endpoint("ana")) == ["new_chat"]
    platform.frame(tab, {**viewing, "chat_id": "not a chat id!"})
    [error] = [f for f in platform.sender.frames_for(tab) if f["type"] == "error"]
    assert error["code"] == "bad_request"


def test_previews_can_be_kept_off_lock_screens(platform, push, team):
    owner = team["owner"]
    response = platform.client.http.patch(
        f"/projects/{owner.project_id}",
        headers=owner.auth,
        body=json.dumps({"push_previews": False}),
    )
    assert response.json_body["project"]["push_previews"] is False
    visitor_writes(platform, owner.project_id, "my card number is 4242")
    push.deliver()
    [sent] = push.sender.to(endpoint("ana"))
    assert sent["payload"]["body"] == "New chat"
    assert "4242" not in json.dumps(sent["payload"])


def test_a_gone_device_is_removed(platform, push, team):
    push.sender.answers[endpoint("ana")] = PushResult(410)
    visitor_writes(platform, team["owner"].project_id, "hello")
    push.deliver()
    devices = platform.client.http.get("/me/push-subscriptions", headers=team["ana"].auth)
    assert devices.json_body["subscriptions"] == []
    bob = platform.client.http.get("/me/push-subscriptions", headers=team["bob"].auth)
    [device] = bob.json_body["subscriptions"]
    assert device["last_sent_at"] is not None


def test_429_requeues_once_per_attempt_with_its_delay_and_then_gives_up(platform, push, team):
    push.sender.answers[endpoint("ana")] = PushResult(429, retry_after=120)
    visitor_writes(platform, team["owner"].project_id, "hello")
    push.deliver()
    [(again, delay)] = push.queue.events
    assert delay == 120 and again["attempt"] == 1
    assert [device[0] for device in again["devices"]] == [team["ana"].user_id]
    push.sender.sent.clear()
    push.sender.answers[endpoint("ana")] = PushResult(429, retry_after=5000)
    push.deliver()
    assert [push["endpoint"] for push in push.sender.sent] == [endpoint("ana")]  # only her
    [(third, delay)] = push.queue.events
    assert delay == 900 and third["attempt"] == 2  # SQS's ceiling
    push.deliver()
    assert push.queue.events == []  # given up: no retry storm


def test_without_a_queue_nothing_is_queued(platform):
    deps.override(push_queue=None)
    owner = platform.sign_up()
    _, chat_id = visitor_writes(platform, owner.project_id, "hello")
    assert chat_id  # the message went through
