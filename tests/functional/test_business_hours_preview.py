"""Settings -> Business hours previews the schedule being edited before Save (issue 13):
``POST /projects/{pid}/business-hours/preview`` answers the ``now`` that schedule would
give (the server's rules, as the widget will follow them), checks it as PUT does, and
stores nothing."""

import json

from chalicelib.clock import iso
from tests.functional.test_availability import CLOSED_NOW, OPEN_NOW, OPENS_AT, _get


def _preview(platform, who, hours):
    return platform.client.http.post(
        f"/projects/{who.project_id}/business-hours/preview",
        body=json.dumps({"business_hours": hours}),
        headers=who.auth,
    )


def test_the_edited_schedule_is_previewed_and_nothing_is_saved(platform):
    owner = platform.sign_up()
    before = _get(platform, owner)
    # When the owner previews hours that are closed now
    response = _preview(platform, owner, CLOSED_NOW)
    # Then the answer says closed, opening at the schedule's next start
    assert response.status_code == 200, response.json_body
    now = response.json_body["now"]
    assert now["open"] is False and now["state"] == "offline"
    assert now["opens_at"] == iso(OPENS_AT)
    assert now["label"].startswith("Closed \u00b7 opens ")
    # And an always-open schedule previews as open (nobody online: away)
    opened = _preview(platform, owner, OPEN_NOW).json_body["now"]
    assert opened["open"] is True and opened["state"] == "away"
    # And nothing was stored: the saved state is as before
    assert _get(platform, owner) == before


def test_a_bad_schedule_is_a_clear_400_and_operators_may_not_preview(platform):
    owner = platform.sign_up()
    bad = {"time_zone": "Mars/Olympus", "weekly": {}}
    response = _preview(platform, owner, bad)
    assert response.status_code == 400
    assert "time zone" in response.json_body["error"]["message"].lower()
    missing = platform.client.http.post(
        f"/projects/{owner.project_id}/business-hours/preview", body="{}", headers=owner.auth
    )
    assert missing.status_code == 400
    operator = platform.member(owner, "operator")
    assert _preview(platform, operator, OPEN_NOW).status_code == 403
