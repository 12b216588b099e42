"""Projects and their teams: create, view, rename, switch chats; invite, change, remove."""

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.config import get_settings
from chalicelib.models.base import transaction_connection
from chalicelib.routes.http import body_of, json_errors, operator_of
from chalicelib.services import availability, identity, origins, projects, team
from chalicelib.services.validation import email, text_field

team_routes = Blueprint(__name__)


def _member(project_id):
    return projects.require_member(operator_of(team_routes.current_request), project_id)


@team_routes.route("/projects", methods=["POST"])
@json_errors
def create_project():
    request = team_routes.current_request
    body = body_of(request)
    created = projects.create_project(
        operator_of(request),
        transaction_connection(),
        text_field(body, "name", 100).strip(),
        utcnow(),
        origins.signup_domains(body),
    )
    return Response(status_code=201, body={"project": created})


@team_routes.route("/projects/{project_id}", methods=["GET"])
@json_errors
def view_project(project_id):
    return {"project": projects.view_project(_member(project_id))}


@team_routes.route("/projects/{project_id}", methods=["PATCH"])
@json_errors
def update_project(project_id):
    member = _member(project_id)
    return {"project": projects.update_project(member, body_of(team_routes.current_request))}


# The Install page: allowed domains, whether the widget has been seen, refused calls.
@team_routes.route("/projects/{project_id}/install", methods=["GET"])
@json_errors
def install_status(project_id):
    return origins.install_status(_member(project_id), utcnow())


@team_routes.route("/projects/{project_id}/identity-secret", methods=["GET"])
@json_errors
def identity_secret(project_id):
    return identity.secret_for(_member(project_id))


@team_routes.route("/projects/{project_id}/members", methods=["GET"])
@json_errors
def list_members(project_id):
    return {"members": team.list_members(_member(project_id))}


@team_routes.route("/projects/{project_id}/members", methods=["POST"])
@json_errors
def invite_member(project_id):
    member = _member(project_id)
    body = body_of(team_routes.current_request)
    settings = get_settings()
    invited = team.invite(
        member,
        deps.cognito(),
        settings.user_pool_id,
        settings.no_email_delivery,
        email(body),
        text_field(body, "name", 100).strip(),
        body.get("role"),
        utcnow(),
    )
    return Response(status_code=201, body=invited)


@team_routes.route("/projects/{project_id}/members/{user_id}", methods=["PATCH"])
@json_errors
def change_member(project_id, user_id):
    member = _member(project_id)
    return {"member": team.change(member, user_id, body_of(team_routes.current_request))}


@team_routes.route("/projects/{project_id}/members/{user_id}", methods=["DELETE"])
@json_errors
def remove_member(project_id, user_id):
    team.remove(_member(project_id), user_id, deps.fanout())
    return Response(status_code=204, body="")


@team_routes.route("/projects/{project_id}/status", methods=["PUT"])
@json_errors
def set_status(project_id):
    member = _member(project_id)
    body = body_of(team_routes.current_request)
    return {"member": team.set_status(member, body.get("status"), deps.fanout())}


@team_routes.route("/projects/{project_id}/escalation-emails", methods=["PUT"])
@json_errors
def set_escalation_emails(project_id):
    member = _member(project_id)
    body = body_of(team_routes.current_request)
    return {"member": team.set_escalation_emails(member, body.get("escalation_emails"))}


# Business hours and the away message (Settings): the preview is computed here, so the
# panel and the widget agree on "open now".
@team_routes.route("/projects/{project_id}/business-hours", methods=["GET"])
@json_errors
def business_hours(project_id):
    return availability.view(_member(project_id), utcnow())


@team_routes.route("/projects/{project_id}/business-hours", methods=["PUT"])
@json_errors
def set_business_hours(project_id):
    member = _member(project_id)
    body = body_of(team_routes.current_request)
    return availability.update(member, body, utcnow(), deps.fanout())


# The edited schedule's "open now / opens at" before Save (nothing is stored).
@team_routes.route("/projects/{project_id}/business-hours/preview", methods=["POST"])
@json_errors
def preview_business_hours(project_id):
    member = _member(project_id)
    return availability.preview(member, body_of(team_routes.current_request), utcnow())
