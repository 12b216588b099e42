"""The daily token check (clock app): each connected channel asks its platform whether
its token still works, so a dead token is found before a reply is held on it.

- Telegram: ``getMe`` with the bot token (401 once the token is revoked or the bot
  deleted).
- Messenger: ``GET /me`` with the Page token and ``appsecret_proof``, the call connecting
  made. Not ``debug_token``: that needs an app access token (app id and secret) or a
  developer's user token, and we keep neither the app id nor a user token; ``GET /me``
  fails with the same code 190 and the subcodes that say why (password changed, app
  removed, expired), which channel_errors already reads.

What an answer does: a ``dead_token`` verdict marks the channel (channel_health.mark_dead:
the banner, the one e-mail); any other error (rate limits, the platform down, Secrets
Manager unavailable) changes nothing, and tomorrow's run asks again. A healthy answer
for a channel already marked does not unmark it: only a reconnect does, because the
reconnect is what releases the held replies (the sender's side) and what the banner asks
for; a token that died does not come back (Telegram issues a new one, Graph's 190s are
final), so a healthy answer there is a misread we would rather have the team confirm by
pasting the token again (one form) than hide. A channel marked but not mailed (a send
that failed) gets its e-mail retried here.

Which channels: a Query of the sparse ``connected`` index (ChannelModel.connected): the
app never scans (DESIGN.md), and the index key rides on the put that connects a channel
and the update that disconnects it, so it costs no request of its own. One Query page
per MB of connected channels (about 2,000). Per connected channel then: 1
GetSecretValue (the container's cache, keyed by the version, spares a warm one), 1
platform call. Per channel found dead: 1 conditional UpdateItem (the mark), the frame
(1 Query of the team's sockets, 1 post each), the e-mail (1 UpdateItem to claim it, 1
GetItem of the project, 1 of its administrator, 1 SES send).

The calls run on a few threads (they wait on the platforms, not on us), so a slow or
unreachable platform (8 s timeout a call) does not hold up the rest of the run.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from chalicelib.errors import TemporarilyUnavailable
from chalicelib.models.channel import CONNECTED_SHARD, TELEGRAM, ChannelModel
from chalicelib.services import channel_errors, channel_health, channel_secrets, messenger, telegram
from chalicelib.services.platform_http import PlatformError

log = logging.getLogger(__name__)

WORKERS = 8
HEALTHY, DEAD, MARKED, TRANSIENT = "healthy", "dead", "already_marked", "transient"


def run(now: datetime) -> dict:
    """Check every connected channel. Returns counts by outcome."""
    candidates = ChannelModel.connected.query(CONNECTED_SHARD)
    counts = {"examined": 0, HEALTHY: 0, DEAD: 0, MARKED: 0, TRANSIENT: 0, "mailed": 0}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for outcome, mailed in pool.map(lambda channel: check(channel, now), candidates):
            counts["examined"] += 1
            counts[outcome] += 1
            counts["mailed"] += mailed
    return counts


def check(channel: ChannelModel, now: datetime) -> tuple[str, bool]:
    """One channel: (outcome, whether an e-mail went out)."""
    try:
        if channel_health.needs_reconnect(channel):
            # Marked already: no platform call (a healthy answer would change nothing);
            # only the e-mail, if it never went.
            mailed = not channel.health_mailed_at and channel_health.mail_once(channel, now)
            return MARKED, mailed
        verdict = _verdict(channel)
        if verdict is None:
            return HEALTHY, False
        if verdict.kind != channel_errors.DEAD_TOKEN:
            log.info("token check of %s: %s (nothing changed)", channel.channel_id, verdict.kind)
            return TRANSIENT, False
        marked = channel_health.mark_dead(channel, verdict, now)
        return DEAD, marked and bool(channel.health_mailed_at)
    except Exception:  # noqa: BLE001 - one channel's fault must not stop the others
        log.exception("token check of %s failed", channel.channel_id)
        return TRANSIENT, False


def _verdict(channel: ChannelModel) -> channel_errors.Verdict | None:
    """None: the token works. Never raises for the platform's answers."""
    try:
        secret = channel_secrets.load(channel.channel_id, channel.secret_version or "")
    except TemporarilyUnavailable:
        return channel_errors.Verdict(channel_errors.RETRY, "the token could not be read")
    try:
        if channel.kind == TELEGRAM:
            telegram.get_me(secret["token"])
        else:
            messenger.page_of_token(secret["page_token"], secret["app_secret"])
    except PlatformError as error:
        return channel_errors.of(channel.kind, error)
    except KeyError:  # an erased secret under a connected record: nothing to ask with
        return channel_errors.Verdict(channel_errors.RETRY, "the token is missing")
    return None
