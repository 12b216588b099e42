"""Replies by e-mail on the local stand-in: what SES receiving and S3's notification do
in AWS, so the whole loop works by hand in ``make dev``.

The local mailbox page (infra/local/mailbox.py) shows each continuity e-mail with a
"reply as the visitor" form. Its POST lands here: a real MIME reply is built as a mail
client would (``Re:`` subject, ``In-Reply-To``, the answer above the quoted original,
"On <date>, <sender> wrote:"), written to moto's S3 under the same bucket and prefix
the receipt rule writes to, and the traffic app's ``receive_email`` handler is invoked
with the event S3 sends a Lambda (``ObjectCreated:Put``), with a Lambda context. So the
app's code runs exactly as in AWS.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from infra.local.aws import REGION

BUCKET = "livechat-local-inbound-mail"
DOMAIN = "inbound.livechat.localhost"
PREFIX = "inbound/"  # as infra/inbound_mail.py's receipt rule


def configure(ports) -> dict:
    """The settings the app reads, and the bucket in moto (before the app loads)."""
    import os

    import boto3

    env = {
        "MAIL_TOKEN_SECRET": secrets.token_hex(32),
        "INBOUND_MAIL_DOMAIN": DOMAIN,
        "INBOUND_MAIL_BUCKET": BUCKET,
        "PUBLIC_API_URL": ports.url(ports.api),
    }
    os.environ.update(env)
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=ports.url(ports.moto))
    s3.create_bucket(Bucket=BUCKET)
    return env


def reply_mime(original: dict, text: str, now: datetime.datetime) -> bytes:
    """The visitor's answer to a continuity e-mail, as their mail client sends it."""
    parsed_from = original.get("from") or "the team"
    message = EmailMessage()
    message["From"] = original["to"]
    message["To"] = original["reply_to"]
    subject = original.get("subject") or ""
    message["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain="visitor.localhost")
    quoted = "\n".join(f"> {line}" if line else ">" for line in original["text"].splitlines())
    stamp = now.strftime("%a, %d %b %Y at %H:%M")
    message.set_content(f"{text.strip()}\n\nOn {stamp}, {parsed_from} wrote:\n{quoted}\n")
    return message.as_bytes()


def s3_event(bucket: str, key: str, size: int, now: datetime.datetime) -> dict:
    """What S3 hands the Lambda (see tests/events/s3_put.json)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:local-ses"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper()},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "inbound-mail",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": key, "size": size, "sequencer": uuid.uuid4().hex[:18]},
                },
            }
        ]
    }


def deliver(original: dict, text: str, handler) -> dict:
    """Write the reply where SES would and run the handler as S3 would."""
    from chalice.local import LambdaContext

    from chalicelib import deps

    now = datetime.datetime.now(datetime.UTC)
    raw = reply_mime(original, text, now)
    key = PREFIX + uuid.uuid4().hex  # SES names objects by its message id
    deps.s3().put_object(Bucket=BUCKET, Key=key, Body=raw)
    context = LambdaContext("livechat-dev-receive_email", 256, 60_000)
    return handler(s3_event(BUCKET, key, len(raw), now), context)


def routes(handler):
    import asyncio

    from aiohttp import web

    from infra.local import mailbox

    async def reply(request):
        original = mailbox.mail_by_id(request.match_info["mail_id"])
        if original is None or "reply_to" not in original:
            raise web.HTTPNotFound(text="no such continuity e-mail")
        form = await request.post()
        text = str(form.get("text") or "").strip()
        if not text:
            raise web.HTTPBadRequest(text="write a reply first")
        # In a worker thread: the handler fans out through the local gateway, this loop.
        result = await asyncio.get_running_loop().run_in_executor(
            None, deliver, original, text, handler
        )
        if request.headers.get("Accept", "").startswith("application/json"):
            return web.json_response(result)
        raise web.HTTPSeeOther("/local-mailbox/")

    return [web.post("/local-mailbox/reply/{mail_id}", reply)]
