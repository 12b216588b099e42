"""E-mail to administrators (quota warnings), through SES.

Built lazily by ``deps.mailer()``; tests read what was sent from moto's SES. Without a
configured sender (the local stand-in) mail is only logged, so nothing leaves the
machine.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class SesMailer:
    def __init__(self, client, sender: str, configuration_set: str = ""):
        self._client = client
        self._sender = sender
        # Named on every send: SES then publishes its bounces and complaints to the
        # stack's topic (infra/mail_feedback.py, services/mail_suppression.py).
        self._through = {"ConfigurationSetName": configuration_set} if configuration_set else {}

    def send(self, to: str, subject: str, text: str) -> None:
        self._client.send_email(
            Source=self._sender,
            Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}},
            **self._through,
        )

    def send_message(self, message, display_name: str | None = None) -> None:
        """A whole ``email.message.EmailMessage`` (headers of our own: Reply-To,
        List-Unsubscribe); its From is set here: the verified sender, under
        ``display_name`` (the project's name)."""
        del message["From"]
        message["From"] = _with_name(display_name, self._sender)
        self._client.send_raw_email(
            Source=self._sender,
            Destinations=[message["To"]],
            RawMessage={"Data": message.as_bytes()},
            **self._through,
        )


def _with_name(name: str | None, address: str) -> str:
    from email.headerregistry import Address

    if not name:
        return address
    user, _, domain = address.rpartition("@")
    return str(Address(display_name=name, username=user, domain=domain))


class LogMailer:
    """Keeps what it would have sent (the local stand-in shows it in its log)."""

    def __init__(self):
        self.sent: list[dict] = []

    def send(self, to: str, subject: str, text: str) -> None:
        self.sent.append({"to": to, "subject": subject, "text": text})
        log.warning("e-mail (not sent: no MAIL_FROM) to %s: %s\n%s", to, subject, text)

    def send_message(self, message, display_name: str | None = None) -> None:
        self.sent.append({"to": message["To"], "subject": message["Subject"], "message": message})
        log.warning("e-mail (not sent: no MAIL_FROM) to %s: %s", message["To"], message["Subject"])
