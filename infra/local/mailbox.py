"""The local stand-in's mailbox: the e-mails Cognito and SES would send, kept here.

moto's Cognito accepts any confirmation code (its ``confirm_sign_up`` ignores it) and
sends nothing, so a sign-up through the panel could never be confirmed honestly. Here
moto is taught what Cognito does: a sign-up gets a random six-digit code, "mailed" to the
newcomer (kept below, printed in the ``make dev`` log and shown on the CDN port's
``/local-mailbox/`` page), ``ConfirmSignUp`` with any other code answers
``CodeMismatchException``, and ``ResendConfirmationCode`` (which moto lacks) mails a new
code and voids the old one. This module is infra/local's only: the app's code calls
Cognito the same way in AWS, where Cognito mails the code itself.

The app's own e-mails (quota warnings, e-mail auto messages) go through SES from the
local ``MAIL_FROM``, as in AWS: moto's SES accepts them (from a verified sender only, as
SES does) and keeps them; here each accepted one is also put in this mailbox, so the
page shows every e-mail the stack "sent", newest first. Each has "Bounce" and "Complain"
buttons that play SES's feedback about it (infra/local/mail_feedback.py).
"""

from __future__ import annotations

import datetime
import functools
import html
import secrets
import threading

_lock = threading.Lock()
_codes: dict[tuple[str, str], str] = {}  # (pool id, username) -> the code that confirms
_mails: list[dict] = []  # newest last
_dropped = [0]  # how many old mails were let go (ids stay unique)
MAILS_KEPT = 200
SUBJECT = "Your Live Chat verification code"


def mails() -> list[dict]:
    with _lock:
        return list(reversed(_mails))


def latest_code(address: str) -> str | None:
    """The code most recently mailed to ``address`` (what a test types in)."""
    for mail in mails():
        if mail["to"] == address.lower() and "code" in mail:
            return mail["code"]
    return None


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _keep(mail: dict) -> None:
    with _lock:
        if "code" not in mail:  # an SES mail: the page's buttons name it
            mail["id"] = str(len(_mails) + _dropped[0])
        _mails.append(mail)
        _dropped[0] += max(0, len(_mails) - MAILS_KEPT)
        del _mails[:-MAILS_KEPT]


def _deliver(pool_id: str, username: str, address: str, announce) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    mail = {"to": address.lower(), "subject": SUBJECT, "code": code, "at": _now()}
    with _lock:
        _codes[(pool_id, username)] = code
    _keep(mail)
    announce(mail)


def _print_mail(mail: dict) -> None:
    if "code" in mail:
        print(f"[local mailbox] to {mail['to']}: confirmation code {mail['code']}", flush=True)
    else:
        print(f"[local mailbox] to {mail['to']}: {mail['subject']}", flush=True)


def install(announce=_print_mail) -> None:
    """Patch moto's Cognito in this process (idempotent). ``announce`` is told of each
    mail (the ``make dev`` log prints it)."""
    from moto.cognitoidp.exceptions import (
        CodeMismatchException,
        InvalidParameterException,
        NotAuthorizedError,
        UserNotFoundError,
    )
    from moto.cognitoidp.models import CognitoIdpBackend, RegionAgnosticBackend, UserStatus
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.responses import EmptyResult

    if getattr(CognitoIdpBackend.sign_up, "_mailbox", False):
        return
    original_sign_up = CognitoIdpBackend.sign_up
    original_confirm = CognitoIdpResponse.confirm_sign_up

    @functools.wraps(original_sign_up)
    def sign_up(self, client_id, username, password, attributes):
        user, details = original_sign_up(self, client_id, username, password, attributes)
        if user.status == UserStatus.UNCONFIRMED:
            address = user.attribute_lookup.get("email", username)
            _deliver(user.user_pool_id, user.username, address, announce)
        return user, details

    def _user(response):
        client_id = response._get_param("ClientId")
        username = response._get_param("Username")
        backend = RegionAgnosticBackend(
            response.current_account, response.region
        )._find_backend_for_clientid(client_id)
        pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
        user = pool._get_user(username) if pool else None
        if user is None:
            raise UserNotFoundError("Username/client id combination not found.")
        return user

    @functools.wraps(original_confirm)
    def confirm_sign_up(self):
        user = _user(self)
        if user.status != UserStatus.UNCONFIRMED:
            # Cognito's answer for a confirmed account.
            raise NotAuthorizedError(f"User cannot be confirmed. Current status is {user.status}")
        with _lock:
            expected = _codes.get((user.user_pool_id, user.username))
        if expected is None or not secrets.compare_digest(
            expected, str(self._get_param("ConfirmationCode") or "")
        ):
            raise CodeMismatchException("Invalid verification code provided, please try again.")
        with _lock:
            _codes.pop((user.user_pool_id, user.username), None)
        return original_confirm(self)

    def resend_confirmation_code(self):
        user = _user(self)
        if user.status != UserStatus.UNCONFIRMED:
            raise InvalidParameterException("User is already confirmed.")
        address = user.attribute_lookup.get("email", user.username)
        _deliver(user.user_pool_id, user.username, address, announce)
        return EmptyResult()

    sign_up._mailbox = True
    CognitoIdpBackend.sign_up = sign_up
    CognitoIdpResponse.confirm_sign_up = confirm_sign_up
    CognitoIdpResponse.resend_confirmation_code = resend_confirmation_code
    _install_ses(announce)


def _install_ses(announce) -> None:
    """Every e-mail moto's SES accepts (``SendEmail``) lands here too."""
    from moto.ses.models import SESBackend

    original_send = SESBackend.send_email

    @functools.wraps(original_send)
    def send_email(self, source, subject, body, destinations):
        message = original_send(self, source, subject, body, destinations)
        for address in [a for addresses in destinations.values() for a in addresses]:
            mail = {
                "to": address.lower(),
                "from": source,
                "subject": subject,
                "text": body,
                "at": _now(),
            }
            _keep(mail)
            announce(mail)
        return message

    SESBackend.send_email = send_email
    _install_ses_raw(SESBackend, announce)


def _install_ses_raw(backend, announce) -> None:
    """``SendRawEmail`` (continuity e-mails: Reply-To, List-Unsubscribe) lands here too,
    with its Reply-To and raw MIME, so the page can answer it as the visitor would."""
    from email import policy
    from email.parser import Parser

    original_raw = backend.send_raw_email

    @functools.wraps(original_raw)
    def send_raw_email(self, source, destinations, raw_data):
        message = original_raw(self, source, destinations, raw_data)
        parsed = Parser(policy=policy.default).parsestr(raw_data)
        body = parsed.get_body(preferencelist=("plain",))
        mail = {
            "to": parsed["To"].addresses[0].addr_spec.lower() if parsed["To"] else "",
            "from": str(parsed["From"] or source),
            "subject": str(parsed["Subject"] or ""),
            "text": body.get_content() if body is not None else "",
            "at": _now(),
        }
        if parsed["Reply-To"]:
            mail["reply_to"] = parsed["Reply-To"].addresses[0].addr_spec
            mail["raw"] = raw_data
        _keep(mail)
        announce(mail)
        return message

    backend.send_raw_email = send_raw_email


def mail_by_id(mail_id: str) -> dict | None:
    return next((m for m in mails() if m.get("id") == mail_id), None)


def mark(mail_id: str, feedback: str) -> None:
    """Note on the page what SES was told to say about the mail ("bounced", ...)."""
    with _lock:
        for mail in _mails:
            if mail.get("id") == mail_id:
                mail["feedback"] = feedback


# --- the page on the local CDN port -------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local mailbox (make dev only)</title>
<link rel="icon" href="data:,">
<style>
 body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #111827; }}
 .local {{ background: #fef3c7; color: #78350f; padding: .8rem 1.2rem; font-weight: 600; }}
 main {{ max-width: 720px; margin: 1.5rem auto; padding: 0 1rem; }}
 .mail {{ background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 1rem;
          margin: .8rem 0; overflow-wrap: anywhere; }}
 .code {{ font: 700 1.6rem/1.2 ui-monospace, monospace; letter-spacing: .15em; }}
 .meta {{ color: #6b7280; font-size: .9rem; }}
 .subject {{ font-size: 1.1rem; margin: .2rem 0; }}
 .text {{ font: inherit; white-space: pre-wrap; margin: 0; }}
 .reply {{ margin-top: .8rem; border-top: 1px solid #e5e7eb; padding-top: .6rem; }}
 .feedback {{ margin-top: .6rem; }}
 textarea, button {{ font: inherit; }}
</style></head>
<body>
<p class="local" role="note">LOCAL STAND-IN ONLY: no e-mail leaves this machine. This page
shows what Cognito and SES would have e-mailed (in AWS they land in the recipients' inboxes).</p>
<main><h1>Local mailbox</h1>{body}</main>
<script>
  // Fresh every 5 s, as a refresh would be, but never under a reply being typed.
  setInterval(function () {{
    var typing = Array.prototype.some.call(document.querySelectorAll('textarea'),
      function (t) {{ return t.value || t === document.activeElement; }});
    if (!typing) location.reload();
  }}, 5000);
</script>
</body></html>
"""


def _page_body() -> str:
    items = mails()
    if not items:
        return (
            "<p>No mail yet. Sign up in the panel and the confirmation code arrives here; "
            "the app's e-mails (quota warnings, e-mail auto messages) too.</p>"
        )
    return "".join(_article(mail) for mail in items)


def _article(mail: dict) -> str:
    fields = {k: html.escape(str(v)) for k, v in mail.items()}
    if "code" in mail:
        return (
            '<article class="mail" data-to="{to}"><p class="meta">To {to} · {at}</p>'
            '<p>{subject}</p><p>Your confirmation code is <span class="code">{code}</span></p>'
            "</article>".format(**fields)
        )
    fields.setdefault("from", "")
    return (
        '<article class="mail" data-to="{to}"><p class="meta">To {to} · from {from} · {at}'
        '</p><h2 class="subject">{subject}</h2><pre class="text">{text}</pre>'.format(**fields)
        + (_reply_form(fields) if "reply_to" in mail else "")
        + _feedback_form(fields)
        + "</article>"
    )


def _feedback_form(fields: dict) -> str:
    """Play SES's feedback about this mail: a permanent bounce, or a spam complaint
    (infra/local/mail_feedback.py sends it through an SNS event to the app)."""
    if "feedback" in fields:
        return '<p class="meta feedback">SES told the app: {feedback}</p>'.format(**fields)
    return (
        '<form class="feedback" method="post" action="/local-mailbox/feedback/{id}">'
        '<span class="meta">As SES would report it: </span>'
        '<button type="submit" name="kind" value="bounce">Bounce</button> '
        '<button type="submit" name="kind" value="complaint">Complain (spam)</button>'
        "</form>".format(**fields)
    )


def _reply_form(fields: dict) -> str:
    """Answer a continuity e-mail as the visitor's mail client would (infra/local/
    inbound_mail.py builds the MIME reply, S3 and the Lambda take it from there)."""
    return (
        '<form class="reply" method="post" action="/local-mailbox/reply/{id}">'
        '<p class="meta">Reply-To {reply_to}</p>'
        '<label for="reply-{id}">Reply as the visitor</label><br>'
        '<textarea id="reply-{id}" name="text" rows="3" cols="60" required></textarea><br>'
        '<button type="submit">Send reply</button></form>'.format(**fields)
    )


def routes():
    from aiohttp import web

    headers = {"Cache-Control": "no-store"}

    async def page(_request):
        return web.Response(
            text=_PAGE.format(body=_page_body()), content_type="text/html", headers=headers
        )

    async def listing(_request):
        return web.json_response({"mails": mails()}, headers=headers)

    return [
        web.get("/local-mailbox/", page),
        web.get("/local-mailbox/mails.json", listing),
    ]
