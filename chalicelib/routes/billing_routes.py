"""Plans and payment: the billing page's routes and Stripe's webhook."""

from chalice import Blueprint

from chalicelib import deps
from chalicelib.clock import utcnow
from chalicelib.config import get_settings
from chalicelib.routes.http import body_of, json_errors, operator_of
from chalicelib.services import billing, billing_webhooks, projects

billing_routes = Blueprint(__name__)


def _member(project_id):
    return projects.require_member(operator_of(billing_routes.current_request), project_id)


@billing_routes.route("/projects/{project_id}/billing", methods=["GET"])
@json_errors
def view_billing(project_id):
    return {"billing": billing.view(_member(project_id), get_settings(), utcnow())}


@billing_routes.route("/projects/{project_id}/billing/plan", methods=["POST"])
@json_errors
def choose_plan(project_id):
    member = _member(project_id)
    body = body_of(billing_routes.current_request)
    return billing.choose_plan(member, body, deps.stripe_client(), get_settings(), utcnow())


# Give up a choice waiting for payment: its Checkout closes, the plan stays as it is.
@billing_routes.route("/projects/{project_id}/billing/checkout", methods=["DELETE"])
@json_errors
def cancel_checkout(project_id):
    member = _member(project_id)
    return billing.cancel_checkout(member, deps.stripe_client(), get_settings(), utcnow())


@billing_routes.route("/projects/{project_id}/billing/portal", methods=["POST"])
@json_errors
def open_portal(project_id):
    return billing.portal(_member(project_id), deps.stripe_client(), get_settings())


# Stripe signs the exact bytes it sends: the view reads raw_body, never a parsed body.
# No operator auth here: the signature is the authentication.
@billing_routes.route("/billing/webhook", methods=["POST"], content_types=["application/json"])
@json_errors
def stripe_webhook():
    request = billing_routes.current_request
    return billing_webhooks.handle_webhook(
        request.raw_body or b"",
        request.headers.get("stripe-signature"),
        get_settings().stripe_webhook_secret,
        deps.stripe_client(),
        utcnow(),
    )
