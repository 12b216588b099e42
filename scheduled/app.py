"""The clock app: scheduled Lambdas, packaged and deployed apart from the traffic app.

It shares ``chalicelib`` through a symlink (``scheduled/chalicelib -> ../chalicelib``).
"""

import logging

from chalice import Chalice, Rate

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.realtime import connections
from chalicelib.services import (
    auto_close,
    billing_periods,
    channel_check,
    channel_requeue,
    continuity,
    distribution,
    email_auto,
    escalation,
    hours_opening,
    online_visitors,
)

app = Chalice(app_name="livechat-scheduled")
app.log.setLevel(logging.INFO)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def sweep_connections(event):
    """Remove connection records API Gateway dropped without a $disconnect and mark
    their operators or visitors offline. Idempotent: a rerun finds nothing twice."""
    removed = connections.sweep_expired(utcnow())
    app.log.info("swept %d expired connections", removed)
    return {"removed": removed}


@app.schedule(Rate(5, unit=Rate.MINUTES))
def sweep_quiet_visitors(event):
    """Take visitors who stopped beating off the online indexes, so those hold who is
    on the sites now. Idempotent: each removal is conditioned on the visitor still
    being quiet."""
    removed = online_visitors.sweep_quiet(utcnow())
    app.log.info("took %d quiet visitors off the online list", removed)
    return {"removed": removed}


@app.schedule(Rate(15, unit=Rate.MINUTES))
def send_email_auto_messages(event):
    """E-mail auto messages to logged-in users whose facts match, once per user.
    Idempotent: each user is claimed before the mail goes."""
    result = email_auto.run(deps.mailer())
    app.log.info("e-mail auto messages: examined %(examined)d users, sent %(sent)d", result)
    return result


@app.schedule(Rate(1, unit=Rate.MINUTES))
def close_idle_dialogues(event):
    """Close dialogues idle past their project's limit (a month if unassigned).
    Idempotent and resumable: each close is conditioned on the state it was found in."""
    fanout = deps.fanout()
    result = auto_close.run(utcnow(), fanout)
    # A closed dialogue gave its member a slot back: the queue moves now, as after a
    # close by hand (the waiting dialogue is theirs at once, their panel hears it).
    freed_in = result.pop("freed_slots_in")
    result["assigned"] = sum(distribution.distribute(project_id, fanout) for project_id in freed_in)
    app.log.info(
        "auto-close examined %(examined)d, closed %(closed)d, handed out %(assigned)d", result
    )
    return result


@app.schedule(Rate(1, unit=Rate.MINUTES))
def open_business_hours(event):
    """Hand out the chats that waited outside hours, in projects whose hours just opened.
    Idempotent: each opening is claimed (its key moved on) before distribution runs."""
    result = hours_opening.run(utcnow(), deps.fanout())
    app.log.info(
        "business hours: %(opened)d projects opened, %(assigned)d chats handed out", result
    )
    return result


@app.schedule(Rate(1, unit=Rate.MINUTES))
def escalate_waiting_chats(event):
    """E-mail someone about chats whose visitor has waited past the project's limit for
    a reply. Once per waiting period: each chat is claimed before the mail goes."""
    result = escalation.run(utcnow(), deps.mailer())
    app.log.info("escalation examined %(examined)d chats, sent %(sent)d e-mails", result)
    return result


@app.schedule(Rate(1, unit=Rate.MINUTES))
def email_unseen_replies(event):
    """E-mail visitors the team's replies they have not seen in the widget for 2
    minutes. Once per batch: each batch is claimed before the mail goes."""
    result = continuity.run(utcnow(), deps.mailer(), deps.mail_tokens())
    app.log.info("continuity examined %(examined)d, sent %(sent)d, dropped %(dropped)d", result)
    return result


@app.schedule(Rate(5, unit=Rate.MINUTES))
def start_billing_periods(event):
    """Move projects whose billing period ended into the next one (fresh usage counters).
    Idempotent and resumable: each move is conditioned on the period it found."""
    result = billing_periods.run(utcnow())
    app.log.info("billing periods: examined %(examined)d, started %(started)d", result)
    return result


@app.schedule(Rate(1, unit=Rate.DAYS))
def check_channel_tokens(event):
    """Ask Telegram (getMe) and Facebook (GET /me) whether each connected channel's token
    still works; a dead one is marked "needs reconnecting" (banner, one e-mail). Idempotent:
    the mark and the e-mail are each conditional, so a rerun tells nobody twice."""
    result = channel_check.run(utcnow())
    app.log.info(
        "channel tokens: examined %(examined)d, healthy %(healthy)d, dead %(dead)d,"
        " already marked %(already_marked)d, transient %(transient)d, mailed %(mailed)d",
        result,
    )
    return result


@app.schedule(Rate(5, unit=Rate.MINUTES))
def requeue_unsent_replies(event):
    """Queue again the Telegram/Messenger replies still "sending" past their due (stored,
    then the function stopped before queueing them). Once per grace: each re-queue is
    claimed on the reply first, and the sender's claims keep a reply from going twice."""
    try:
        fanout = deps.fanout()
    except RuntimeError:  # no WebSocket endpoint configured: a reload shows the state
        fanout = None
    result = channel_requeue.run(utcnow(), fanout)
    app.log.info(
        "unsent replies: examined %(examined)d, requeued %(requeued)d, failed %(failed)d", result
    )
    return result
