"""What a messenger platform's error means for a send, by code and subcode, never by the
message text (Telegram's descriptions and Graph's messages change wording and language).

One verdict per ``PlatformError``; the sender, the token-health job and the panel all read
these, so a platform answer is judged the same way everywhere:

- ``retry``: try again later (rate limits, the platform down or unreachable); ``after`` is
  the platform's own wait when it gives one (Telegram's ``retry_after``).
- ``dead_token``: the bot token or Page token no longer works: the channel needs
  reconnecting and its sends are held, not dropped.
- ``blocked``: this customer cannot be reached (blocked the bot, deactivated, left).
- ``window_closed``: Messenger's 24-hour window (or the tag's 7 days) has passed.
- ``failed``: refused for good (bad request, text too long, ...): shown with the reason.

Graph codes: https://developers.facebook.com/docs/graph-api/guides/error-handling and the
Send API's error codes (10/2018278 outside the window, 551 person unavailable, 1200
temporary send failure, 4/17/32/613 rate limits, 190 with subcodes 458-467 and 492 dead
tokens).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.models.channel import TELEGRAM
from chalicelib.services.platform_http import PlatformError

RETRY = "retry"
DEAD_TOKEN = "dead_token"
BLOCKED = "blocked"
WINDOW_CLOSED = "window_closed"
FAILED = "failed"

# Graph code 190's subcodes, as the team reads them on the banner.
GRAPH_TOKEN_REASONS = {
    458: "the app was removed from the Page or account",
    459: "the Facebook account is checkpointed",
    460: "the Facebook password was changed",
    463: "the Page token expired",
    464: "the Facebook account is not confirmed",
    467: "the Page token is no longer valid",
    492: "the Page token's session is no longer valid",
}
GRAPH_RATE_CODES = {4, 17, 32, 613, 80006}
GRAPH_TEMPORARY_CODES = {1, 2, 1200}
GRAPH_UNREACHABLE_CODES = {551}
GRAPH_UNREACHABLE_SUBCODES = {2018001, 1545041}  # no matching user; person unavailable
GRAPH_WINDOW_SUBCODES = {2018278, 2534022}  # outside the allowed window; tag refused there
GRAPH_PERMISSION_CODES = {10, 200}
DEFAULT_RETRY_SECONDS = 30


@dataclass(frozen=True)
class Verdict:
    kind: str
    reason: str
    after: int | None = None  # seconds, for RETRY when the platform says how long


def of_telegram(error: PlatformError) -> Verdict:
    status = error.code if error.code is not None else error.status
    if error.status is None:
        return Verdict(RETRY, "Telegram could not be reached")
    if status == 429:
        return Verdict(RETRY, "Telegram asks us to slow down", error.retry_after)
    if status == 401:  # Unauthorized: the token was revoked (or the bot deleted)
        return Verdict(DEAD_TOKEN, "the bot token was revoked or the bot was deleted")
    if status == 403:
        return Verdict(BLOCKED, "the customer blocked the bot or left Telegram")
    if status is not None and status >= 500:
        return Verdict(RETRY, "Telegram had a temporary error")
    return Verdict(FAILED, error.description[:200] or "Telegram refused the message")


def of_graph(error: PlatformError) -> Verdict:
    code, subcode = error.code, error.subcode
    if error.status is None:
        return Verdict(RETRY, "Facebook could not be reached")
    if code == 190 or code == 102:
        reason = GRAPH_TOKEN_REASONS.get(subcode or 0, "the Page token is no longer valid")
        return Verdict(DEAD_TOKEN, reason)
    if subcode in GRAPH_WINDOW_SUBCODES:
        return Verdict(WINDOW_CLOSED, "Messenger's reply window has closed")
    if code in GRAPH_UNREACHABLE_CODES or subcode in GRAPH_UNREACHABLE_SUBCODES:
        return Verdict(BLOCKED, "this person can't be reached on Messenger")
    if code in GRAPH_RATE_CODES:
        return Verdict(RETRY, "Facebook asks us to slow down", error.retry_after)
    if code in GRAPH_TEMPORARY_CODES or (error.status or 0) >= 500:
        return Verdict(RETRY, "Facebook had a temporary error")
    if code in GRAPH_PERMISSION_CODES:
        return Verdict(FAILED, "the Page may not send this message (permission)")
    return Verdict(FAILED, error.description[:200] or "Facebook refused the message")


def of(kind: str, error: PlatformError) -> Verdict:
    """``kind`` is the channel's kind, "telegram" or "messenger"."""
    return of_telegram(error) if kind == TELEGRAM else of_graph(error)
