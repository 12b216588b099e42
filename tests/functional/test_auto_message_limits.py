"""Auto messages through the REST API: delete, unknown and other projects' ids, roles,
the cap and the plan's scenario limit, the figures under concurrency, the catalogue."""

import threading

import pytest

from chalicelib.services import auto_messages
from tests.functional.auto_message_helpers import (
    _create,
    _delete,
    _listed,
    _patch,
    _path,
    _proactive,
)


@pytest.fixture
def owner(platform):
    return platform.sign_up(project_name="Shop")


def test_delete_then_get_is_not_found(platform, owner):
    message = _create(platform, owner, _proactive()).json_body["auto_message"]

    assert _delete(platform, owner, message["id"]).status_code == 204

    assert platform.get(_path(owner, f"/{message['id']}"), owner.auth).status_code == 404
    assert _delete(platform, owner, message["id"]).status_code == 404
    assert _patch(platform, owner, message["id"], {"enabled": False}).status_code == 404
    assert _listed(platform, owner) == []


@pytest.mark.parametrize("message_id", ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "nope", "x" * 300])
def test_unknown_ids_are_not_found(platform, owner, message_id):
    assert platform.get(_path(owner, f"/{message_id}"), owner.auth).status_code == 404
    assert _delete(platform, owner, message_id).status_code == 404


def test_another_projects_auto_messages_are_out_of_reach(platform, owner):
    # Given an auto message of another account's project
    stranger = platform.sign_up(project_name="Elsewhere")
    theirs = _create(platform, stranger, _proactive()).json_body["auto_message"]["id"]

    # Then its id names nothing in our project (404) ...
    assert platform.get(_path(owner, f"/{theirs}"), owner.auth).status_code == 404
    assert _patch(platform, owner, theirs, {"enabled": False}).status_code == 404
    assert _delete(platform, owner, theirs).status_code == 404
    # ... and their project refuses us (403), as the access matrix says
    other_path = f"/projects/{stranger.project_id}/auto-messages/{theirs}"
    assert platform.get(other_path, owner.auth).status_code == 403
    assert platform.client.http.delete(other_path, headers=owner.auth).status_code == 403
    # And it is untouched
    assert _listed(platform, stranger)[0]["enabled"] is True


def test_operators_may_not_manage_auto_messages(platform, owner):
    operator = platform.member(owner, "operator")
    message = _create(platform, owner, _proactive()).json_body["auto_message"]

    assert platform.get(_path(operator), operator.auth).status_code == 403
    assert _create(platform, operator, _proactive()).status_code == 403
    assert _patch(platform, operator, message["id"], {"enabled": False}).status_code == 403
    assert _delete(platform, operator, message["id"]).status_code == 403
    assert _listed(platform, owner) == [message]


def test_a_project_has_at_most_the_capped_number(platform, owner, monkeypatch):
    monkeypatch.setattr(auto_messages, "MAX_PER_PROJECT", 2)
    for name in ("one", "two"):
        assert _create(platform, owner, _proactive(name=name)).status_code == 201

    refused = _create(platform, owner, _proactive(name="three"))

    assert refused.status_code == 409
    assert "at most 2 auto messages" in refused.json_body["error"]["message"]
    assert [m["name"] for m in _listed(platform, owner)] == ["one", "two"]


def test_create_asks_the_scenario_quota_hook(platform, owner, monkeypatch):
    from chalicelib.errors import Conflict

    def plan_is_full(member):
        assert member.project_id == owner.project_id
        raise Conflict("your plan allows no more scenarios")

    monkeypatch.setattr(auto_messages, "_check_scenario_quota", plan_is_full)

    refused = _create(platform, owner, _proactive())

    assert refused.status_code == 409
    assert refused.json_body["error"]["message"] == "Your plan allows no more scenarios"
    assert _listed(platform, owner) == []


# --- figures -------------------------------------------------------------------------


def test_record_counts_each_event_and_patch_keeps_the_figures(platform, owner):
    message = _create(platform, owner, _proactive()).json_body["auto_message"]

    auto_messages.record(owner.project_id, message["id"], "sent")
    auto_messages.record(owner.project_id, message["id"], "sent")
    auto_messages.record(owner.project_id, message["id"], "opened")
    figures = auto_messages.record(owner.project_id, message["id"], "replied")
    edited = _patch(platform, owner, message["id"], {"name": "Renamed"})

    assert figures == {"sent": 2, "opened": 1, "replied": 1}
    assert edited.json_body["auto_message"]["stats"] == figures
    assert _listed(platform, owner)[0]["stats"] == figures


def test_record_refuses_unknown_events_and_messages(platform, owner):
    from chalicelib.errors import BadRequest, NotFound

    message = _create(platform, owner, _proactive()).json_body["auto_message"]
    with pytest.raises(BadRequest):
        auto_messages.record(owner.project_id, message["id"], "clicked")
    with pytest.raises(NotFound):
        auto_messages.record(owner.project_id, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "sent")
    with pytest.raises(NotFound):
        auto_messages.record("p_other", message["id"], "sent")
    # A deleted message is not brought back by a late count
    _delete(platform, owner, message["id"])
    with pytest.raises(NotFound):
        auto_messages.record(owner.project_id, message["id"], "opened")
    assert _listed(platform, owner) == []


def test_concurrent_counts_are_all_kept(platform, owner, eager_thread_switching):
    # Given an auto message shown by many widgets at once
    message_id = _create(platform, owner, _proactive()).json_body["auto_message"]["id"]
    per_thread = {"sent": 5, "opened": 3, "replied": 2}
    threads_count = 8
    start = threading.Barrier(threads_count)
    failures = []

    def widget():
        start.wait()
        try:
            for event, times in per_thread.items():
                for _ in range(times):
                    auto_messages.record(owner.project_id, message_id, event)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    # When they all count their events concurrently
    threads = [threading.Thread(target=widget) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then not one count is lost
    assert failures == []
    stats = platform.get(_path(owner, f"/{message_id}"), owner.auth).json_body["auto_message"]
    assert stats["stats"] == {event: n * threads_count for event, n in per_thread.items()}


def test_the_catalogue_lists_fields_with_their_operators(platform, owner):
    response = platform.get("/targeting/catalogue", owner.auth)

    assert response.status_code == 200
    fields = {f["id"]: f for f in response.json_body["fields"]}
    assert fields["time_on_page"]["ops"] == ["greater", "less", "equals"]
    assert fields["time_on_page"]["type"] == "seconds"
    assert fields["chat_history"]["ops"] == ["exists", "none"]
    assert fields["platform"]["values"] == ["desktop", "mobile"]
    assert response.json_body["limits"]["conditions_in_all"] == 20


def test_the_plans_scenario_limit_stops_new_auto_messages_and_a_delete_frees_a_slot(
    platform, owner, monkeypatch
):
    from chalicelib.config import get_settings
    from tests.conftest import catalogue_json

    monkeypatch.setenv("PLAN_CATALOGUE", catalogue_json(team_members=50, scenarios=2))
    get_settings.cache_clear()
    first = _create(platform, owner, _proactive())
    _create(platform, owner, _proactive())

    refused = _create(platform, owner, _proactive())

    assert refused.status_code == 402
    assert refused.json_body["error"]["reason"] == "scenarios"
    assert len(_listed(platform, owner)) == 2
    gone = platform.client.http.delete(
        f"/projects/{owner.project_id}/auto-messages/{first.json_body['auto_message']['id']}",
        headers=owner.auth,
    )
    assert gone.status_code == 204
    assert _create(platform, owner, _proactive()).status_code == 201
