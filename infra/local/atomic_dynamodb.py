"""Make moto's DynamoDB handle one request at a time, as if each were atomic.

DynamoDB applies a conditional write or a ``TransactWriteItems`` atomically: two
requests racing on one item never both see the old value. moto checks conditions and
then writes in plain Python, so two threads (the in-process tests, or the threaded moto
server behind the local stack) can both pass a condition before either writes, and a
test of "exactly one wins" or "exactly the limit is admitted" would flake or lie.
Serialising moto's DynamoDB request handler restores DynamoDB's guarantee; requests of
other services are untouched.
"""

from __future__ import annotations

import functools
import threading

_lock = threading.RLock()


def make_moto_dynamodb_atomic() -> None:
    """Patch moto's DynamoDB handler (idempotent: a second call changes nothing)."""
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.call_action, "_serialised", False):
        return
    original = DynamoHandler.call_action

    @functools.wraps(original)
    def call_action(self):
        with _lock:
            return original(self)

    call_action._serialised = True
    DynamoHandler.call_action = call_action
