"""Visitor sessions: who is on the site, under a token bound to one project.

A session request is one conditional UpdateItem (an upsert): a known visitor's page view
costs one write, a new visitor's the same write plus a usage counter.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib import ids
from chalicelib.auth.visitor_tokens import VisitorTokens
from chalicelib.errors import BadRequest, Unauthorized, Unavailable
from chalicelib.models.usage import UsageModel
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import consent, projects
from chalicelib.services.validation import text_field

_UTM_KEYS = ("source", "medium", "campaign", "term", "content")


def display_name(visitor_id: str) -> str:
    """A stable, friendly name until the visitor tells us theirs."""
    return "Visitor " + visitor_id[-4:].upper()


def _facts(body: dict) -> dict:
    facts = {
        "page_url": text_field(body, "page_url", 2048, required=False),
        "referrer": text_field(body, "referrer", 2048, required=False),
        "language": text_field(body, "language", 35, required=False),
    }
    utm = body.get("utm")
    if isinstance(utm, dict):
        facts["utm"] = {
            key: utm[key][:256] for key in _UTM_KEYS if isinstance(utm.get(key), str) and utm[key]
        }
    return facts


def start_session(tokens: VisitorTokens, websocket_url: str, body: dict, now: datetime) -> dict:
    project_id = body.get("project_id")
    if not isinstance(project_id, str) or not project_id:
        raise BadRequest("'project_id' must be the project's id (data-project-id)")
    project = projects.require_project(project_id)
    if not project.chats_enabled:
        raise Unavailable("chats are switched off for this project")

    visitor_id = None
    prior = body.get("token")
    if prior:
        try:
            identity = tokens.verify_for_renewal(prior)
            if identity.project_id == project.project_id:
                visitor_id = identity.visitor_id
        except Unauthorized:
            pass  # a stale or forged token just means a new visitor
    is_new = visitor_id is None
    if is_new:
        visitor_id = ids.new_visitor_id()

    facts = _facts(body)
    visitor = VisitorModel(project.project_id, visitor_id)
    actions = [
        VisitorModel.last_seen_at.set(now),
        VisitorModel.created_at.set(VisitorModel.created_at | now),
        VisitorModel.chat_count.set(VisitorModel.chat_count | 0),
        VisitorModel.name.set(VisitorModel.name | display_name(visitor_id)),
    ]
    actions += [getattr(VisitorModel, key).set(value) for key, value in facts.items() if value]
    visitor.update(actions=actions)  # returns ALL_NEW into ``visitor``

    if is_new:
        UsageModel(project.project_id, now.strftime("%Y-%m")).update(
            actions=[UsageModel.new_visitors.add(1)]
        )
    return {
        "token": tokens.issue(project.project_id, visitor_id),
        "visitor_id": visitor_id,
        "chat_id": visitor.current_chat_id,
        "ws_url": websocket_url,
        "project": {"id": project.project_id, "name": project.name},
        # What a new dialogue asks first (None: nothing); existing dialogues go on.
        "consent": (needed.view() if (needed := consent.requirement(project)) else None),
    }
