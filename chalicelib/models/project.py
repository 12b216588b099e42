"""Projects (one per website) and their members.

Access patterns:
- project by id: GetItem (widget session, settings).             -> ProjectModel
- is user U a member of project P, with which role: GetItem.      -> MemberModel
- projects of user U (panel start-up): Query GSI ``by_user``.     -> MemberModel.by_user
  (the one they opened last: the greatest ``last_opened_at`` among them)
- team of project P: Query by hash key (teams are small).         -> MemberModel
- projects whose billing period ended by T (the period job): Query GSI ``period_due``
  per shard with ``period_end_key <= T``. Every project has a period, but the job only
  reads the due ones; sharded so no single partition takes every write.
                                                               -> ProjectModel.period_due
- project of a Stripe subscription: the subscription's ``metadata.project_id`` (set at
  Checkout), then GetItem; no index needed.
- projects whose business hours opened by T (the opening job hands out the chats that
  waited): Query the sparse GSI ``opening_due`` per shard with ``opens_next_key <= T``;
  only projects with business hours have the key.        -> ProjectModel.opening_due
"""

import zlib

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.models.base import table_meta

ROLE_ADMINISTRATOR = "administrator"
ROLE_MANAGER = "manager"
ROLE_OPERATOR = "operator"
ROLES = (ROLE_ADMINISTRATOR, ROLE_MANAGER, ROLE_OPERATOR)

# Billing states (``billing_state``) of the plan the project is on; the whole state
# machine is in services/billing_subscriptions.py. A plan chosen at Checkout and not
# paid yet is not a state: it is ``pending_plan``, and changes nothing else.
BILLING_OK = "ok"  # Free, or a paid plan whose payments are up to date
BILLING_PAST_DUE = "past_due"  # a renewal failed, Stripe is retrying: still working
BILLING_UNPAID = "unpaid"  # not paid: Stripe's retries are over (the widget is hidden)
PERIOD_SHARDS = 4


def period_shard(project_id: str) -> str:
    return str(zlib.crc32(project_id.encode()) % PERIOD_SHARDS)


class ProjectsByPeriodEnd(GlobalSecondaryIndex):
    class Meta:
        index_name = "period_due"
        projection = KeysOnlyProjection()

    period_shard = UnicodeAttribute(hash_key=True)
    period_end_key = UnicodeAttribute(range_key=True)


class ProjectsByOpening(GlobalSecondaryIndex):
    class Meta:
        index_name = "opening_due"
        projection = KeysOnlyProjection()

    hours_shard = UnicodeAttribute(hash_key=True)
    opens_next_key = UnicodeAttribute(range_key=True)


class ProjectModel(Model):
    Meta = table_meta("projects")

    project_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    chats_enabled = BooleanAttribute(default=True)
    # The websites the widget may run on (services/origins.py): "shop.example.com",
    # "*.example.com" (its subdomains), "localhost:8003". None or empty: not installed
    # yet, and every widget call is refused, so a public project id is worth nothing.
    allowed_domains = ListAttribute(of=UnicodeAttribute, null=True)
    # The first page view from an allowed domain: the panel's "installed" check.
    installed_at = UTCDateTimeAttribute(null=True)
    installed_origin = UnicodeAttribute(null=True)
    # The widget's look, sent with each session (services/widget_look.py); None: default.
    widget_color = UnicodeAttribute(null=True)  # "#rrggbb"
    widget_title = UnicodeAttribute(null=True)
    widget_greeting = UnicodeAttribute(null=True)
    plan = UnicodeAttribute(default="free")
    # Close an assigned dialogue after this many idle minutes (absent: never), with this
    # message to the visitor (absent: none). Unassigned ones close after a month.
    auto_close_minutes = NumberAttribute(null=True)
    auto_close_message = UnicodeAttribute(null=True)
    # E-mail someone when a visitor has waited this many minutes for a reply
    # (services/escalation.py); absent: the default, 0: off.
    escalation_minutes = NumberAttribute(null=True)
    # Web Push (services/push_payload.py): false keeps message text out of pushes, so
    # lock screens show "New message"; absent: previews shown.
    push_previews = BooleanAttribute(null=True)
    # Messenger replies 24 hours to 7 days after the customer's last message go with the
    # HUMAN_AGENT tag (it needs Meta's approval: services/channel_gate.py); absent: off.
    human_agent_tag = BooleanAttribute(null=True)
    # The site signs its logged-in users' ids with this (HMAC-SHA256) so the widget's
    # identify() cannot be forged (services/identity.py). Made on first use.
    identity_secret = UnicodeAttribute(null=True)
    # Privacy-policy consent before a new dialogue. The version goes up whenever the text
    # changes, so an agreement always names the text it agreed to.
    consent_enabled = BooleanAttribute(default=False)
    consent_text = UnicodeAttribute(null=True)
    consent_privacy_url = UnicodeAttribute(null=True)
    consent_version = NumberAttribute(default=0)
    consent_excluded_channels = UnicodeSetAttribute(null=True)
    # Automatic distribution of new dialogues among members who are online:
    # "manual" (none), "round_robin" or "least_busy", at most ``max_active_chats`` each.
    distribution = UnicodeAttribute(default="manual")
    max_active_chats = NumberAttribute(default=5)
    round_robin_last = UnicodeAttribute(null=True)  # who got the previous one
    # --- plan and billing (services/quotas.py, services/billing.py) ---
    billing_state = UnicodeAttribute(default=BILLING_OK)
    billing_interval = UnicodeAttribute(null=True)  # monthly | six_months | annual
    # A paid plan chosen at Checkout and not paid yet. ``plan`` (and so every limit)
    # changes only when Stripe says it is paid.
    pending_plan = UnicodeAttribute(null=True)
    # Its Checkout session: expired when another is started or the project goes back to
    # Free, so an old browser tab cannot start a second subscription.
    stripe_checkout_id = UnicodeAttribute(null=True)
    # A random reference in that Checkout's subscription metadata: a subscription whose
    # reference is not this one comes from a superseded Checkout and is never applied.
    checkout_ref = UnicodeAttribute(null=True)
    # The current billing period. ``period_end_key`` (ISO) is the index's range key.
    period_start = UTCDateTimeAttribute(null=True)
    period_end = UTCDateTimeAttribute(null=True)
    period_shard = UnicodeAttribute(null=True)
    period_end_key = UnicodeAttribute(null=True)
    stripe_customer_id = UnicodeAttribute(null=True)
    stripe_subscription_id = UnicodeAttribute(null=True)
    cancel_at_period_end = BooleanAttribute(null=True)
    # Counters that limits are enforced on with conditional writes.
    member_count = NumberAttribute(default=0)
    scenario_count = NumberAttribute(default=0)
    # The period (key) in which a new visitor was turned away: from then until the
    # period ends or the plan changes, the widget is hidden and the team cannot reply.
    visitors_exhausted_period = UnicodeAttribute(null=True)
    # Someone on the team has the Visitors list open: set by its reads (at most one write
    # per ~15-20 s), read by heartbeats through a per-container memory
    # (services/heartbeat_cadence.py). Widgets beat often until then.
    visitors_watched_until = UTCDateTimeAttribute(null=True)

    # --- availability (services/availability.py) ---
    # Business hours as compact JSON (services/business_hours.py); absent: always open.
    # On the project so the widget's session, which reads it anyway, pays nothing more.
    business_hours = UnicodeAttribute(null=True)
    # Sent once in a chat that starts while away or outside hours; absent: nothing sent.
    away_message = UnicodeAttribute(null=True)
    # The pre-chat form as compact JSON {mode, name, email} (services/prechat.py);
    # absent: off.
    prechat = UnicodeAttribute(null=True)
    # The members who may take a chat now (status online, a panel socket open), kept by
    # realtime/connections.py and services/team.py with idempotent ADD/DELETE, mended by
    # distribution's consistent read: the widget's "online" costs no request.
    available_members = UnicodeSetAttribute(null=True)
    # When the hours open next (ISO; the index's range key) and the index's shard:
    # present only while the project has business hours (services/hours_opening.py).
    hours_shard = UnicodeAttribute(null=True)
    opens_next_key = UnicodeAttribute(null=True)
    # The last 50 first-reply times within hours, compact JSON [[seconds, epoch], ...]
    # (services/reply_times.py): the widget's "Typically replies in N min" costs nothing.
    reply_samples = UnicodeAttribute(null=True)

    period_due = ProjectsByPeriodEnd()
    opening_due = ProjectsByOpening()


class MembersByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute(range_key=True)


class MemberModel(Model):
    Meta = table_meta("members")

    project_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    project_name = UnicodeAttribute()
    # The chat-administrator right: every dialogue of the project, whatever the role.
    chat_admin = BooleanAttribute(default=False)
    # "online" while the member has a live panel socket (``live_connections`` > 0).
    presence = UnicodeAttribute(default="offline")
    live_connections = NumberAttribute(default=0)
    # Open dialogues assigned to this member (distribution's per-operator limit).
    active_chats = NumberAttribute(default=0)
    # What the member says: online, away or offline. Opening the panel makes an offline
    # member online; closing their last panel tab makes them offline.
    status = UnicodeAttribute(default="offline")
    # False: the member turned the "a visitor is waiting" e-mails off for themselves.
    escalation_emails = BooleanAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    # When the member last opened this project in the panel (PUT /me/last-project): the
    # panel opens the latest one on any device. On the membership, so GET /me reads it
    # from the query it makes anyway, and setting it is one conditional write.
    last_opened_at = UTCDateTimeAttribute(null=True)

    by_user = MembersByUser()
