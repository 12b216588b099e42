"""moto's server as DynamoDB, Cognito, S3 and SES, and the environment that points the app
at it.

Nothing here imports ``chalicelib``: the environment must be set before the app's
modules read their settings.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets

import boto3
from moto.server import ThreadedMotoServer

from infra.local.atomic_dynamodb import make_moto_dynamodb_atomic
from infra.local.ports import Ports

REGION = "us-east-1"
LOCAL_ATTACHMENTS_BUCKET = "livechat-local-attachments"
# The app's sender (quota warnings, e-mail auto messages), verified in moto's SES as it
# must be in SES; what it sends shows in the local mailbox page (infra/local/mailbox.py).
LOCAL_MAIL_FROM = "live-chat@localhost.localdomain"
# The same policy as the CloudFormation pool (infra/cognito.py), so local mirrors AWS.
PASSWORD_POLICY = {
    "MinimumLength": 10,
    "RequireLowercase": True,
    "RequireUppercase": False,
    "RequireNumbers": True,
    "RequireSymbols": False,
}


def start_moto(ports: Ports) -> ThreadedMotoServer:
    make_moto_dynamodb_atomic()
    server = ThreadedMotoServer(ip_address=ports.host, port=ports.moto, verbose=False)
    server.start()
    return server


def use_local_credentials() -> None:
    """moto accepts any credentials; real ones must never reach it (or anything else)."""
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)


def create_user_pool(endpoint: str) -> tuple[str, str]:
    cognito = boto3.client("cognito-idp", region_name=REGION, endpoint_url=endpoint)
    pool = cognito.create_user_pool(
        PoolName="livechat-local",
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": PASSWORD_POLICY},
    )["UserPool"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="panel",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    return pool["Id"], client["ClientId"]


def local_plan_catalogue() -> str:
    """The shipped catalogue with price ids the fake Stripe knows (a deployment puts its
    real Stripe price ids in PLAN_CATALOGUE the same way)."""
    shipped = pathlib.Path(__file__).resolve().parents[2] / "chalicelib" / "plans.json"
    catalogue = json.loads(shipped.read_text())
    for plan_id, plan in catalogue["plans"].items():
        for interval, price in plan["prices"].items():
            price["stripe_price_id"] = f"price_local_{plan_id}_{interval}"
    return json.dumps(catalogue)


def configure_environment(ports: Ports, pool_id: str, client_id: str) -> dict:
    moto_url = ports.url(ports.moto)
    env = {
        "TABLE_PREFIX": "livechat-local-",
        "DYNAMODB_ENDPOINT": moto_url,
        "COGNITO_ENDPOINT": moto_url,
        "USER_POOL_ID": pool_id,
        "USER_POOL_CLIENT_ID": client_id,
        "COGNITO_JWKS_URL": f"{moto_url}/{pool_id}/.well-known/jwks.json",
        "WEBSOCKET_MANAGEMENT_URL": ports.url(ports.websocket),
        "WEBSOCKET_PUBLIC_URL": ports.url(ports.websocket, "ws"),
        "VISITOR_TOKEN_SECRET": secrets.token_urlsafe(48),
        # No e-mail leaves this machine: an invitee's temporary password is shown to the
        # inviter. Sign-up codes are not skipped: they land in the local mailbox
        # (infra/local/mailbox.py), and the newcomer types them in as in AWS.
        "NO_EMAIL_DELIVERY": "1",
        "AUTO_CONFIRM_SIGNUPS": "",  # whatever the caller's environment says (tests set it)
        "LOCAL_GEO_HEADERS": "1",  # X-Local-Viewer-Country/-City stand in for CloudFront
        # Billing in TEST MODE: no Stripe key, the fake Stripe on its own port, webhooks
        # signed locally with a secret made for this run.
        "STRIPE_SECRET_KEY": "",
        "STRIPE_API_BASE": ports.url(ports.stripe),
        "STRIPE_WEBHOOK_SECRET": "whsec_local_" + secrets.token_hex(16),
        "PLAN_CATALOGUE": local_plan_catalogue(),
        "BILLING_RETURN_URL": f"{ports.url(ports.cdn)}/panel/",
        "PANEL_URL": f"{ports.url(ports.cdn)}/panel/",  # links in escalation e-mails
        "MAIL_FROM": LOCAL_MAIL_FROM,
        # botocore's per-service endpoint variable: the app's SES client (deps.mailer)
        # talks to moto without a line of local-only code in the app.
        "AWS_ENDPOINT_URL_SES": moto_url,
        # Attachments: uploads go to moto's S3 (its server answers CORS for any origin),
        # and the local CDN serves the published ones, as CloudFront does in AWS.
        "S3_ENDPOINT": moto_url,
        "ATTACHMENTS_BUCKET": LOCAL_ATTACHMENTS_BUCKET,
        "ATTACHMENTS_URL": ports.url(ports.cdn),
        # Messenger channels: the fake Telegram and Graph APIs (infra/local/
        # fake_messengers.py), webhooks registered under the local REST API, and the
        # channels' tokens in moto's Secrets Manager (botocore's per-service variable).
        "TELEGRAM_API_BASE": ports.url(ports.messengers),
        "GRAPH_API_BASE": ports.url(ports.messengers) + "/v21.0",
        "PUBLIC_API_URL": ports.url(ports.api),
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_url,
    }
    os.environ.update(env)
    return env


def verify_mail_sender(endpoint: str) -> None:
    ses = boto3.client("ses", region_name=REGION, endpoint_url=endpoint)
    ses.verify_email_identity(EmailAddress=LOCAL_MAIL_FROM)


def create_attachments_bucket(endpoint: str) -> None:
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
    s3.create_bucket(Bucket=LOCAL_ATTACHMENTS_BUCKET)
