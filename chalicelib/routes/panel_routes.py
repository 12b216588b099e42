"""The operator panel's REST routes. Each checks membership of the project in the path."""

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.config import get_settings
from chalicelib.errors import BadRequest
from chalicelib.routes.http import body_of, json_errors, operator_of, query_param
from chalicelib.services import (
    assignment,
    channels,
    chat_reads,
    dialogues,
    distribution,
    messaging,
    notes,
    projects,
    queue,
    validation,
)

panel_routes = Blueprint(__name__)


def _stored(posted) -> Response:
    """201 for a new message; 200 with the stored one for a resend of its client_id."""
    return Response(
        status_code=200 if posted.duplicate else 201,
        body={"message": chat_reads.message_view(posted.message)},
    )


def _member(project_id):
    return projects.require_member(operator_of(panel_routes.current_request), project_id)


@panel_routes.route("/projects/{project_id}/chats", methods=["GET"])
@json_errors
def list_chats(project_id):
    member = _member(project_id)
    request = panel_routes.current_request
    return dialogues.list_chats(
        member,
        query_param(request, "cursor"),
        validation.limit(query_param(request, "limit"), default=20, maximum=100),
        channel=channels.chat_filter(query_param(request, "channel")),
    )


@panel_routes.route("/projects/{project_id}/chats/{chat_id}", methods=["GET"])
@json_errors
def get_chat(project_id, chat_id):
    member = _member(project_id)
    return {"chat": dialogues.get_chat(member, chat_id)}


@panel_routes.route("/projects/{project_id}/chats/{chat_id}/messages", methods=["GET"])
@json_errors
def list_messages(project_id, chat_id):
    member = _member(project_id)
    request = panel_routes.current_request
    chat = chat_reads.visible_chat(member, chat_id)
    return chat_reads.list_messages(
        member.project_id,
        chat.chat_id,
        validation.optional_cursor(query_param(request, "after")),
        validation.limit(query_param(request, "limit"), default=100, maximum=200),
        before=validation.optional_cursor(query_param(request, "before"), "before"),
    )


@panel_routes.route("/projects/{project_id}/chats/{chat_id}/messages", methods=["POST"])
@json_errors
def reply(project_id, chat_id):
    member = _member(project_id)
    body = body_of(panel_routes.current_request)
    posted = messaging.post_operator_message(
        member,
        validation.chat_id(chat_id),
        validation.client_message_id(body),
        validation.message_text(body, get_settings().max_message_chars),
        deps.fanout(),
    )
    return _stored(posted)


@panel_routes.route("/projects/{project_id}/chats/{chat_id}/read", methods=["POST"])
@json_errors
def mark_read(project_id, chat_id):
    member = _member(project_id)
    return {"chat": dialogues.mark_read_by_team(member, validation.chat_id(chat_id), deps.fanout())}


def _then_distribute(project_id: str, outcome: assignment.Outcome) -> dict:
    """A workflow that freed a slot lets the queue move (distribution's promise); one that
    took a waiting chat tells those behind it their new place."""
    if outcome.freed_slot:
        distribution.distribute(project_id, deps.fanout())
    elif outcome.left_queue:
        queue.moved(project_id, outcome.left_queue, deps.fanout())
    return {"chat": outcome.chat}


@panel_routes.route("/projects/{project_id}/chats/{chat_id}/assign", methods=["POST"])
@json_errors
def assign(project_id, chat_id):
    member = _member(project_id)
    body = body_of(panel_routes.current_request)
    target = body.get("user_id")
    if target is not None and not isinstance(target, str):
        raise BadRequest("'user_id' must be a member's id")
    return _then_distribute(project_id, assignment.assign(member, chat_id, target, deps.fanout()))


@panel_routes.route("/projects/{project_id}/chats/{chat_id}/unassign", methods=["POST"])
@json_errors
def unassign(project_id, chat_id):
    outcome = assignment.unassign(_member(project_id), chat_id, deps.fanout())
    return _then_distribute(project_id, outcome)


@panel_routes.route("/projects/{project_id}/chats/{chat_id}/close", methods=["POST"])
@json_errors
def close(project_id, chat_id):
    outcome = assignment.close(_member(project_id), chat_id, deps.fanout(), utcnow())
    return _then_distribute(project_id, outcome)


@panel_routes.route("/projects/{project_id}/chats/{chat_id}/reopen", methods=["POST"])
@json_errors
def reopen(project_id, chat_id):
    return {"chat": assignment.reopen(_member(project_id), chat_id, deps.fanout()).chat}


@panel_routes.route("/projects/{project_id}/chats/{chat_id}/notes", methods=["POST"])
@json_errors
def add_note(project_id, chat_id):
    member = _member(project_id)
    body = body_of(panel_routes.current_request)
    posted = notes.post_note(
        member,
        chat_id,
        validation.client_message_id(body),
        validation.message_text(body, get_settings().max_message_chars),
        deps.fanout(),
    )
    return _stored(posted)


@panel_routes.route("/projects/{project_id}/team/messages", methods=["GET"])
@json_errors
def team_history(project_id):
    member = _member(project_id)
    request = panel_routes.current_request
    return notes.team_history(
        member,
        validation.optional_cursor(query_param(request, "after")),
        validation.optional_cursor(query_param(request, "before"), "before"),
        validation.limit(query_param(request, "limit"), default=100, maximum=200),
    )


@panel_routes.route("/projects/{project_id}/team/messages", methods=["POST"])
@json_errors
def team_message(project_id):
    member = _member(project_id)
    body = body_of(panel_routes.current_request)
    posted = notes.post_team_message(
        member,
        validation.client_message_id(body),
        validation.message_text(body, get_settings().max_message_chars),
        deps.fanout(),
    )
    return _stored(posted)
