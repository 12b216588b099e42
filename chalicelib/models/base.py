"""What every table model shares: table naming, endpoint, and one botocore session.

PynamoDB creates a fresh botocore session for each model's connection (~100 ms each on
a cold start, mostly loading the service model). Lambda handles one event at a time, so
one session per thread is shared by all models.
"""

from __future__ import annotations

import threading

import botocore.session
import pynamodb.connection.base as pynamodb_connection
from pynamodb.connection import Connection

from chalicelib.config import get_settings

_thread_local = threading.local()


def _shared_botocore_session() -> botocore.session.Session:
    session = getattr(_thread_local, "session", None)
    if session is None:
        session = _thread_local.session = botocore.session.get_session()
    return session


pynamodb_connection.get_session = _shared_botocore_session


def table_meta(base_name: str) -> type:
    """A PynamoDB ``Meta`` for table ``base_name`` under this stage's prefix."""
    settings = get_settings()

    class Meta:
        table_name = settings.table_prefix + base_name
        region = settings.region
        host = settings.dynamodb_endpoint
        billing_mode = "PAY_PER_REQUEST"

    return Meta


def transaction_connection() -> Connection:
    """A connection for ``TransactWrite`` (transactions span tables, so not per model)."""
    settings = get_settings()
    return Connection(region=settings.region, host=settings.dynamodb_endpoint)


def is_condition_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"
