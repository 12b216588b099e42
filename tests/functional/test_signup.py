"""Signing up as the panel does: every bad field named at once, before anything is made;
then the e-mailed confirmation code (moto taught by infra/local/mailbox.py what Cognito
does with codes: moto alone accepts any)."""

import pytest

from chalicelib.config import get_settings
from chalicelib.errors import sentence
from chalicelib.services.accounts import PASSWORD_RULE
from infra.local import mailbox

GOOD = {
    "name": "Nora Newcomer",
    "email": "nora@example.com",
    "password": "First-pass-2026!",
    "project_name": "Nora's shop",
    "domain": "shop.example.com",
}


@pytest.fixture
def codes_by_mail(platform, monkeypatch):
    """Sign-ups wait for their code, as in AWS and on the local stack."""
    mailbox.install(announce=lambda mail: None)
    monkeypatch.setenv("AUTO_CONFIRM_SIGNUPS", "")
    get_settings.cache_clear()
    yield platform
    get_settings.cache_clear()


def _paths(response):
    return [e["path"] for e in response.json_body["error"]["errors"]]


def test_every_bad_field_is_named_and_nothing_is_created(platform):
    bad = {**GOOD, "name": " ", "email": "nora-at-example", "domain": "not a domain!"}
    response = platform.post("/auth/signup", bad)

    assert response.status_code == 400
    assert _paths(response) == ["name", "email", "domain"]
    assert "valid domain" in response.json_body["error"]["errors"][2]["message"]
    # A good e-mail with one bad field makes nothing: it signs up cleanly afterwards.
    only_domain = platform.post("/auth/signup", {**GOOD, "domain": "localhost:99999"})
    assert _paths(only_domain) == ["domain"]
    assert platform.post("/auth/signup", GOOD).status_code == 201


def test_a_missing_field_and_a_bad_domain_list_are_named(platform):
    body = {k: v for k, v in GOOD.items() if k not in ("project_name", "domain")}
    response = platform.post("/auth/signup", {**body, "allowed_domains": "shop.example.com"})

    assert response.status_code == 400
    assert _paths(response) == ["project_name", "allowed_domains"]


def test_a_weak_password_gets_the_pools_rule_beside_the_password(platform):
    response = platform.post("/auth/signup", {**GOOD, "password": "short"})

    assert response.status_code == 400
    # (in sentence case, as every error text leaves the API)
    expected = sentence(PASSWORD_RULE, field_led=False)
    assert response.json_body["error"]["errors"] == [{"path": "password", "message": expected}]


def test_a_taken_e_mail_is_a_conflict_beside_the_e_mail(platform):
    assert platform.post("/auth/signup", GOOD).status_code == 201
    again = platform.post("/auth/signup", {**GOOD, "project_name": "Second"})

    assert again.status_code == 409
    assert _paths(again) == ["email"]


def test_the_domain_typed_at_sign_up_is_the_projects_first_allowed_domain(platform):
    bare_body = {**GOOD, "email": "bare@example.com", "project_name": "No site yet"}
    del bare_body["domain"]
    bare_up = platform.post("/auth/signup", bare_body)  # no domain: allowed nowhere yet
    created = platform.post("/auth/signup", {**GOOD, "domain": "https://Shop.Example.com/cart"})
    login = platform.post("/auth/login", {"email": GOOD["email"], "password": GOOD["password"]})
    auth = {"Authorization": f"Bearer {login.json_body['access_token']}"}

    project = platform.get(f"/projects/{created.json_body['project']['id']}", auth).json_body
    assert project["project"]["allowed_domains"] == ["shop.example.com"]
    bare_login = platform.post(
        "/auth/login", {"email": "bare@example.com", "password": GOOD["password"]}
    )
    bare_auth = {"Authorization": f"Bearer {bare_login.json_body['access_token']}"}
    bare_id = bare_up.json_body["project"]["id"]
    bare = platform.get(f"/projects/{bare_id}", bare_auth).json_body
    assert bare["project"]["allowed_domains"] == []


def test_the_confirmation_code_mailed_at_sign_up_confirms_the_account(codes_by_mail):
    platform = codes_by_mail
    signed_up = platform.post("/auth/signup", GOOD)
    assert signed_up.status_code == 201
    assert signed_up.json_body["confirmed"] is False
    credentials = {"email": GOOD["email"], "password": GOOD["password"]}
    refused = platform.post("/auth/login", credentials)
    assert refused.status_code == 403

    wrong = platform.post("/auth/confirm", {"email": GOOD["email"], "code": "000000x"})
    assert wrong.status_code == 400
    assert "wrong or expired" in wrong.json_body["error"]["message"]
    assert platform.post("/auth/login", credentials).status_code == 403

    code = mailbox.latest_code(GOOD["email"])
    assert code and len(code) == 6
    confirmed = platform.post("/auth/confirm", {"email": GOOD["email"], "code": code})
    assert confirmed.status_code == 200
    assert platform.post("/auth/login", credentials).status_code == 200

    again = platform.post("/auth/confirm", {"email": GOOD["email"], "code": code})
    assert again.status_code == 400
    assert "already confirmed" in again.json_body["error"]["message"]


def test_a_resent_code_replaces_the_first_one(codes_by_mail):
    platform = codes_by_mail
    assert platform.post("/auth/signup", GOOD).status_code == 201
    first = mailbox.latest_code(GOOD["email"])
    mailed = len(mailbox.mails())

    resent = platform.post("/auth/resend-code", {"email": GOOD["email"]})
    assert resent.status_code == 200
    assert len(mailbox.mails()) == mailed + 1
    second = mailbox.latest_code(GOOD["email"])

    if second != first:  # one in a million draws the same code twice
        old = platform.post("/auth/confirm", {"email": GOOD["email"], "code": first})
        assert old.status_code == 400
    ok = platform.post("/auth/confirm", {"email": GOOD["email"], "code": second})
    assert ok.status_code == 200
    done = platform.post("/auth/resend-code", {"email": GOOD["email"]})
    assert done.status_code == 400
    assert "already confirmed" in done.json_body["error"]["message"]


@pytest.mark.parametrize("body", [{}, {"email": "nobody"}, {"email": "ghost@example.com"}])
def test_resending_to_no_account_is_a_400(codes_by_mail, body):
    response = codes_by_mail.post("/auth/resend-code", body)
    assert response.status_code == 400
