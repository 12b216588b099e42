"""Web Push: /push/key and a member's devices under /me/push-subscriptions; and the
notifier's queue consumer (registered on the app in app.py, as Chalice wants it)."""

import json
import logging

from chalice import Blueprint, Response

from chalicelib.clock import utcnow
from chalicelib.routes.http import body_of, json_errors, operator_of
from chalicelib.services import notify, push_subscriptions

log = logging.getLogger(__name__)
# The event source's queue as Chalice is told it: a placeholder. The stack's template
# (infra/push.py) replaces it with its own queue's ARN (a string, so the merge replaces
# it whole); locally infra/local/push_queue.py delivers from the queue of this name.
PUSH_QUEUE_NAME = "livechat-push"
PUSH_QUEUE_ARN = f"arn:aws:sqs:us-east-1:000000000000:{PUSH_QUEUE_NAME}"

push_routes = Blueprint(__name__)


def _request():
    return push_routes.current_request


@push_routes.route("/push/key", methods=["GET"])
@json_errors
def public_key():
    operator_of(_request())  # members only: it is public, but nobody else needs it
    return push_subscriptions.public_key()


@push_routes.route("/me/push-subscriptions", methods=["GET"])
@json_errors
def list_subscriptions():
    return push_subscriptions.list_subscriptions(operator_of(_request()))


@push_routes.route("/me/push-subscriptions", methods=["PUT"])
@json_errors
def subscribe():
    request = _request()
    return push_subscriptions.subscribe(operator_of(request), body_of(request), utcnow())


@push_routes.route("/me/push-subscriptions/{subscription_id}", methods=["PATCH"])
@json_errors
def change(subscription_id):
    request = _request()
    return push_subscriptions.change(operator_of(request), subscription_id, body_of(request))


@push_routes.route("/me/push-subscriptions/{subscription_id}", methods=["DELETE"])
@json_errors
def unsubscribe(subscription_id):
    push_subscriptions.unsubscribe(operator_of(_request()), subscription_id)
    return Response(status_code=204, body="")


def notify_from_queue(event):
    """One SQS batch: each record is one event. Never raises: a failed event is logged
    and dropped rather than retried by SQS (no retry storms; 429s requeue themselves)."""
    for record in event:
        message_id = record.to_dict().get("messageId")
        try:
            outcome = notify.handle(json.loads(record.body))
        except Exception:  # noqa: BLE001 - logged; the next event still goes
            log.exception("push event %s failed", message_id)
            continue
        log.info("push event %s: %s", message_id, outcome)
