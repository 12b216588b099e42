"""The notifier's queue on the local stand-in: the queue in moto's SQS, and a poller
that does what Lambda's SQS event source mapping does in AWS: receive (long polling,
``DelaySeconds`` honoured by moto), call the ``push_notifier`` handler with the event
Lambda would build, and delete the message once the handler returned."""

from __future__ import annotations

import hashlib
import logging
import os
import threading

import boto3

from infra.local.ports import Ports

log = logging.getLogger(__name__)
# The name app.py's event source gives (chalicelib/routes/push_routes.py's
# PUSH_QUEUE_NAME; not imported: the app's modules must not load before the environment).
QUEUE_NAME = "livechat-push"


def configure(ports: Ports, region: str, mail_from: str) -> tuple[str, str]:
    """Create the queue and set Web Push's settings: the queue (moto's SQS, through
    botocore's per-service endpoint variable, so the app has no local-only line), a
    VAPID key made for this run, and the fake push service's http origin."""
    from chalicelib.webpush import new_vapid_secret  # no settings read: safe to load now

    moto_url = ports.url(ports.moto)
    url, arn = create_queue(moto_url, region, QUEUE_NAME)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_SQS": moto_url,
            "PUSH_QUEUE_URL": url,
            "VAPID_PRIVATE_KEY": new_vapid_secret(),
            "VAPID_SUBJECT": f"mailto:{mail_from}",
            "PUSH_HTTP_ORIGIN": ports.url(ports.push),
        }
    )
    return url, arn


def create_queue(endpoint: str, region: str, name: str) -> tuple[str, str]:
    """Returns (queue URL, queue ARN)."""
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "180"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def lambda_event(message, arn: str, region: str) -> dict:
    """SQS records (one message, or a list: a batch) as Lambda's event source mapping
    hands them to a function."""
    messages = message if isinstance(message, list) else [message]
    return {"Records": [_record(m, arn, region) for m in messages]}


def _record(message: dict, arn: str, region: str) -> dict:
    body = message["Body"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 (SQS's)
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": region,
    }


class _Context:
    """The parts of a Lambda context a Chalice handler may read."""

    function_name = "push_notifier"
    memory_limit_in_mb = 512
    aws_request_id = "local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


class Poller:
    def __init__(
        self,
        handler,
        endpoint: str,
        region: str,
        url: str,
        arn: str,
        batch_size: int = 1,
        function_name: str = "push_notifier",
    ):
        self._handler = handler
        self._batch, self._name = batch_size, function_name
        self._sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
        self._url, self._arn, self._region = url, arn, region
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=function_name)
        self.delivered = 0

    def start(self) -> Poller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                received = self._sqs.receive_message(
                    QueueUrl=self._url,
                    MaxNumberOfMessages=self._batch,  # the event source's BatchSize (app.py)
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                )
            except Exception:  # noqa: BLE001 - moto stopping, or a hiccup: try again
                if self._stop.wait(0.5):
                    return
                continue
            messages = received.get("Messages", [])
            if not messages:
                continue
            context = _Context()
            context.function_name = self._name
            try:
                self._handler(lambda_event(messages, self._arn, self._region), context)
            except Exception:  # noqa: BLE001 - as Lambda: the batch comes back later
                log.exception("%s failed", self._name)
                continue
            for message in messages:
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
            self.delivered += len(messages)
