"""When a project's business hours open, the chats that waited are handed out.

Outside hours distribution hands nobody a chat (services/distribution.py), and it runs
only on events: a message, a member coming online, a freed slot. A team already online
when the hours open would otherwise wait for the next event. So the clock app runs this
every minute: the projects whose ``opens_next_key`` has passed (the sparse
``opening_due`` index, sharded like the billing periods), distribution for each, then
the next opening. Cost per run: 4 index Queries; per opening project 1 read, the
distribution, 1 conditional write (the claim: a rerun or a racing run does nothing).
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.clock import iso
from chalicelib.models.base import is_condition_failure
from chalicelib.models.project import PERIOD_SHARDS, ProjectModel
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import availability, distribution


def run(now: datetime, fanout: Fanout) -> dict:
    examined = opened = assigned = 0
    for shard in range(PERIOD_SHARDS):
        for due in ProjectModel.opening_due.query(
            str(shard), ProjectModel.opens_next_key <= iso(now)
        ):
            examined += 1
            if _claim(due.project_id, due.opens_next_key, now):
                opened += 1
                assigned += distribution.distribute(due.project_id, fanout, clock=lambda: now)
    return {"examined": examined, "opened": opened, "assigned": assigned}


def _claim(project_id: str, seen_key: str, now: datetime) -> bool:
    """Move the project's key to its next opening, if it still says ``seen_key``."""
    try:
        project = ProjectModel.get(project_id, consistent_read=True)
    except DoesNotExist:
        return False
    actions = availability.opening_actions(project_id, project.business_hours, now)
    try:
        project.update(actions=actions, condition=ProjectModel.opens_next_key == seen_key)
    except UpdateError as error:
        if is_condition_failure(error):
            return False  # moved on already: a new schedule, or another run
        raise
    return True
