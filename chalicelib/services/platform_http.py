"""One HTTP call to a messenger platform (Telegram's Bot API, Facebook's Graph API) with
the standard library, so no runtime dependency ships for it.

URLs here carry tokens (Telegram's is in the path, Graph's in the query), so no URL and
no exception text that could hold one is ever logged or raised: a failure becomes a
``PlatformError`` with the platform's own status, code and description, or "unreachable".
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

TIMEOUT_SECONDS = 8  # well inside the Lambda's 30 s, and the webhook platforms' timeouts
MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass
class PlatformError(Exception):
    status: int | None  # None: the platform could not be reached
    code: int | None
    description: str
    subcode: int | None = None
    retry_after: int | None = None  # seconds the platform asks us to wait (Telegram's 429)


def call(method: str, url: str, params: dict | None = None, form: bool = True) -> dict:
    """``params`` go in the query for GET/DELETE, in a form body for POST. Returns the
    decoded JSON answer of a 2xx; raises ``PlatformError`` for anything else."""
    data = None
    headers = {"Accept": "application/json"}
    if params and method in ("GET", "DELETE"):
        url = f"{url}?{urllib.parse.urlencode(params)}"
    elif params:
        if form:
            data = urllib.parse.urlencode(params).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(params).encode()
            headers["Content-Type"] = "application/json"
    _require_http(url)
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return _decoded(answer.read(), answer.status)
    except urllib.error.HTTPError as error:
        body = error.read()
        raise _error_of(error.code, body) from None
    except (urllib.error.URLError, OSError, ValueError):
        raise PlatformError(None, None, "the platform could not be reached") from None


def download(url: str) -> tuple[bytes, str]:
    """A file's bytes and media type (at most ``MAX_FILE_BYTES``)."""
    _require_http(url)
    request = urllib.request.Request(url, method="GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            data = answer.read(MAX_FILE_BYTES + 1)
            kind = (answer.headers.get("Content-Type") or "").split(";")[0].strip()
    except (urllib.error.URLError, OSError, ValueError):
        raise PlatformError(None, None, "the file could not be fetched") from None
    if len(data) > MAX_FILE_BYTES:
        raise PlatformError(None, None, "the file is too large")
    return data, kind


def _require_http(url: str) -> None:
    # Only the platforms' http(s) URLs: never file: or another scheme urllib would open.
    if not url.startswith(("https://", "http://")):
        raise PlatformError(None, None, "not an http(s) URL")


def _decoded(body: bytes, status: int) -> dict:
    try:
        value = json.loads(body)
    except ValueError:
        raise PlatformError(status, None, "the platform's answer was not JSON") from None
    if not isinstance(value, dict):
        raise PlatformError(status, None, "the platform's answer was not an object")
    return value


def _error_of(status: int, body: bytes) -> PlatformError:
    try:
        value = json.loads(body)
    except ValueError:
        return PlatformError(status, None, f"HTTP {status}")
    if isinstance(value, dict) and isinstance(value.get("error"), dict):  # Graph
        graph = value["error"]
        return PlatformError(
            status,
            graph.get("code"),
            str(graph.get("message") or f"HTTP {status}")[:300],
            graph.get("error_subcode"),
        )
    if isinstance(value, dict) and "description" in value:  # Bot API
        parameters = value.get("parameters")
        wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
        return PlatformError(
            status,
            value.get("error_code"),
            str(value["description"])[:300],
            retry_after=wait if isinstance(wait, int) and 0 < wait <= 3600 else None,
        )
    return PlatformError(status, None, f"HTTP {status}")
