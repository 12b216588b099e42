"""The request budget of a visitor message does not grow with the project (DESIGN.md:
target <= 3 DynamoDB requests), counted with a botocore hook on the real code path."""

from collections import Counter

from chalicelib.auth.identities import VisitorIdentity
from chalicelib.clock import iso, utcnow
from chalicelib.models import ChatModel, ProjectModel, VisitorModel
from chalicelib.models.base import _shared_botocore_session
from chalicelib.models.chat import activity_key
from chalicelib.models.connection import KIND_OPERATOR, KIND_VISITOR
from chalicelib.realtime import connections
from chalicelib.realtime.fanout import Fanout
from chalicelib.services import messaging

CALLS: Counter = Counter()
_shared_botocore_session().register(
    "before-call.dynamodb", lambda model, **_: CALLS.update([model.name])
)


def _steady_message_cost(chats: int, sender) -> tuple[dict, int]:
    project, now = f"p_cost{chats}", utcnow()
    with ChatModel.batch_write() as batch:
        for n in range(chats):
            stamp = iso(now)
            batch.save(
                ChatModel(
                    project,
                    f"v_x{n}-1",
                    visitor_id=f"v_x{n}",
                    visitor_name="x",
                    created_at=now,
                    last_activity_at=stamp,
                    activity_key=activity_key(stamp, f"v_x{n}-1"),
                )
            )
    ProjectModel(project, name="Cost", owner_id="u", created_at=now).save()
    VisitorModel(project, "v_me", created_at=now, last_seen_at=now).save()
    for name, kind, who in [
        ("t1=", KIND_VISITOR, "v_me"),
        ("t2=", KIND_VISITOR, "v_me"),
        ("o1=", KIND_OPERATOR, "u1"),
    ]:
        connections.register(f"{project}{name}", kind, project, who, now, 7800)
    fanout = Fanout(sender)
    me = VisitorIdentity(project, "v_me")
    first = messaging.post_visitor_message(me, None, "cost-first", "a", fanout)
    sender.clear()
    CALLS.clear()
    messaging.post_visitor_message(me, first.message.chat_id, "cost-next", "b", fanout)
    return dict(CALLS), len(sender.posts)


def test_a_visitor_message_costs_three_requests_whatever_the_project_size(aws, sender):
    small, small_posts = _steady_message_cost(1, sender)
    large, large_posts = _steady_message_cost(300, sender)

    assert small == large == {"TransactWriteItems": 1, "Query": 2}
    assert small_posts == large_posts == 3  # one post per recipient connection
