"""The panel's view of the site's visitors: who is online now; starting a chat with one."""

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.config import get_settings
from chalicelib.routes.http import body_of, json_errors, operator_of
from chalicelib.services import chat_reads, online_visitors, proactive, projects, validation

visitor_routes = Blueprint(__name__)


@visitor_routes.route("/projects/{project_id}/visitors/online", methods=["GET"])
@json_errors
def online(project_id):
    member = projects.require_member(operator_of(visitor_routes.current_request), project_id)
    return online_visitors.list_online(member, utcnow())


@visitor_routes.route("/projects/{project_id}/visitors/{visitor_id}/chats", methods=["POST"])
@json_errors
def start_chat(project_id, visitor_id):
    request = visitor_routes.current_request
    member = projects.require_member(operator_of(request), project_id)
    body = body_of(request)
    started = proactive.start_chat(
        member,
        visitor_id,
        validation.client_message_id(body),
        validation.message_text(body, get_settings().max_message_chars),
        deps.fanout(),
    )
    message = started.posted.message
    chat = chat_reads.get_chat(project_id, message.chat_id, consistent=True)
    return Response(
        status_code=201,
        body={
            "message": chat_reads.message_view(message),
            "chat": chat_reads.chat_view(chat),
            # How soon a widget without a socket learns of it (None: when back in view).
            "reaches_in": started.reaches_in,
        },
    )


@visitor_routes.route("/projects/{project_id}/chats/{chat_id}/visitor", methods=["GET"])
@json_errors
def visitor_of_chat(project_id, chat_id):
    member = projects.require_member(operator_of(visitor_routes.current_request), project_id)
    return {"visitor": online_visitors.visitor_of_chat(member, chat_id, utcnow())}
