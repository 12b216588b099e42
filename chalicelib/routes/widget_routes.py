"""The widget's REST routes, called cross-origin from customers' sites."""

from chalice import Blueprint

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.config import get_settings
from chalicelib.routes.http import body_of, json_errors, query_param, visitor_of
from chalicelib.services import (
    auto_delivery,
    identity,
    origins,
    queue,
    transcripts,
    validation,
    visitor_contact,
    visitor_events,
    visitors,
)

widget_routes = Blueprint(__name__)


def _with_visitor_in_body(count: bool = True):
    """The body and its visitor: the widget's beacons carry the token in a text/plain
    body, not a header, so they stay CORS simple requests (no preflight). The call must
    come from the page the token was issued to; it is activity, so a visitor not yet
    counted is counted now (services/visitors.py)."""
    request = widget_routes.current_request
    body = body_of(request)
    caller = deps.visitor_tokens().verify(validation.text_field(body, "token", 4096))
    _checked(caller, request, count)
    return body, caller


def _checked(caller, request, count: bool = True):
    now = utcnow()
    origins.require_token_origin(caller, request.headers, now)
    if count:
        visitors.count_activity(caller, now)
    return caller


# text/plain is accepted so the widget's call on every page view is a CORS "simple
# request": no preflight round trip before it. The body is still parsed as JSON.
@widget_routes.route(
    "/widget/session", methods=["POST"], content_types=["application/json", "text/plain"]
)
@json_errors
def start_session():
    request = widget_routes.current_request
    settings = get_settings()
    return visitors.start_session(
        deps.visitor_tokens(),
        settings.websocket_public_url,
        body_of(request),
        utcnow(),
        request.headers,
        settings.local_geo_headers,
    )


# Every 90 s (15 s while the team reads the Visitors list) while the page is visible:
# the visitor is still on the site (services/heartbeat_cadence.py). The token
# travels in the (text/plain) body, not a header, so this is a CORS simple request too.
@widget_routes.route(
    "/widget/heartbeat", methods=["POST"], content_types=["application/json", "text/plain"]
)
@json_errors
def heartbeat():
    _, caller = _with_visitor_in_body(count=False)  # the beat counts, and renews the token
    return visitors.heartbeat(deps.visitor_tokens(), caller, utcnow())


# The site's logged-in user, signed by the site (LiveChat.identify): token in the body.
@widget_routes.route(
    "/widget/identify", methods=["POST"], content_types=["application/json", "text/plain"]
)
@json_errors
def identify():
    body, caller = _with_visitor_in_body()
    return identity.identify(caller, body, deps.fanout())


# The pre-chat form or the away card: the name and e-mail the visitor gives (token in
# the body, a CORS simple request like the others).
@widget_routes.route(
    "/widget/contact", methods=["POST"], content_types=["application/json", "text/plain"]
)
@json_errors
def contact():
    body, caller = _with_visitor_in_body()
    return visitor_contact.give_contact(caller, body, deps.fanout())


# "E-mail me this conversation": one of the visitor's own chats, to the address known or
# one given now (token in the body, a CORS simple request like the others).
@widget_routes.route(
    "/widget/transcript", methods=["POST"], content_types=["application/json", "text/plain"]
)
@json_errors
def transcript():
    body, caller = _with_visitor_in_body()
    return transcripts.request(caller, body, deps.mailer(), deps.mail_tokens(), utcnow())


# The widget showed an auto message, the chat opened on it, or the visitor replied.
@widget_routes.route(
    "/widget/auto-messages/{message_id}/events",
    methods=["POST"],
    content_types=["application/json", "text/plain"],
)
@json_errors
def auto_message_event(message_id):
    body, caller = _with_visitor_in_body()
    return auto_delivery.record_event(caller, message_id, body, utcnow())


# LiveChat.event(name): a custom event of the site's for this visitor.
@widget_routes.route(
    "/widget/events", methods=["POST"], content_types=["application/json", "text/plain"]
)
@json_errors
def custom_event():
    body, caller = _with_visitor_in_body()
    return visitor_events.record(caller, body, utcnow())


@widget_routes.route("/widget/messages", methods=["GET"])
@json_errors
def history():
    request = widget_routes.current_request
    return queue.visitor_history(
        _checked(visitor_of(request), request),
        validation.optional_cursor(query_param(request, "after")),
        validation.limit(query_param(request, "limit"), default=100, maximum=200),
        before=validation.optional_cursor(query_param(request, "before"), "before"),
        asked=query_param(request, "queue") == "1",
    )
