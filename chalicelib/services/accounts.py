"""Operator accounts on the Cognito user pool: sign up, confirm, log in, refresh, log out.

Signing up also creates the account's first project with the new user as its
administrator. The Cognito client is handed in (moto's locally and in tests).
"""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import ClientError
from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

from chalicelib import ids
from chalicelib.auth.identities import OperatorIdentity
from chalicelib.errors import (
    BadRequest,
    Conflict,
    DomainError,
    Forbidden,
    RateLimited,
    Unauthorized,
)
from chalicelib.models.project import ROLE_ADMINISTRATOR, MemberModel, ProjectModel
from chalicelib.realtime import connections
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import origins, quotas
from chalicelib.services.validation import email as email_field
from chalicelib.services.validation import text_field

# Cognito's own wording is neither friendly nor spelled right ("does not confirm to the
# configured password policy"); the pool's policy is infra/template's and local's.
PASSWORD_RULE = "choose a password of at least 10 characters with a number and a lower-case letter"


def _field_error(path: str, message: str, error=BadRequest) -> DomainError:
    """An error the panel shows beside one field of its form (``errors[].path``)."""
    return error(message, errors=[{"path": path, "message": message}])


def _password(body: dict) -> str:
    """The pool's policy (infra/template.py PASSWORD_POLICY), checked here too so the form
    names a weak password together with every other bad field; Cognito checks it again."""
    password = text_field(body, "password", 256)
    if len(password) < 10 or not any(c.isdigit() for c in password) or password == password.upper():
        raise BadRequest(PASSWORD_RULE)
    return password


def signup_form(body: dict) -> dict:
    """The sign-up's fields, checked all at once so a form can show every problem beside
    its field: 400 with ``errors: [{path, message}]``, before anything is created. The
    password's rules are the pool's (Cognito checks them; see ``PASSWORD_RULE``)."""
    fields, errors = {}, []
    checks = {
        "name": lambda: text_field(body, "name", 100).strip(),
        "email": lambda: email_field(body),
        "password": lambda: _password(body),
        "project_name": lambda: text_field(body, "project_name", 100).strip(),
        # The site's domain: the widget runs there from the first page view.
        "allowed_domains": lambda: origins.signup_domains(body),
    }
    for name, check in checks.items():
        try:
            fields[name] = check()
        except DomainError as problem:
            path = "domain" if name == "allowed_domains" and "domain" in body else name
            errors.append({"path": path, "message": problem.message})
    if errors:
        raise BadRequest(errors[0]["message"], errors=errors)
    return fields


def _cognito_error(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


_THROTTLED = {
    "TooManyRequestsException",
    "TooManyFailedAttemptsException",
    "LimitExceededException",
}


def _raise_common(error: ClientError) -> None:
    """Cognito errors any call may return, as domain errors; anything else propagates."""
    code = _cognito_error(error)
    if code in _THROTTLED:
        raise RateLimited("too many attempts; wait a minute and try again") from error
    if code == "PasswordResetRequiredException":
        raise Forbidden("a password reset is required for this account") from error
    raise error


def sign_up(
    cognito,
    client_id: str,
    pool_id: str,
    auto_confirm: bool,
    db: Connection,
    email: str,
    password: str,
    name: str,
    project_name: str,
    now: datetime,
    allowed_domains: list[str] | None = None,
) -> dict:
    user_id, confirmed = _cognito_sign_up(
        cognito, client_id, pool_id, auto_confirm, email, password, name
    )

    project = quotas.start_free(
        ProjectModel(
            project_id=ids.new_project_id(),
            name=project_name,
            owner_id=user_id,
            created_at=now,
            allowed_domains=allowed_domains or None,
        ),
        now,
    )
    member = MemberModel(
        project_id=project.project_id,
        user_id=user_id,
        email=email,
        name=name,
        role=ROLE_ADMINISTRATOR,
        project_name=project_name,
        created_at=now,
    )
    try:
        with TransactWrite(connection=db) as transaction:
            transaction.save(project, condition=ProjectModel.project_id.does_not_exist())
            transaction.save(member)
    except Exception:
        # No account without its project: undo the sign-up so the e-mail can sign up again.
        cognito.admin_delete_user(UserPoolId=pool_id, Username=email)
        raise
    return {
        "user": {"id": user_id, "email": email, "name": name},
        "project": {"id": project.project_id, "name": project.name},
        "confirmed": confirmed,
    }


def _cognito_sign_up(
    cognito, client_id: str, pool_id: str, auto_confirm: bool, email: str, password: str, name: str
) -> tuple[str, bool]:
    """The Cognito account: its user id, and whether it is confirmed already."""
    try:
        result = cognito.sign_up(
            ClientId=client_id,
            Username=email,
            Password=password,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "name", "Value": name},
            ],
        )
    except ClientError as error:
        code = _cognito_error(error)
        if code == "UsernameExistsException":
            raise _field_error(
                "email", "an account with this e-mail already exists: log in instead", Conflict
            ) from error
        if code == "InvalidPasswordException":
            raise _field_error("password", PASSWORD_RULE) from error
        if code == "InvalidParameterException":
            raise BadRequest(error.response["Error"].get("Message", code)) from error
        _raise_common(error)
    confirmed = bool(result.get("UserConfirmed"))
    if auto_confirm and not confirmed:
        cognito.admin_confirm_sign_up(UserPoolId=pool_id, Username=email)
        confirmed = True
    return result["UserSub"], confirmed


def confirm(cognito, client_id: str, email: str, code: str) -> None:
    try:
        cognito.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)
    except ClientError as error:
        if _cognito_error(error) in {"CodeMismatchException", "ExpiredCodeException"}:
            raise BadRequest("the confirmation code is wrong or expired") from error
        if _cognito_error(error) == "UserNotFoundException":
            raise BadRequest("no such account") from error
        if _cognito_error(error) == "NotAuthorizedException":
            raise BadRequest("this account is already confirmed") from error
        _raise_common(error)


def resend_code(cognito, client_id: str, email: str) -> dict:
    """Send the sign-up's confirmation code again (Cognito mails a new one)."""
    try:
        cognito.resend_confirmation_code(ClientId=client_id, Username=email)
    except ClientError as error:
        code = _cognito_error(error)
        if code == "UserNotFoundException":
            raise BadRequest("no such account") from error
        if code == "InvalidParameterException":
            # Cognito's answer for an account that is confirmed already.
            raise BadRequest("this account is already confirmed: log in") from error
        _raise_common(error)
    return {"sent": True}


def _tokens(result: dict) -> dict:
    auth = result["AuthenticationResult"]
    tokens = {
        "access_token": auth["AccessToken"],
        "id_token": auth["IdToken"],
        "expires_in": auth.get("ExpiresIn", 3600),
    }
    if "RefreshToken" in auth:
        tokens["refresh_token"] = auth["RefreshToken"]
    return tokens


def log_in(cognito, client_id: str, email: str, password: str) -> dict:
    try:
        result = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except ClientError as error:
        code = _cognito_error(error)
        if code in {"NotAuthorizedException", "UserNotFoundException"}:
            raise Unauthorized("wrong e-mail or password") from error
        if code == "UserNotConfirmedException":
            raise Forbidden("confirm your e-mail address first") from error
        _raise_common(error)
    if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        # An invited member's first sign-in with the temporary password.
        error = Forbidden("choose a new password", session=result["Session"])
        error.code = "new_password_required"
        raise error
    if "AuthenticationResult" not in result:
        raise Forbidden(f"sign-in needs {result.get('ChallengeName', 'another step')}")
    return _tokens(result)


def set_first_password(cognito, client_id: str, email: str, session: str, password: str) -> dict:
    """Answer the NEW_PASSWORD_REQUIRED challenge: the invitee's own password, and tokens."""
    try:
        result = cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": password},
        )
    except ClientError as error:
        code = _cognito_error(error)
        if code == "InvalidPasswordException":
            raise BadRequest(PASSWORD_RULE) from error
        if code == "InvalidParameterException":
            raise BadRequest(error.response["Error"].get("Message", code)) from error
        if code in {"NotAuthorizedException", "CodeMismatchException", "ExpiredCodeException"}:
            raise Unauthorized("the sign-in session expired; log in again") from error
        _raise_common(error)
    return _tokens(result)


def refresh(cognito, client_id: str, refresh_token: str) -> dict:
    try:
        result = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
    except ClientError as error:
        if _cognito_error(error) == "NotAuthorizedException":
            raise Unauthorized("the refresh token is invalid or revoked") from error
        _raise_common(error)
    return _tokens(result)


def log_out(cognito, access_token: str, operator: OperatorIdentity, fanout: Fanout) -> None:
    """Revoke the user's refresh tokens and close their panel sockets. Access tokens
    already issued stay valid for REST until they expire (an hour): the price of
    verifying them without calling Cognito on every request."""
    try:
        cognito.global_sign_out(AccessToken=access_token)
    except ClientError as error:
        if _cognito_error(error) == "NotAuthorizedException":
            raise Unauthorized("already signed out") from error
        _raise_common(error)
    for membership in MemberModel.by_user.query(operator.user_id):
        for connection_id in connections.drop_operator(membership.project_id, operator.user_id):
            fanout.close(connection_id)
