"""Token checks: visitor tokens we sign, Cognito access tokens we verify against the JWKS."""

import time

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from chalicelib.auth.operator_tokens import CognitoTokenVerifier
from chalicelib.auth.visitor_tokens import RENEWABLE_FOR_SECONDS, VisitorTokens
from chalicelib.errors import Unauthorized
from tests.conftest import create_user_pool

SECRET = "s" * 40


class Clock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def test_a_visitor_token_round_trips_project_and_visitor():
    tokens = VisitorTokens(SECRET)
    identity = tokens.verify(tokens.issue("p_1", "v_1"))
    assert (identity.project_id, identity.visitor_id) == ("p_1", "v_1")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-2] + ("xx" if not t.endswith("xx") else "yy"),  # signature
        lambda t: VisitorTokens("o" * 40).issue("p_1", "v_1"),  # another key
        lambda t: jwt.encode({"pid": "p_1", "sub": "v_1", "iat": 1, "exp": 9e9}, SECRET),  # no typ
        lambda t: "",
        lambda t: None,
    ],
)
def test_forged_visitor_tokens_are_refused(mutate):
    tokens = VisitorTokens(SECRET)
    with pytest.raises(Unauthorized):
        tokens.verify(mutate(tokens.issue("p_1", "v_1")))


def test_an_expired_visitor_token_still_renews_within_the_window_but_not_after():
    clock = Clock()
    tokens = VisitorTokens(SECRET, clock=clock)
    token = tokens.issue("p_1", "v_1")
    clock.now += 60 * 24 * 3600  # two months later

    with pytest.raises(Unauthorized):
        tokens.verify(token)
    assert tokens.verify_for_renewal(token).visitor_id == "v_1"

    clock.now += RENEWABLE_FOR_SECONDS
    with pytest.raises(Unauthorized):
        tokens.verify_for_renewal(token)


def test_a_short_secret_is_refused_at_start_up():
    with pytest.raises(ValueError):
        VisitorTokens("short")


@pytest.fixture
def pool():
    import moto

    with moto.mock_aws():
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool_id, client_id = create_user_pool(cognito)
        cognito.sign_up(ClientId=client_id, Username="a@example.com", Password="Passw0rd!long")
        cognito.admin_confirm_sign_up(UserPoolId=pool_id, Username="a@example.com")
        auth = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "a@example.com", "PASSWORD": "Passw0rd!long"},
        )["AuthenticationResult"]
        issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"
        yield {
            "issuer": issuer,
            "client_id": client_id,
            "auth": auth,
            "jwks": load_resource("cognitoidp/resources/jwks-public.json"),
        }


def _verifier(pool, **overrides):
    options = {"issuer": pool["issuer"], "client_id": pool["client_id"]}
    options.update(overrides)
    return CognitoTokenVerifier(lambda: pool["jwks"], **options)


def test_a_cognito_access_token_verifies(pool):
    identity = _verifier(pool).verify(pool["auth"]["AccessToken"])
    assert identity.username == "a@example.com" and identity.user_id


@pytest.mark.parametrize(
    "overrides",
    [
        {"issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"},
        {"client_id": "another-client"},
    ],
)
def test_tokens_for_another_pool_or_client_are_refused(pool, overrides):
    with pytest.raises(Unauthorized):
        _verifier(pool, **overrides).verify(pool["auth"]["AccessToken"])


def test_an_id_token_is_not_an_access_token(pool):
    with pytest.raises(Unauthorized):
        _verifier(pool).verify(pool["auth"]["IdToken"])


def test_an_expired_access_token_is_refused(pool):
    clock = Clock(time.time() + 2 * 3600)
    verifier = CognitoTokenVerifier(
        lambda: pool["jwks"], pool["issuer"], pool["client_id"], clock=clock
    )
    with pytest.raises(Unauthorized):
        verifier.verify(pool["auth"]["AccessToken"])


def test_a_token_signed_by_another_key_with_the_same_kid_is_refused(pool):
    claims = jwt.decode(pool["auth"]["AccessToken"], options={"verify_signature": False})
    attacker_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, attacker_key, algorithm="RS256", headers={"kid": "dummy"})
    with pytest.raises(Unauthorized):
        _verifier(pool).verify(forged)


def test_alg_none_and_hs256_confusion_are_refused(pool):
    claims = jwt.decode(pool["auth"]["AccessToken"], options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "dummy"})
    with pytest.raises(Unauthorized):
        _verifier(pool).verify(unsigned)


def test_the_jwks_is_fetched_once_and_cached(pool):
    fetches = []

    def source():
        fetches.append(1)
        return pool["jwks"]

    verifier = CognitoTokenVerifier(source, pool["issuer"], pool["client_id"])
    verifier.verify(pool["auth"]["AccessToken"])
    verifier.verify(pool["auth"]["AccessToken"])
    assert len(fetches) == 1
    claims = jwt.decode(pool["auth"]["AccessToken"], options={"verify_signature": False})
    other_kid = jwt.encode(claims, "k" * 32, algorithm="HS256", headers={"kid": "rotated"})
    with pytest.raises(Unauthorized):
        verifier.verify(other_kid)
    assert len(fetches) == 1  # refetches are rate-limited (next test)


def test_junk_tokens_do_not_make_us_refetch_the_keys_each_time(pool):
    fetches = []

    def source():
        fetches.append(1)
        return pool["jwks"]

    clock = Clock(time.time())
    verifier = CognitoTokenVerifier(source, pool["issuer"], pool["client_id"], clock=clock)
    claims = jwt.decode(pool["auth"]["AccessToken"], options={"verify_signature": False})
    for n in range(20):
        junk = jwt.encode(claims, "k" * 32, algorithm="HS256", headers={"kid": f"junk{n}"})
        with pytest.raises(Unauthorized):
            verifier.verify(junk)
    no_kid = jwt.encode(claims, "k" * 32, algorithm="HS256")
    with pytest.raises(Unauthorized):
        verifier.verify(no_kid)
    assert len(fetches) == 1
    clock.now += 301  # a real rotation is picked up after the interval
    with pytest.raises(Unauthorized):
        verifier.verify(junk)
    assert len(fetches) == 2


def test_unreachable_keys_are_a_temporary_error_not_a_crash(pool):
    from chalicelib.errors import TemporarilyUnavailable

    def unreachable():
        raise OSError("connection refused")

    verifier = CognitoTokenVerifier(unreachable, pool["issuer"], pool["client_id"])
    with pytest.raises(TemporarilyUnavailable):
        verifier.verify(pool["auth"]["AccessToken"])
