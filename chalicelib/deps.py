"""Lazily built, cached dependencies (nothing is created at import: moto must be active
before the first boto3 client exists, and a cold start should pay only for what it uses).

Tests replace any of them with ``override(name=value)`` and undo it with ``reset()``.
"""

from __future__ import annotations

from functools import lru_cache

import boto3

from chalicelib.auth.mail_tokens import MailTokens
from chalicelib.auth.operator_tokens import CognitoTokenVerifier, jwks_from_url
from chalicelib.auth.visitor_tokens import VisitorTokens
from chalicelib.config import get_settings
from chalicelib.mail import LogMailer, SesMailer
from chalicelib.realtime.fanout import Fanout
from chalicelib.realtime.sender import ApiGatewaySender
from chalicelib.webpush import PyWebPushSender, SqsPushQueue, VapidKey, vapid_key_from

_overrides: dict = {}


def override(**replacements) -> None:
    _overrides.update(replacements)


def reset() -> None:
    _overrides.clear()
    factories = (
        _cognito, _visitor_tokens, _operator_verifier, _fanout_for, _mailer, _stripe, _s3,
        _vapid_key, _web_push, _push_queue, _mail_tokens, _channel_queue,
    )  # fmt: skip
    for factory in factories:
        factory.cache_clear()


def reset_one(name: str) -> None:
    """Tests: forget one cached dependency (a setting it reads just changed)."""
    globals()[f"_{name}"].cache_clear()


@lru_cache(maxsize=1)
def _cognito():
    settings = get_settings()
    return boto3.client(
        "cognito-idp", region_name=settings.region, endpoint_url=settings.cognito_endpoint
    )


@lru_cache(maxsize=1)
def _visitor_tokens() -> VisitorTokens:
    return VisitorTokens(get_settings().visitor_token_secret)


@lru_cache(maxsize=1)
def _operator_verifier() -> CognitoTokenVerifier:
    settings = get_settings()
    return CognitoTokenVerifier(
        jwks_from_url(settings.cognito_jwks_url),
        issuer=settings.cognito_issuer,
        client_id=settings.user_pool_client_id,
    )


@lru_cache(maxsize=4)
def _fanout_for(management_url: str) -> Fanout:
    client = boto3.client(
        "apigatewaymanagementapi",
        region_name=get_settings().region,
        endpoint_url=management_url,
    )
    return Fanout(ApiGatewaySender(client))


@lru_cache(maxsize=1)
def _mailer():
    settings = get_settings()
    if not settings.mail_from:
        return LogMailer()
    return SesMailer(
        boto3.client("ses", region_name=settings.region),
        settings.mail_from,
        configuration_set=settings.mail_configuration_set,
    )


@lru_cache(maxsize=1)
def _s3():
    from botocore.config import Config  # lazily, for cold start: attachment calls only

    settings = get_settings()
    # SigV4 and the regional endpoint: presigned POSTs must be valid in every region.
    return boto3.client(
        "s3",
        region_name=settings.region,
        endpoint_url=settings.s3_endpoint,
        config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"})
        if not settings.s3_endpoint
        else Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@lru_cache(maxsize=1)
def _stripe():
    """Stripe's SDK, imported here and only here, on the first billing call: no other
    handler's cold start pays for it (bench/cold_start.py checks)."""
    import stripe

    settings = get_settings()
    if settings.billing_test_mode:
        # The local stand-in's fake Stripe (infra/local/fake_stripe.py): test mode.
        base = settings.stripe_api_base
        return stripe.StripeClient(
            "sk_test_local_stand_in",
            base_addresses={"api": base, "files": base, "connect": base},
            max_network_retries=0,
        )
    if not settings.stripe_secret_key:
        return None
    # A short timeout and one retry: a webhook or a plan change must finish well inside
    # the Lambda's 30 s (the SDK's default is 80 s, three times).
    return stripe.StripeClient(
        settings.stripe_secret_key,
        http_client=stripe.RequestsClient(timeout=8),
        max_network_retries=1,
    )


@lru_cache(maxsize=1)
def _vapid_key() -> VapidKey | None:
    """The VAPID key: from the environment (local stand-in), else from Secrets Manager,
    read once per container and only by the push routes and the notifier."""
    settings = get_settings()
    if settings.vapid_private_key:
        return vapid_key_from(settings.vapid_private_key)
    if not settings.vapid_secret_id:
        return None
    client = boto3.client("secretsmanager", region_name=settings.region)
    secret = client.get_secret_value(SecretId=settings.vapid_secret_id)["SecretString"]
    return vapid_key_from(secret)


@lru_cache(maxsize=1)
def _web_push():
    key = vapid_key()
    return PyWebPushSender(key, get_settings().vapid_subject) if key is not None else None


@lru_cache(maxsize=1)
def _push_queue():
    settings = get_settings()
    if not settings.push_queue_url:
        return None
    return SqsPushQueue(boto3.client("sqs", region_name=settings.region), settings.push_queue_url)


@lru_cache(maxsize=1)
def _channel_queue():
    settings = get_settings()
    if not settings.channel_queue_url:
        return None
    # The same small sender as the push queue's: one JSON body, DelaySeconds capped at 900.
    return SqsPushQueue(
        boto3.client("sqs", region_name=settings.region), settings.channel_queue_url
    )


def channel_queue():
    """Where replies to Telegram/Messenger chats wait for the sender, or None."""
    if "channel_queue" in _overrides:
        return _overrides["channel_queue"]
    return _channel_queue()


def vapid_key() -> VapidKey | None:
    """None: Web Push is not configured (GET /push/key says so)."""
    if "vapid_key" in _overrides:
        return _overrides["vapid_key"]
    return _vapid_key()


def web_push():
    """The push sender (``send(subscription, payload, ttl, urgency, topic)``), or None."""
    if "web_push" in _overrides:
        return _overrides["web_push"]
    return _web_push()


def push_queue():
    """The notifier's queue (``send(event, delay_seconds)``), or None: nothing queued."""
    if "push_queue" in _overrides:
        return _overrides["push_queue"]
    return _push_queue()


def mailer():
    return _overrides.get("mailer") or _mailer()


def stripe_client():
    """A ``stripe.StripeClient``, or None when billing is not configured."""
    if "stripe" in _overrides:
        return _overrides["stripe"]
    return _stripe()


def s3():
    return _overrides.get("s3") or _s3()


def cognito():
    return _overrides.get("cognito") or _cognito()


@lru_cache(maxsize=1)
def _mail_tokens() -> MailTokens | None:
    secret = get_settings().mail_token_secret
    return MailTokens(secret) if secret else None


def mail_tokens() -> MailTokens | None:
    """Reply and unsubscribe tokens (conversations by e-mail); None: not configured."""
    return _overrides.get("mail_tokens") or _mail_tokens()


def visitor_tokens() -> VisitorTokens:
    return _overrides.get("visitor_tokens") or _visitor_tokens()


def operator_verifier() -> CognitoTokenVerifier:
    return _overrides.get("operator_verifier") or _operator_verifier()


def fanout(event_endpoint: str | None = None) -> Fanout:
    """Fan-out through the configured WebSocket management endpoint, or (inside a
    WebSocket Lambda in AWS) the one the event came from."""
    if "fanout" in _overrides:
        return _overrides["fanout"]
    url = get_settings().websocket_management_url or event_endpoint
    if not url:
        raise RuntimeError("WEBSOCKET_MANAGEMENT_URL is not configured")
    return _fanout_for(url)
