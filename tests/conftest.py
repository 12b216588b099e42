"""Shared fixtures: moto for DynamoDB and Cognito (in-process), settings for tests,
and a recording sender standing in for postToConnection.

moto's apigatewaymanagementapi fake concatenates posts and never answers 410, so
in-process tests read frames through ``RecordingSender``; the real HTTP path, 410s
included, is covered by the local gateway (tests/functional/test_local_gateway.py and
the browser tests).
"""

import json
import os
import pathlib
import sys


def catalogue_json(**free_limits) -> str:
    """The shipped plan catalogue, with Free's limits changed (JSON, for PLAN_CATALOGUE).
    The workflow tests build teams bigger than Free's; quota tests set tiny limits."""
    shipped = pathlib.Path(__file__).parent.parent / "chalicelib" / "plans.json"
    catalogue = json.loads(shipped.read_text())
    catalogue["plans"]["free"]["limits"].update(free_limits)
    # A deployment sets its Stripe price ids here; the fake Stripe knows these.
    for plan_id, plan in catalogue["plans"].items():
        for interval, price in plan["prices"].items():
            price["stripe_price_id"] = f"price_{plan_id}_{interval}"
    return json.dumps(catalogue)


os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TABLE_PREFIX": "test-",
        "VISITOR_TOKEN_SECRET": "test-secret-0123456789-0123456789-0123456789",
        "NO_EMAIL_DELIVERY": "1",
        # Sign-ups confirmed at once, but in the tests of the e-mailed code (test_signup).
        "AUTO_CONFIRM_SIGNUPS": "1",
        # Quota warnings go through moto's SES; tests read them from its backend.
        "MAIL_FROM": "billing@livechat.example",
        "PLAN_CATALOGUE": catalogue_json(team_members=50, scenarios=200),
        "WEBSOCKET_PUBLIC_URL": "wss://ws.example.test/api",
        "WEBSOCKET_MANAGEMENT_URL": "https://ws.example.test/api",
        "ATTACHMENTS_BUCKET": "test-attachments",
        "ATTACHMENTS_URL": "https://cdn.example.test",
        # Web Push's key (a test key; AWS reads its own from Secrets Manager). No
        # PUSH_QUEUE_URL: nothing is queued but in the tests that ask for it.
        "VAPID_PRIVATE_KEY": "OkXCZFh3zLfEtlV_NqBqSQo8E9TVF-UQqaUfEVOWeGs",
    }
)
os.environ.pop("DYNAMODB_ENDPOINT", None)
os.environ.pop("COGNITO_ENDPOINT", None)

import boto3  # noqa: E402
import moto  # noqa: E402  (before any boto3 session exists)
import pytest  # noqa: E402
from moto.utilities.utils import load_resource  # noqa: E402

from chalicelib import deps  # noqa: E402
from chalicelib.auth.operator_tokens import CognitoTokenVerifier  # noqa: E402
from chalicelib.config import get_settings  # noqa: E402
from chalicelib.models import create_all_tables  # noqa: E402
from chalicelib.realtime.fanout import Fanout  # noqa: E402
from chalicelib.services import channel_lookup, messenger_quota  # noqa: E402
from infra.local.atomic_dynamodb import make_moto_dynamodb_atomic  # noqa: E402

# moto's transactions are not atomic across threads; DynamoDB's are (see the module).
make_moto_dynamodb_atomic()


def _share_what_every_test_loads_again() -> None:
    """Speed only; no behaviour changes. Each ``mock_aws`` gives boto3 a new default
    session, and each new botocore session parses the service models again (~12 ms a
    file, ten files a test); one loader, which caches what it parsed, serves them all.
    And every moto user pool imports the same bundled RSA key (~0.1 s each): import it
    once."""
    import botocore.loaders
    import botocore.session
    from joserfc import jwk
    from moto.cognitoidp import models as cognito_models

    loaders: dict = {}

    def shared_loader(search_path_string=None):
        if search_path_string not in loaders:
            loaders[search_path_string] = botocore.loaders.create_loader(search_path_string)
        return loaders[search_path_string]

    botocore.session.create_loader = shared_loader

    keys: dict = {}

    class _RSAKey:
        @staticmethod
        def import_key(data, *args, **kwargs):
            cache_key = json.dumps([data, args, kwargs], sort_keys=True, default=str)
            if cache_key not in keys:
                keys[cache_key] = jwk.RSAKey.import_key(data, *args, **kwargs)
            return keys[cache_key]

    class _Jwk:
        RSAKey = _RSAKey

        def __getattr__(self, name):
            return getattr(jwk, name)

    cognito_models.jwk = _Jwk()


_share_what_every_test_loads_again()


class RecordingSender:
    """Records each postToConnection; connections listed in ``gone`` answer 410."""

    def __init__(self):
        self.posts: list[tuple[str, dict]] = []
        self.gone: set[str] = set()
        self.failing: set[str] = set()  # answer with an error other than 410
        self.closed: list[str] = []

    def post(self, connection_id: str, frame: dict) -> bool:
        if connection_id in self.gone:
            return False
        if connection_id in self.failing:
            raise RuntimeError("ForbiddenException (simulated)")
        self.posts.append((connection_id, frame))
        return True

    def close(self, connection_id: str) -> None:
        self.closed.append(connection_id)
        self.gone.add(connection_id)

    def frames_for(self, connection_id: str) -> list[dict]:
        return [frame for cid, frame in self.posts if cid == connection_id]

    def clear(self):
        self.posts.clear()


def create_user_pool(cognito) -> tuple[str, str]:
    pool = cognito.create_user_pool(
        PoolName="livechat-test",
        UsernameAttributes=[],
        AutoVerifiedAttributes=["email"],
    )["UserPool"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="panel",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    return pool["Id"], client["ClientId"]


@pytest.fixture
def eager_thread_switching():
    """Switch threads every few microseconds, so races in concurrency tests really race
    (at the default 5 ms a short test's threads mostly run one after another)."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


@pytest.fixture
def sender():
    return RecordingSender()


@pytest.fixture
def aws(sender, monkeypatch):
    with moto.mock_aws():
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool_id, client_id = create_user_pool(cognito)
        monkeypatch.setenv("USER_POOL_ID", pool_id)
        monkeypatch.setenv("USER_POOL_CLIENT_ID", client_id)
        get_settings.cache_clear()
        create_all_tables()
        boto3.client("s3", region_name="us-east-1").create_bucket(
            Bucket=os.environ["ATTACHMENTS_BUCKET"]
        )
        boto3.client("ses", region_name="us-east-1").verify_email_identity(
            EmailAddress=os.environ["MAIL_FROM"]
        )
        settings = get_settings()
        jwks = load_resource("cognitoidp/resources/jwks-public.json")
        deps.reset()
        channel_lookup.reset()
        messenger_quota.reset()
        deps.override(
            cognito=cognito,
            operator_verifier=CognitoTokenVerifier(
                lambda: jwks, settings.cognito_issuer, client_id
            ),
            fanout=Fanout(sender),
        )
        yield cognito
        deps.reset()
        get_settings.cache_clear()
