"""Make moto's DynamoDB as atomic as the real one when many threads use it at once.

Real DynamoDB applies each write and each TransactWriteItems all-or-nothing and in some
serial order. moto does not: its transaction checks and applies item by item, and rolls
back a failed one by restoring deep copies of whole tables taken before it began, so a
transaction failing in one thread erases what another thread committed meanwhile. The
platform's concurrency guarantees (one taker per dialogue, exact quotas) are only
testable against a store that behaves like DynamoDB, so the test harness and the local
stack both serialise moto's DynamoDB operations with one lock. It changes no semantics
for a single caller.
"""

from __future__ import annotations

import functools
import threading

from moto.dynamodb.models import DynamoDBBackend

_OPERATIONS = (
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "transact_write_items",
    "transact_get_items",
    "batch_get_item",
)
_lock = threading.RLock()


def make_moto_dynamodb_atomic() -> None:
    for name in _OPERATIONS:
        method = getattr(DynamoDBBackend, name, None)
        if method is None or getattr(method, "_serialised", False):
            continue
        setattr(DynamoDBBackend, name, _serialised(method))


def _serialised(method):
    @functools.wraps(method)
    def locked(*args, **kwargs):
        with _lock:
            return method(*args, **kwargs)

    locked._serialised = True
    return locked
