"""The panel's view of the site's visitors: who is online now."""

from chalice import Blueprint

from chalicelib.clock import utcnow
from chalicelib.routes.http import json_errors, operator_of
from chalicelib.services import online_visitors, projects

visitor_routes = Blueprint(__name__)


@visitor_routes.route("/projects/{project_id}/visitors/online", methods=["GET"])
@json_errors
def online(project_id):
    member = projects.require_member(operator_of(visitor_routes.current_request), project_id)
    return online_visitors.list_online(member, utcnow())
