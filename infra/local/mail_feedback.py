"""Bounces and complaints on the local stand-in: what SES and SNS do in AWS when a mail
bounces or its reader marks it as spam, so suppression can be tried by hand.

The local mailbox page (infra/local/mailbox.py) shows "Bounce" and "Complain" buttons
on each e-mail the app sent through SES. Their POST lands here: the notification SES
publishes for that mail is built in SES's own shape (event publishing through the
stack's configuration set: ``eventType``, ``bounce`` / ``complaint``, ``mail``), wrapped
in the SNS event a Lambda subscription receives, and the traffic app's ``mail_feedback``
handler is invoked with it and a Lambda context. So the app's code runs as in AWS.
"""

from __future__ import annotations

import datetime
import json
import uuid

from infra.local.aws import REGION

ACCOUNT = "000000000000"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:livechat-local-mail-feedback"
CONFIGURATION_SET = "livechat-local-mail"
KINDS = ("bounce", "complaint")


def _stamp(now: datetime.datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def notification(mail: dict, kind: str, now: datetime.datetime) -> dict:
    """SES's event for ``mail`` (a mailbox entry): a permanent bounce or a complaint."""
    address = mail["to"]
    feedback_id = f"{uuid.uuid4().hex}-000000"
    body: dict = {
        "mail": {
            "timestamp": mail.get("at") or _stamp(now),
            "source": mail.get("from") or "",
            "sendingAccountId": ACCOUNT,
            "messageId": f"local-{mail.get('id', '0')}",
            "destination": [address],
            "headersTruncated": False,
            "headers": [{"name": "To", "value": address}],
            "commonHeaders": {"to": [address], "subject": mail.get("subject") or ""},
            "tags": {"ses:configuration-set": [CONFIGURATION_SET]},
        }
    }
    if kind == "bounce":
        body["eventType"] = "Bounce"
        body["bounce"] = {
            "feedbackId": feedback_id,
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": address,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown (local stand-in)",
                }
            ],
            "timestamp": _stamp(now),
            "reportingMTA": "dns; local-ses.localhost",
        }
    else:
        body["eventType"] = "Complaint"
        body["complaint"] = {
            "feedbackId": feedback_id,
            "complaintSubType": None,
            "complainedRecipients": [{"emailAddress": address}],
            "timestamp": _stamp(now),
            "userAgent": "local mailbox",
            "complaintFeedbackType": "abuse",
            "arrivalDate": _stamp(now),
        }
    return body


def sns_event(message: str, now: datetime.datetime) -> dict:
    """What SNS hands a subscribed Lambda (one record per invocation)."""
    message_id = str(uuid.uuid4())
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{TOPIC_ARN}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": TOPIC_ARN,
                    "Subject": None,
                    "Message": message,
                    "Timestamp": _stamp(now),
                    "SignatureVersion": "1",
                    "Signature": "local-stand-in",
                    "SigningCertUrl": "https://sns.localhost/cert.pem",
                    "UnsubscribeUrl": "https://sns.localhost/unsubscribe",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def deliver(mail: dict, kind: str, handler) -> dict:
    """Run the handler as SNS would with SES's notification about ``mail``."""
    from chalice.local import LambdaContext

    now = datetime.datetime.now(datetime.UTC)
    message = json.dumps(notification(mail, kind, now))
    context = LambdaContext("livechat-dev-mail_feedback", 256, 60_000)
    return handler(sns_event(message, now), context)


def routes(handler):
    import asyncio

    from aiohttp import web

    from infra.local import mailbox

    async def feedback(request):
        original = mailbox.mail_by_id(request.match_info["mail_id"])
        if original is None or "code" in original:
            raise web.HTTPNotFound(text="no such e-mail sent through SES")
        form = await request.post()
        kind = str(form.get("kind") or "")
        if kind not in KINDS:
            raise web.HTTPBadRequest(text="kind is bounce or complaint")
        result = await asyncio.get_running_loop().run_in_executor(
            None, deliver, original, kind, handler
        )
        mailbox.mark(original["id"], "bounced" if kind == "bounce" else "marked as spam")
        if request.headers.get("Accept", "").startswith("application/json"):
            return web.json_response(result)
        raise web.HTTPSeeOther("/local-mailbox/")

    return [web.post("/local-mailbox/feedback/{mail_id}", feedback)]
