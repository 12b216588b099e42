"""PynamoDB models: schema and key builders only. ``ALL_MODELS`` is what infra creates."""

from chalicelib.models.auto_message import AutoMessageModel
from chalicelib.models.billing_event import StripeEventModel
from chalicelib.models.channel import ChannelModel
from chalicelib.models.chat import ChatModel
from chalicelib.models.connection import ConnectionModel
from chalicelib.models.mail import MailRecordModel
from chalicelib.models.message import ClientMessageIdModel, MessageModel
from chalicelib.models.origin_refusal import OriginRefusalModel
from chalicelib.models.project import MemberModel, ProjectModel
from chalicelib.models.push_subscription import PushSubscriptionModel
from chalicelib.models.saved_reply import SavedReplyModel
from chalicelib.models.usage import UsageModel
from chalicelib.models.visitor import VisitorModel

ALL_MODELS = (
    ProjectModel,
    MemberModel,
    VisitorModel,
    ChatModel,
    MessageModel,
    ClientMessageIdModel,
    ConnectionModel,
    UsageModel,
    SavedReplyModel,
    StripeEventModel,
    AutoMessageModel,
    OriginRefusalModel,
    PushSubscriptionModel,
    ChannelModel,
    MailRecordModel,
)


def create_all_tables() -> None:
    """Create every table (local stand-in and tests; AWS gets them from CloudFormation)."""
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True)
