"""Drive an SQS queue handler locally, the way Lambda's event source mapping does in AWS.

Receives up to ``batch_size`` messages from moto's queue, hands them to the handler in Lambda's event
format, deletes those that succeeded and honours ``batchItemFailures``: a failed message is left on the
queue and comes back when its visibility timeout ends (shortened here so local retries are quick).
"""

from __future__ import annotations

import hashlib
import sys
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any] | None]
LOCAL_RETRY_SECONDS = 5  # AWS waits the queue's visibility timeout (6 minutes); nobody waits that locally


class QueuePump:
    def __init__(
        self,
        sqs: Any,
        queue_name: str,
        handler: Handler,
        function_name: str,
        batch_size: int = 1,
        retry_seconds: int = LOCAL_RETRY_SECONDS,
    ) -> None:
        self.sqs = sqs
        self.handler = handler
        self.function_name = function_name
        self.batch_size = batch_size
        self.retry_seconds = retry_seconds  # 0: a failed message is delivered again at once (tests)
        self.url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        self.arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def pump(self, rounds: int = 100) -> int:
        """Deliver what is waiting (at most ``rounds`` batches); return how many messages succeeded."""
        handled = 0
        for _ in range(rounds):
            messages = self.sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=self.batch_size,
                VisibilityTimeout=self.retry_seconds,
                AttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            event = {"Records": [self._record(message) for message in messages]}
            context = SimpleNamespace(
                aws_request_id=str(uuid.uuid4()),
                function_name=self.function_name,
                get_remaining_time_in_millis=lambda: 60_000,
            )
            try:
                result = self.handler(event, context) or {}
            except Exception as exc:  # noqa: BLE001 - as in Lambda: the whole batch comes back later
                print(f"{self.function_name} failed, its batch will be retried: {exc!r}", file=sys.stderr, flush=True)
                continue
            failed = {failure["itemIdentifier"] for failure in result.get("batchItemFailures", [])}
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                self.sqs.delete_message_batch(
                    QueueUrl=self.url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
                )
            handled += len(done)
        return handled

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": hashlib.md5(message["Body"].encode(), usedforsecurity=False).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": "us-east-1",
        }
