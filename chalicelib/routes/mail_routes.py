"""E-mail: the unsubscribe page and its one-click POST (RFC 8058), the team's "e-mail the
transcript", the Lambda that S3 invokes with each e-mail SES received
(services/inbound_mail.py), and the one SNS invokes with SES's bounces and complaints
(services/mail_suppression.py).

The unsubscribe routes are public: the signed token in the link is the credential. A
GET only shows a page with a button (link scanners and previews fetch GETs); the POST
unsubscribes, whether from that button or from a mail client's one-click
``List-Unsubscribe-Post``.
"""

from __future__ import annotations

import html

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.errors import DomainError
from chalicelib.routes.http import json_errors, operator_of, query_param
from chalicelib.services import mail_contact, projects, transcripts

mail_routes = Blueprint(__name__)

_FORMS = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 3rem auto;
padding: 0 1rem; color: #111827; }} button {{ font: inherit; padding: .5rem 1rem; }}</style>
</head><body><main><h1>{title}</h1>{body}</main></body></html>
"""


def _page(status: int, title: str, body: str) -> Response:
    return Response(
        status_code=status,
        body=_PAGE.format(title=html.escape(title), body=body),
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",  # the token is in the URL
        },
    )


def _refused(error: DomainError) -> Response:
    return _page(400, "This link does not work", f"<p>{html.escape(error.message)}.</p>")


@mail_routes.route("/mail/unsubscribe", methods=["GET"])
def unsubscribe_page():
    token = query_param(mail_routes.current_request, "token") or ""
    try:
        name = mail_contact.project_name_of(deps.mail_tokens(), token)
    except DomainError as error:
        return _refused(error)
    body = (
        f"<p>Stop e-mails about your chats with {html.escape(name)}?</p>"
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page(200, "Unsubscribe", body)


@mail_routes.route("/mail/unsubscribe", methods=["POST"], content_types=_FORMS)
def unsubscribe():
    token = query_param(mail_routes.current_request, "token") or ""
    try:
        mail_contact.unsubscribe(deps.mail_tokens(), token, utcnow())
    except DomainError as error:
        return _refused(error)
    return _page(200, "Unsubscribed", "<p>You will get no more e-mails about these chats.</p>")


# The team e-mails the chat so far to the visitor (any member who may see the chat).
@mail_routes.route("/projects/{project_id}/chats/{chat_id}/transcript", methods=["POST"])
@json_errors
def send_transcript(project_id, chat_id):
    member = projects.require_member(operator_of(mail_routes.current_request), project_id)
    return transcripts.send(member, chat_id, deps.mailer(), deps.mail_tokens(), utcnow())


def receive_email(event, context):
    """S3 notification (an object the SES receipt rule wrote): post each reply."""
    # Here, not at the top: the REST and socket handlers' cold starts never load it.
    from chalicelib.services import inbound_mail  # noqa: PLC0415

    outcomes = inbound_mail.handle_s3_event(
        event, deps.s3(), deps.mail_tokens(), deps.fanout(), utcnow()
    )
    return {"outcomes": outcomes}


# Chalice needs a topic to build the subscription from; the merge template points the
# subscription at this stack's own topic instead (infra/mail_feedback.py). An ARN, not a
# name: Chalice writes a name as an Fn::Sub object, which the merge would not replace.
MAIL_FEEDBACK_TOPIC = "arn:aws:sns:us-east-1:000000000000:livechat-mail-feedback"


def mail_feedback(event):
    """SNS notification (SES's bounce or complaint): suppress the addresses it names.
    A malformed message is logged and dropped, never raised (AWS would retry it)."""
    from chalicelib.services import mail_suppression  # noqa: PLC0415 - as receive_email

    outcomes = mail_suppression.handle_sns_event(event.to_dict(), utcnow())
    return {"outcomes": outcomes}
