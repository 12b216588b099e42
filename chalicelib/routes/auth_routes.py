"""Operator accounts: /auth/* and /me."""

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.config import get_settings
from chalicelib.models.base import transaction_connection
from chalicelib.routes.http import bearer_token, body_of, json_errors, operator_of
from chalicelib.services import accounts, projects, unread
from chalicelib.services.validation import email, text_field

auth_routes = Blueprint(__name__)


def _request():
    return auth_routes.current_request


@auth_routes.route("/auth/signup", methods=["POST"])
@json_errors
def sign_up():
    fields = accounts.signup_form(body_of(_request()))
    settings = get_settings()
    result = accounts.sign_up(
        deps.cognito(),
        settings.user_pool_client_id,
        settings.user_pool_id,
        settings.auto_confirm_signups,
        transaction_connection(),
        now=utcnow(),
        **fields,
    )
    return Response(status_code=201, body=result)


@auth_routes.route("/auth/confirm", methods=["POST"])
@json_errors
def confirm():
    body = body_of(_request())
    accounts.confirm(
        deps.cognito(),
        get_settings().user_pool_client_id,
        email(body),
        text_field(body, "code", 16),
    )
    return {"confirmed": True}


@auth_routes.route("/auth/resend-code", methods=["POST"])
@json_errors
def resend_code():
    return accounts.resend_code(
        deps.cognito(), get_settings().user_pool_client_id, email(body_of(_request()))
    )


@auth_routes.route("/auth/login", methods=["POST"])
@json_errors
def log_in():
    body = body_of(_request())
    return accounts.log_in(
        deps.cognito(),
        get_settings().user_pool_client_id,
        email(body),
        text_field(body, "password", 256),
    )


@auth_routes.route("/auth/new-password", methods=["POST"])
@json_errors
def set_first_password():
    body = body_of(_request())
    return accounts.set_first_password(
        deps.cognito(),
        get_settings().user_pool_client_id,
        email(body),
        text_field(body, "session", 4096),
        text_field(body, "new_password", 256),
    )


@auth_routes.route("/auth/refresh", methods=["POST"])
@json_errors
def refresh():
    body = body_of(_request())
    return accounts.refresh(
        deps.cognito(),
        get_settings().user_pool_client_id,
        text_field(body, "refresh_token", 4096),
    )


@auth_routes.route("/auth/logout", methods=["POST"])
@json_errors
def log_out():
    request = _request()
    accounts.log_out(deps.cognito(), bearer_token(request), operator_of(request), deps.fanout())
    return Response(status_code=204, body="")


@auth_routes.route("/me", methods=["GET"])
@json_errors
def me():
    return projects.describe_operator(operator_of(_request()))


# Unread chats in each of the caller's projects: the switcher's counts, the title's total.
@auth_routes.route("/me/unread", methods=["GET"])
@json_errors
def unread_chats():
    return unread.unread_by_project(operator_of(_request()))


# The panel says which project it opened, so the next panel (any device) opens it too.
@auth_routes.route("/me/last-project", methods=["PUT"])
@json_errors
def open_project():
    request = _request()
    project_id = body_of(request).get("project_id")
    return projects.open_project(operator_of(request), project_id, utcnow())
