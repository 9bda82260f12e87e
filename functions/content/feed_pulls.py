"""Feed pulls fanned out: the hourly schedule queues one message per source, a queue worker pulls each.

Why a queue: pulled one after another inside one Lambda, a few slow feeds (up to 5 s each, the fetcher's
limit) outlast its timeout and the feeds after them are never pulled. One message per source gives every
pull its own invocation and time; the worker Lambda takes one message at a time (app.py), and each pull
is bounded by the fetcher's 5 s, far inside its timeout.

A broken feed is not a failed message: its error is recorded on the source and the message is done. A
message fails only when recording fails (DynamoDB throttled or down): it is reported in
``batchItemFailures``, comes back after the queue's visibility timeout, and after three tries waits in the
dead-letter queue. A source removed after it was queued is skipped.

Messages: ``{"source_id": "…"}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from functions import aws, observability, queues
from functions.config import settings
from functions.content import feed_sources
from functions.content.feed_sources import Fetch, SourcePull


@dataclass
class PullReport:
    """What a worker invocation did: each pulled source's result, and the messages to deliver again."""

    sources: dict[str, SourcePull] = field(default_factory=dict)
    retry: list[str] = field(default_factory=list)  # SQS message ids

    @property
    def created(self) -> int:
        return sum(s.created for s in self.sources.values())

    @property
    def failed(self) -> list[str]:
        """The sources whose feed could not be read (recorded on them; not retried)."""
        return [source_id for source_id, s in self.sources.items() if s.error]

    def response(self) -> dict[str, list[dict[str, str]]]:
        """Lambda's SQS partial batch response (``ReportBatchItemFailures``)."""
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in self.retry]}


def enqueue_pulls(sqs: Any = None) -> int:
    """Queue one pull per registered feed, ten messages per SendMessageBatch; return how many were queued.

    Raises functions.queues.QueueSendError if SQS keeps refusing a message (the next run queues it again).
    """
    sqs = sqs or aws.client("sqs")
    sender = queues.BatchSender(sqs, queues.queue_url(sqs, settings().feed_pull_queue_name), what="feed pull")
    for source in feed_sources.list_feed_sources():
        sender.add(json.dumps({"source_id": source.id}))
    sender.flush()
    return sender.messages


def handle_pull_records(records: Any, fetch: Fetch | None = None, now: datetime | None = None) -> PullReport:
    """Pull the source of each queued message; ``records`` are Lambda's SQS records (dicts or Chalice's)."""
    # Resolved once, up front: a missing fetcher is a deployment error, not every feed's failure.
    fetch = fetch or feed_sources.safe_fetcher()
    report = PullReport()
    for record in records:
        raw = record.to_dict() if hasattr(record, "to_dict") else record
        source_id = _source_id(raw["body"])
        if source_id is None:  # retrying cannot mend it: say so and drop it
            observability.logger().warning("malformed_feed_pull", extra={"message_id": raw["messageId"]})
            continue
        try:
            result = feed_sources.pull_feed_source(source_id, fetch, now)
        except Exception:  # noqa: BLE001 - this message comes back; the others in the batch are done
            observability.logger().exception("feed_pull_not_recorded", extra={"source": source_id})
            report.retry.append(raw["messageId"])
            continue
        if result is not None:
            report.sources[source_id] = result
    return report


def _source_id(body: str) -> str | None:
    try:
        value = json.loads(body).get("source_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None
