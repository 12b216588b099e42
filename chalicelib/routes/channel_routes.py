"""Messenger channels: connecting them (Settings -> Channels, leads) and the platforms'
webhooks. The webhooks have no caller auth: the Telegram secret header or the Facebook
signature is the authentication (services/channel_inbound.py)."""

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.config import get_settings
from chalicelib.routes.http import body_of, json_errors, operator_of
from chalicelib.services import channel_inbound, channels, projects

channel_routes = Blueprint(__name__)


def _member(project_id):
    return projects.require_member(operator_of(channel_routes.current_request), project_id)


def _api_base() -> str:
    """This API's public base, which webhooks are registered under: the setting, else
    the address API Gateway was called at (its domain and stage)."""
    configured = get_settings().public_api_url
    if configured:
        return configured
    context = channel_routes.current_request.context or {}
    domain, stage = context.get("domainName"), context.get("stage")
    if domain and stage:
        return f"https://{domain}/{stage}"
    host = channel_routes.current_request.headers.get("host", "localhost")
    return f"http://{host}"


@channel_routes.route("/projects/{project_id}/channels", methods=["GET"])
@json_errors
def list_channels(project_id):
    return channels.list_channels(_member(project_id), _api_base())


@channel_routes.route("/projects/{project_id}/channels/telegram", methods=["POST"])
@json_errors
def connect_telegram(project_id):
    member = _member(project_id)
    body = body_of(channel_routes.current_request)
    return Response(
        status_code=201, body=channels.connect_telegram(member, body, _api_base(), utcnow())
    )


@channel_routes.route("/projects/{project_id}/channels/messenger", methods=["POST"])
@json_errors
def connect_messenger(project_id):
    member = _member(project_id)
    body = body_of(channel_routes.current_request)
    return Response(
        status_code=201, body=channels.connect_messenger(member, body, _api_base(), utcnow())
    )


@channel_routes.route("/projects/{project_id}/channels/{channel_id}", methods=["GET"])
@json_errors
def get_channel(project_id, channel_id):
    return channels.get_channel(_member(project_id), channel_id, _api_base())


@channel_routes.route("/projects/{project_id}/channels/{channel_id}", methods=["DELETE"])
@json_errors
def disconnect_channel(project_id, channel_id):
    return channels.disconnect(_member(project_id), channel_id, _api_base(), utcnow())


# The platforms sign or tag the exact bytes they send: the views read raw_body.
@channel_routes.route(
    "/channels/telegram/{channel_id}", methods=["POST"], content_types=["application/json"]
)
@json_errors
def telegram_webhook(channel_id):
    request = channel_routes.current_request
    return channel_inbound.telegram_webhook(
        channel_id, request.headers, request.raw_body, deps.fanout()
    )


@channel_routes.route("/channels/messenger/{channel_id}", methods=["GET"])
@json_errors
def messenger_verify(channel_id):
    params = channel_routes.current_request.query_params or {}
    challenge = channel_inbound.messenger_verify(channel_id, params)
    return Response(status_code=200, body=challenge, headers={"Content-Type": "text/plain"})


@channel_routes.route(
    "/channels/messenger/{channel_id}", methods=["POST"], content_types=["application/json"]
)
@json_errors
def messenger_webhook(channel_id):
    request = channel_routes.current_request
    return channel_inbound.messenger_webhook(
        channel_id, request.headers, request.raw_body, deps.fanout()
    )
