"""Putting messages on an SQS queue, ten per SendMessageBatch, retrying the entries SQS refuses.

Shared by the queues that fan work out to workers: the digest planner's and the feed pulls'.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

SQS_BATCH = 10  # SendMessageBatch's limit
SEND_ATTEMPTS = 4


class QueueSendError(RuntimeError):
    """SQS refused a message for good (a sender fault) or kept failing it after retries."""


@lru_cache(maxsize=8)
def queue_url(sqs: Any, name: str) -> str:
    return sqs.get_queue_url(QueueName=name)["QueueUrl"]


class BatchSender:
    """Buffers message bodies and sends them ten per SendMessageBatch, retrying the entries SQS refuses.

    ``what`` names a message in errors ("digest batch", "feed pull").
    """

    def __init__(
        self, sqs: Any, queue_url: str, pause: Callable[[float], None] = time.sleep, what: str = "message"
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.pause = pause
        self.what = what
        self.pending: list[str] = []
        self.messages = 0
        self.calls = 0

    def add(self, body: str) -> None:
        self.pending.append(body)
        if len(self.pending) == SQS_BATCH:
            self.flush()

    def flush(self) -> None:
        entries = {f"m{n}": body for n, body in enumerate(self.pending)}
        self.pending = []
        for attempt in range(SEND_ATTEMPTS):
            if not entries:
                return
            if attempt:
                self.pause(0.1 * 2**attempt)
            self.calls += 1
            response = self.sqs.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": key, "MessageBody": body} for key, body in entries.items()],
            )
            for sent in response.get("Successful", []):
                entries.pop(sent["Id"], None)
                self.messages += 1
            failed = response.get("Failed", [])
            if any(entry.get("SenderFault") for entry in failed):
                raise QueueSendError(f"SQS refused a {self.what}: {failed[0].get('Message', failed[0])}")
        if entries:
            raise QueueSendError(f"SQS kept failing {len(entries)} {self.what} message(s)")
