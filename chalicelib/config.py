"""Settings read from the environment once, lazily.

Every knob that differs between the local stand-in and AWS lives here, so nothing else
reads ``os.environ``. Secrets (the visitor-token key) come from the environment too; in
AWS the deploy sets them from the stack, locally ``infra/local`` generates them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    region: str
    table_prefix: str
    # Endpoint override for DynamoDB / Cognito (moto server locally); None in AWS.
    dynamodb_endpoint: str | None
    cognito_endpoint: str | None
    user_pool_id: str
    user_pool_client_id: str
    # Where the pool's public keys are published. Defaults to Cognito's own URL.
    cognito_jwks_url: str
    # Where postToConnection is sent (the WebSocket API's management endpoint).
    websocket_management_url: str | None
    # What the widget is told to connect to.
    websocket_public_url: str
    visitor_token_secret: str
    # Local stand-in only, where no e-mail leaves the machine: an invitee's temporary
    # password is returned to the inviter instead of being e-mailed by Cognito. (Sign-up
    # codes go to the local stand-in's mailbox page: infra/local/mailbox.py.)
    no_email_delivery: bool
    # Billing (services/billing.py). The plan catalogue (limits, prices, Stripe price ids)
    # is chalicelib/plans.json unless PLAN_CATALOGUE holds a whole replacement (JSON).
    plan_catalogue_json: str = ""
    stripe_secret_key: str = ""
    # Without it every webhook is refused: nothing unverified is ever processed.
    stripe_webhook_secret: str = ""
    # Local stand-in only: where the fake Stripe listens (billing's clearly marked test
    # mode). Empty in AWS, where the SDK talks to Stripe itself.
    stripe_api_base: str = ""
    # Where Stripe Checkout and the customer portal send the administrator back.
    billing_return_url: str = ""
    # The operator panel's address, for links in e-mails (a chat's link is
    # ``<panel_url>#/<project id>/inbox/<chat id>``): the traffic stack's PanelURL.
    panel_url: str = ""
    # The sender of quota warnings (an SES-verified address); empty: warnings are logged.
    mail_from: str = ""
    # Local stand-in only: X-Local-Viewer-Country/-City headers say where a test browser
    # is, as CloudFront's viewer headers do in AWS (where these are never trusted).
    local_geo_headers: bool = False
    # Auto-message attachments (services/attachments.py): the bucket browsers upload to
    # with presigned POSTs, and the public base its attachments/ prefix is served under
    # (the CDN). S3_ENDPOINT: moto's server locally; None in AWS.
    attachments_bucket: str = ""
    attachments_url: str = ""
    s3_endpoint: str | None = None
    # Tests only (those not about the e-mailed code): a sign-up is confirmed at once.
    # Neither AWS nor the local stack sets it: there the newcomer types the code.
    auto_confirm_signups: bool = False
    # Conversations that continue by e-mail (services/continuity.py, inbound_mail.py):
    # the HMAC key of reply and unsubscribe tokens (empty: no continuity e-mails), the
    # domain SES receives replies for (reply+<token>@<domain>), the bucket its receipt
    # rule writes them to, and the REST API's public URL (unsubscribe links).
    mail_token_secret: str = ""
    inbound_mail_domain: str = ""
    inbound_mail_bucket: str = ""
    public_api_url: str = ""
    # The SES configuration set every mail names, so its bounces and complaints reach
    # the mail_feedback Lambda (infra/mail_feedback.py); empty: none named.
    mail_configuration_set: str = ""
    max_message_chars: int = 4000
    # Messenger channels (services/channels.py): where the platforms' APIs are (the
    # local stack's fake, infra/local/fake_messengers.py, locally). Their webhooks are
    # registered under ``public_api_url`` too (empty: taken from the request).
    telegram_api_base: str = "https://api.telegram.org"
    graph_api_base: str = "https://graph.facebook.com/v21.0"
    # The queue a team reply to a Telegram/Messenger chat is put on for the sender
    # (services/channel_outbox.py, channel_sender.py). Empty: such replies are refused
    # (503) before anything is stored; the template and the local stack always set it.
    channel_queue_url: str = ""
    # API Gateway closes a WebSocket after 2 h; the record outlives it a little.
    connection_ttl_seconds: int = 2 * 3600 + 600
    # The widget's heartbeat (services/heartbeat_cadence.py): every ``heartbeat_seconds``,
    # or every ``heartbeat_watched_seconds`` while someone on the team has the Visitors
    # list open (read in the last ``visitors_watch_seconds``), so a proactive chat reaches
    # a widget without a socket that much sooner. Tests and the local stack shorten them.
    heartbeat_seconds: int = 90
    heartbeat_watched_seconds: int = 15
    visitors_watch_seconds: int = 30
    # Web Push (services/push_subscriptions.py, services/notify.py). The queue the
    # message path puts one event on after fan-out (empty: no pushes, nothing queued).
    push_queue_url: str = ""
    # The VAPID key: in AWS ``VAPID_SECRET_ID`` names a Secrets Manager secret, read on
    # first use by the push routes and the notifier only (chalicelib/vapid.py); locally
    # ``VAPID_PRIVATE_KEY`` holds the key itself (base64url, 32 bytes), made per run.
    vapid_secret_id: str = ""
    vapid_private_key: str = ""
    # The VAPID ``sub`` claim: how a push service reaches the operator of this server.
    vapid_subject: str = "mailto:push@example.invalid"
    # Local stand-in only: the fake push service's http origin, the one endpoint origin
    # allowed without https (every real push service is https).
    push_http_origin: str = ""

    @property
    def billing_test_mode(self) -> bool:
        """No Stripe key but a local fake Stripe: the whole flow works, nobody pays."""
        return not self.stripe_secret_key and bool(self.stripe_api_base)

    @property
    def cognito_issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in {"1", "true", "yes"}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    pool_id = env.get("USER_POOL_ID", "")
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
    return Settings(
        region=region,
        table_prefix=env.get("TABLE_PREFIX", "livechat-dev-"),
        dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT") or None,
        cognito_endpoint=env.get("COGNITO_ENDPOINT") or None,
        user_pool_id=pool_id,
        user_pool_client_id=env.get("USER_POOL_CLIENT_ID", ""),
        cognito_jwks_url=env.get("COGNITO_JWKS_URL") or f"{issuer}/.well-known/jwks.json",
        websocket_management_url=env.get("WEBSOCKET_MANAGEMENT_URL") or None,
        websocket_public_url=env.get("WEBSOCKET_PUBLIC_URL", ""),
        visitor_token_secret=env.get("VISITOR_TOKEN_SECRET", ""),
        no_email_delivery=_flag("NO_EMAIL_DELIVERY"),
        auto_confirm_signups=_flag("AUTO_CONFIRM_SIGNUPS"),
        plan_catalogue_json=env.get("PLAN_CATALOGUE", ""),
        stripe_secret_key=env.get("STRIPE_SECRET_KEY", ""),
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", ""),
        stripe_api_base=env.get("STRIPE_API_BASE", ""),
        billing_return_url=env.get("BILLING_RETURN_URL", ""),
        panel_url=env.get("PANEL_URL", ""),
        mail_from=env.get("MAIL_FROM", ""),
        local_geo_headers=_flag("LOCAL_GEO_HEADERS"),
        attachments_bucket=env.get("ATTACHMENTS_BUCKET", ""),
        attachments_url=env.get("ATTACHMENTS_URL", ""),
        s3_endpoint=env.get("S3_ENDPOINT") or None,
        telegram_api_base=env.get("TELEGRAM_API_BASE") or "https://api.telegram.org",
        graph_api_base=env.get("GRAPH_API_BASE") or "https://graph.facebook.com/v21.0",
        mail_token_secret=env.get("MAIL_TOKEN_SECRET", ""),
        inbound_mail_domain=env.get("INBOUND_MAIL_DOMAIN", ""),
        inbound_mail_bucket=env.get("INBOUND_MAIL_BUCKET", ""),
        public_api_url=env.get("PUBLIC_API_URL", "").rstrip("/"),
        mail_configuration_set=env.get("MAIL_CONFIGURATION_SET", ""),
        heartbeat_seconds=int(env.get("HEARTBEAT_SECONDS") or 90),
        heartbeat_watched_seconds=int(env.get("HEARTBEAT_WATCHED_SECONDS") or 15),
        visitors_watch_seconds=int(env.get("VISITORS_WATCH_SECONDS") or 30),
        push_queue_url=env.get("PUSH_QUEUE_URL", ""),
        channel_queue_url=env.get("CHANNEL_QUEUE_URL", ""),
        vapid_secret_id=env.get("VAPID_SECRET_ID", ""),
        vapid_private_key=env.get("VAPID_PRIVATE_KEY", ""),
        vapid_subject=env.get("VAPID_SUBJECT") or "mailto:push@example.invalid",
        push_http_origin=env.get("PUSH_HTTP_ORIGIN", ""),
    )
