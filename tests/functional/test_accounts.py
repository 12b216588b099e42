"""Operator accounts through the REST API on moto's Cognito."""

import pytest


def test_sign_up_creates_an_account_with_a_first_project_administered_by_the_user(platform):
    operator = platform.sign_up(project_name="Bakery")

    me = platform.get("/me", operator.auth).json_body

    assert me["user"]["email"] == operator.email
    assert me["projects"] == [
        {"id": operator.project_id, "name": "Bakery", "role": "administrator", "chat_admin": False}
    ]


def test_signing_up_twice_is_a_conflict(platform):
    operator = platform.sign_up()
    again = platform.post(
        "/auth/signup",
        {"email": operator.email, "password": "Passw0rd!long", "name": "X", "project_name": "Y"},
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": "Passw0rd!long", "name": "A", "project_name": "B"},
        {"email": "a@b.co", "password": "short", "name": "A", "project_name": "B"},
        {"email": "a@b.co", "password": "Passw0rd!long", "name": "", "project_name": "B"},
        {"email": "a@b.co", "password": "Passw0rd!long", "name": "A"},
    ],
)
def test_bad_sign_ups_are_400(platform, body):
    assert platform.post("/auth/signup", body).status_code == 400


def test_wrong_password_is_401(platform):
    operator = platform.sign_up()
    response = platform.post("/auth/login", {"email": operator.email, "password": "wrong-pass-1"})
    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "unauthorized"


def test_refresh_gives_a_working_access_token(platform):
    operator = platform.sign_up()
    login = platform.post(
        "/auth/login", {"email": operator.email, "password": "Passw0rd!long"}
    ).json_body

    refreshed = platform.post("/auth/refresh", {"refresh_token": login["refresh_token"]})

    assert refreshed.status_code == 200
    token = refreshed.json_body["access_token"]
    assert platform.get("/me", {"Authorization": f"Bearer {token}"}).status_code == 200


def test_log_out_revokes_the_refresh_token(platform):
    operator = platform.sign_up()
    login = platform.post(
        "/auth/login", {"email": operator.email, "password": "Passw0rd!long"}
    ).json_body
    auth = {"Authorization": f"Bearer {login['access_token']}"}

    assert platform.post("/auth/logout", {}, auth).status_code == 204

    refreshed = platform.post("/auth/refresh", {"refresh_token": login["refresh_token"]})
    assert refreshed.status_code == 401


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer not.a.jwt"])
def test_panel_routes_need_a_bearer_token(platform, header):
    headers = {"Authorization": header} if header else {}
    response = platform.get("/me", headers)
    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate") == "Bearer"


def test_the_id_token_is_not_accepted_as_an_access_token(platform):
    operator = platform.sign_up()
    login = platform.post(
        "/auth/login", {"email": operator.email, "password": "Passw0rd!long"}
    ).json_body
    response = platform.get("/me", {"Authorization": f"Bearer {login['id_token']}"})
    assert response.status_code == 401


class _ThrottledCognito:
    """Cognito answering as it does under brute-force protection (moto never does)."""

    def __init__(self, real, code):
        self._real, self._code = real, code

    def __getattr__(self, name):
        from botocore.exceptions import ClientError

        def refuse(**_):
            raise ClientError({"Error": {"Code": self._code, "Message": "x"}}, name)

        return refuse


@pytest.mark.parametrize(
    "code, status",
    [
        ("TooManyRequestsException", 429),
        ("TooManyFailedAttemptsException", 429),
        ("PasswordResetRequiredException", 403),
    ],
)
def test_cognito_refusals_are_clear_errors_not_500s(platform, aws, code, status):
    from chalicelib import deps

    deps.override(cognito=_ThrottledCognito(aws, code))
    response = platform.post("/auth/login", {"email": "a@b.co", "password": "whatever-123"})
    assert response.status_code == status
    assert response.json_body["error"]["message"]


def test_a_failed_project_write_undoes_the_sign_up(platform, monkeypatch):
    from pynamodb.transactions import TransactWrite

    def broken(self, *args, **kwargs):
        raise RuntimeError("DynamoDB unavailable")

    monkeypatch.setattr(TransactWrite, "__exit__", broken)
    body = {
        "email": "undo@example.com",
        "password": "Passw0rd!long",
        "name": "A",
        "project_name": "B",
    }
    assert platform.post("/auth/signup", body).status_code == 500
    monkeypatch.undo()

    # The e-mail is free again: signing up now works
    assert platform.post("/auth/signup", body).status_code == 201


def test_a_weak_password_is_refused_in_plain_words(platform):
    response = platform.post(
        "/auth/signup",
        {"email": "weak@example.com", "password": "short", "name": "W", "project_name": "P"},
    )

    assert response.status_code == 400
    assert "at least 10 characters" in response.json_body["error"]["message"]
