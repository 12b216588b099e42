"""A platform's error is judged by code and subcode (never by its text), the same way for
the sender, the daily token check and the panel."""

import io
import json
import urllib.error

import pytest

from chalicelib.services import channel_errors, platform_http
from chalicelib.services.channel_errors import (
    BLOCKED,
    DEAD_TOKEN,
    FAILED,
    RETRY,
    WINDOW_CLOSED,
    of,
)
from chalicelib.services.platform_http import PlatformError


def _http_error(status: int, body: dict):
    return urllib.error.HTTPError(
        "https://x", status, "x", {}, io.BytesIO(json.dumps(body).encode())
    )


@pytest.mark.parametrize(
    ("status", "code", "subcode", "kind"),
    [
        (400, 190, 463, DEAD_TOKEN),
        (400, 190, 460, DEAD_TOKEN),
        (400, 190, 458, DEAD_TOKEN),
        (400, 190, None, DEAD_TOKEN),
        (400, 10, 2018278, WINDOW_CLOSED),
        (400, 551, 1545041, BLOCKED),
        (400, 100, 2018001, BLOCKED),
        (400, 613, None, RETRY),
        (400, 4, None, RETRY),
        (500, 1200, None, RETRY),
        (503, None, None, RETRY),
        (400, 100, None, FAILED),
        (403, 200, None, FAILED),
        (None, None, None, RETRY),
    ],
)
def test_graph_errors_are_judged_by_code_and_subcode(status, code, subcode, kind):
    # The same message text for every case: only the numbers may decide.
    verdict = of("messenger", PlatformError(status, code, "Error validating", subcode))
    assert verdict.kind == kind
    assert verdict.reason


def test_a_dead_page_token_says_why_on_the_banner():
    expired = of("messenger", PlatformError(400, 190, "x", 463))
    password = of("messenger", PlatformError(400, 190, "x", 460))
    assert "expired" in expired.reason and "password" in password.reason


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, 401, DEAD_TOKEN),
        (403, 403, BLOCKED),
        (429, 429, RETRY),
        (502, 502, RETRY),
        (None, None, RETRY),
        (400, 400, FAILED),
    ],
)
def test_telegram_errors_are_judged_by_their_error_code(status, code, kind):
    assert of("telegram", PlatformError(status, code, "Forbidden: something")).kind == kind


def test_telegrams_retry_after_is_read_from_the_answer(monkeypatch):
    body = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }

    def refuse(request, timeout):
        raise _http_error(429, body)

    monkeypatch.setattr(platform_http.urllib.request, "urlopen", refuse)
    with pytest.raises(PlatformError) as raised:
        platform_http.call("POST", "https://api.telegram.example/botX/sendMessage", {"a": 1})
    verdict = of("telegram", raised.value)
    assert (verdict.kind, verdict.after) == (RETRY, 7)


def test_an_absurd_retry_after_is_not_trusted(monkeypatch):
    body = {
        "ok": False,
        "error_code": 429,
        "description": "x",
        "parameters": {"retry_after": 10**9},
    }
    monkeypatch.setattr(
        platform_http.urllib.request,
        "urlopen",
        lambda r, timeout: (_ for _ in ()).throw(_http_error(429, body)),
    )
    with pytest.raises(PlatformError) as raised:
        platform_http.call("POST", "https://api.telegram.example/botX/sendMessage", {"a": 1})
    assert raised.value.retry_after is None
    assert channel_errors.of_telegram(raised.value).kind == RETRY
