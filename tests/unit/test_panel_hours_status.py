"""Settings -> Business hours (panel/views/hours.js, hours-reply.js), run in Node as the
browser runs them: the reply-times line says what the widget says in the state shown beside
it (not "Typically replies..." beside a preview saying closed), and the saved state is asked
again at its next change time (closes_at while open, opens_at while closed)."""

import json
import shutil
import subprocess

from infra import panel_build

NODE = shutil.which("node")
FIGURE = {"minutes": 1, "chats": 5, "days": 14}
LONG = {"minutes": 150, "chats": 9, "days": 14}


def _node(module: str, name: str, calls: list[list]) -> list:
    url = (panel_build.PANEL / module).as_uri()
    script = (
        f"import {{ {name} }} from {json.dumps(url)};"
        "const calls = JSON.parse(process.argv[1]);"
        f"process.stdout.write(JSON.stringify(calls.map((args) => {name}(...args))));"
    )
    run = subprocess.run(
        [NODE, "--input-type=module", "-e", script, json.dumps(calls)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(run.stdout)


def test_the_reply_line_says_what_the_widget_says_in_the_state_shown():
    online, closed, away = {"state": "online"}, {"state": "offline"}, {"state": "away"}
    said = _node(
        "views/hours-reply.js",
        "replyTimesText",
        [[FIGURE, online], [FIGURE, closed], [FIGURE, away], [LONG, online], [None, closed]],
    )
    assert said[0] == (
        "Your typical first reply: 1 min (median of 5 chats, 14 days). "
        "The widget says \u201cTypically replies in 1 min\u201d."
    )
    assert said[1] == (
        "Your typical first reply: 1 min (median of 5 chats, 14 days). In this state the widget"
        " says \u201cWe\u2019re back \u2026\u201d with the opening time; online it says"
        " \u201cTypically replies in 1 min\u201d."
    )
    assert "widget says \u201cWe\u2019re away \u00b7 leave a message\u2026\u201d" in said[2]
    assert said[3].endswith("The widget says \u201cTypically replies in 3 hours\u201d.")
    assert said[4].startswith("Your typical first reply: not enough chats yet")
    assert "We\u2019re back" in said[4] and "Typically replies" not in said[4]


def test_the_saved_state_is_asked_again_a_second_after_its_next_change():
    at_16 = 1767283200000  # 2026-01-01T16:00:00Z
    waits = _node(
        "views/hours.js",
        "nextChangeWait",
        [
            [{"open": True, "closes_at": "2026-01-01T17:00:00Z", "opens_at": None}, at_16],
            [{"open": False, "closes_at": None, "opens_at": "2026-01-02T09:00:00Z"}, at_16],
            [{"open": False, "closes_at": None, "opens_at": "2026-01-01T15:59:00Z"}, at_16],
            [{"open": True, "closes_at": None, "opens_at": None}, at_16],  # always open
            [None, at_16],
            [{"open": False, "closes_at": None, "opens_at": "2026-03-01T09:00:00Z"}, at_16],
        ],
    )
    assert waits == [3_601_000, 61_201_000, 1_000, None, None, 2**31 - 1]
