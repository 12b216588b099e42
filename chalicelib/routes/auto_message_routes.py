"""Auto messages (leads only), their file uploads, and the targeting catalogue their rule
editor is built from."""

from chalice import Blueprint, Response

from chalicelib.clock import utcnow
from chalicelib.routes.http import body_of, json_errors, operator_of
from chalicelib.services import attachments, auto_messages, projects

auto_message_routes = Blueprint(__name__)


def _member(project_id):
    return projects.require_member(operator_of(auto_message_routes.current_request), project_id)


@auto_message_routes.route("/targeting/catalogue", methods=["GET"])
@json_errors
def targeting_catalogue():
    # Not project data (the same file ships in the widget), but only the team needs it.
    operator_of(auto_message_routes.current_request)
    return auto_messages.catalogue()


@auto_message_routes.route("/projects/{project_id}/auto-messages", methods=["GET"])
@json_errors
def list_auto_messages(project_id):
    return {"auto_messages": auto_messages.list_messages(_member(project_id))}


@auto_message_routes.route("/projects/{project_id}/auto-messages", methods=["POST"])
@json_errors
def create_auto_message(project_id):
    member = _member(project_id)
    body = body_of(auto_message_routes.current_request)
    created = auto_messages.create(member, body, utcnow())
    return Response(status_code=201, body={"auto_message": created})


@auto_message_routes.route("/projects/{project_id}/auto-messages/{message_id}", methods=["GET"])
@json_errors
def get_auto_message(project_id, message_id):
    return {"auto_message": auto_messages.get(_member(project_id), message_id)}


@auto_message_routes.route("/projects/{project_id}/auto-messages/{message_id}", methods=["PATCH"])
@json_errors
def update_auto_message(project_id, message_id):
    member = _member(project_id)
    body = body_of(auto_message_routes.current_request)
    return {"auto_message": auto_messages.update(member, message_id, body, utcnow())}


@auto_message_routes.route("/projects/{project_id}/auto-messages/{message_id}", methods=["DELETE"])
@json_errors
def delete_auto_message(project_id, message_id):
    auto_messages.delete(_member(project_id), message_id)
    return Response(status_code=204, body="")


@auto_message_routes.route("/projects/{project_id}/attachments", methods=["POST"])
@json_errors
def start_attachment_upload(project_id):
    # A presigned S3 POST: the file goes from the browser to S3, never through a Lambda.
    member = _member(project_id)
    body = body_of(auto_message_routes.current_request)
    return Response(status_code=201, body=attachments.start_upload(member, body, utcnow()))
