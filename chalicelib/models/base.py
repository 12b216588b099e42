"""What every table model shares: table naming, endpoint, and one botocore session.

PynamoDB creates a fresh botocore session for each model's connection (~100 ms each on
a cold start, mostly loading the service model). Lambda handles one event at a time, so
one session per thread is shared by all models.
"""

from __future__ import annotations

import random
import threading
import time

import botocore.session
import pynamodb.connection.base as pynamodb_connection
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError

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


def cancellation_codes(error: TransactWriteError) -> list[str | None]:
    """The codes of a failed transaction's items, in the order they were written
    (``"ConditionalCheckFailed"``, ``"TransactionConflict"``, None for an item that was
    fine): which condition failed, or whether another writer was in the way."""
    return [reason.code if reason else None for reason in (error.cancellation_reasons or [])]


def retry_on_conflict(operation, attempts: int = 5, sleep=time.sleep):
    """Run ``operation``; if DynamoDB refuses it because a transaction holds the item
    (``TransactionConflictException``, a few milliseconds), step aside and try again."""
    for attempt in range(attempts):
        try:
            return operation()
        except PynamoDBException as error:
            conflict = getattr(error, "cause_response_code", None) == "TransactionConflictException"
            if not conflict or attempt == attempts - 1:
                raise
            sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311 (jitter)
