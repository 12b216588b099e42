"""The channel sender's queue on the local stand-in: the queue in moto's SQS, and the
poller (infra/local/push_queue.py's, with the sender's batch size) that hands its
messages to the ``channel_sender`` handler as Lambda's SQS event source does, honouring
``DelaySeconds`` (moto does), so a 429's ``retry_after`` really waits."""

from __future__ import annotations

import os

from infra.local.ports import Ports
from infra.local.push_queue import Poller, create_queue

# The name app.py's event source gives (chalicelib/routes/channel_reply_routes.py's
# CHANNEL_QUEUE_NAME; not imported: the app's modules must not load before the
# environment is set).
QUEUE_NAME = "livechat-channel-replies"
BATCH_SIZE = 10  # CHANNEL_BATCH_SIZE there


def configure(ports: Ports, region: str) -> tuple[str, str]:
    """Create the queue and point the app at it (CHANNEL_QUEUE_URL); moto's SQS is
    already the app's through AWS_ENDPOINT_URL_SQS (push_queue.configure)."""
    url, arn = create_queue(ports.url(ports.moto), region, QUEUE_NAME)
    os.environ["CHANNEL_QUEUE_URL"] = url
    return url, arn


def poller(handler, ports: Ports, region: str, url: str, arn: str) -> Poller:
    return Poller(
        handler,
        ports.url(ports.moto),
        region,
        url,
        arn,
        batch_size=BATCH_SIZE,
        function_name="channel_sender",
    )
