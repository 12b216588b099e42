"""Custom events a site reports for its visitor (``LiveChat.event("added-to-cart")``):
kept with the visitor (the last one and the set of names, at most ``MAX_NAMES``) for the
team to see and for targeting to use. One UpdateItem, no read."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import size

from chalicelib.auth.identities import VisitorIdentity
from chalicelib.errors import BadRequest, NotFound
from chalicelib.models.base import is_condition_failure
from chalicelib.models.visitor import VisitorModel
from chalicelib.targeting.rules import EVENT_NAME, EVENT_NAME_RULE

MAX_NAMES = 50


def record(identity: VisitorIdentity, body: dict, now: datetime) -> dict:
    name = body.get("name")
    # The names auto messages' "custom event" rules may name (chalicelib/targeting).
    if not isinstance(name, str) or not EVENT_NAME.fullmatch(name):
        raise BadRequest(f"'name' must be {EVENT_NAME_RULE}")
    item = VisitorModel(identity.project_id, identity.visitor_id)
    last = [VisitorModel.last_event.set(name), VisitorModel.last_event_at.set(now)]
    exists = VisitorModel.visitor_id.exists()
    try:
        try:
            # Also remembered among the visitor's event names, while there is room.
            item.update(
                actions=[*last, VisitorModel.event_names.add({name})],
                condition=exists
                & (
                    VisitorModel.event_names.does_not_exist()
                    | (VisitorModel.event_names.contains(name))
                    | (size(VisitorModel.event_names) < MAX_NAMES)
                ),
            )
        except UpdateError as error:
            if not is_condition_failure(error):
                raise
            item.update(actions=last, condition=exists)  # full: the last one still counts
    except UpdateError as error:
        if is_condition_failure(error):
            raise NotFound("unknown visitor: start a session") from None
        raise
    return {"recorded": name}
