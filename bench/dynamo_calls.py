"""One counter of DynamoDB requests for every bench in a process.

A botocore client copies its session's hooks when it is created, and the models keep
their clients, so the hook must be installed once, before the first client exists."""

from collections import Counter

CALLS: Counter = Counter()
_installed: list = []


def install() -> Counter:
    if not _installed:
        from chalicelib.models.base import _shared_botocore_session

        _shared_botocore_session().register(
            "before-call.dynamodb", lambda model, **_: CALLS.update([model.name])
        )
        _installed.append(True)
    return CALLS
