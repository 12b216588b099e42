"""Saved replies: list (optionally filled in for a dialogue), create, edit, delete."""

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.routes.http import body_of, json_errors, operator_of, query_param
from chalicelib.services import chat_reads, projects, saved_replies

reply_routes = Blueprint(__name__)


def _member(project_id):
    return projects.require_member(operator_of(reply_routes.current_request), project_id)


@reply_routes.route("/projects/{project_id}/replies", methods=["GET"])
@json_errors
def list_replies(project_id):
    member = _member(project_id)
    chat_id = query_param(reply_routes.current_request, "chat_id")
    chat = chat_reads.visible_chat(member, chat_id) if chat_id else None
    return {"replies": saved_replies.list_replies(member, chat)}


@reply_routes.route("/projects/{project_id}/replies", methods=["POST"])
@json_errors
def create_reply(project_id):
    member = _member(project_id)
    body = body_of(reply_routes.current_request)
    return Response(
        status_code=201, body={"reply": saved_replies.create(member, body, utcnow(), deps.fanout())}
    )


@reply_routes.route("/projects/{project_id}/replies/{reply_id}", methods=["PATCH"])
@json_errors
def update_reply(project_id, reply_id):
    member = _member(project_id)
    body = body_of(reply_routes.current_request)
    return {"reply": saved_replies.update(member, reply_id, body, utcnow(), deps.fanout())}


@reply_routes.route("/projects/{project_id}/replies/{reply_id}", methods=["DELETE"])
@json_errors
def delete_reply(project_id, reply_id):
    saved_replies.delete(_member(project_id), reply_id, deps.fanout())
    return Response(status_code=204, body="")
