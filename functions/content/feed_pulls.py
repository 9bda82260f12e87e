"""Pulling registered feeds into draft content items, fanned out through a queue.

This module owns a pull: fetching a source's feed through functions.web.fetch, turning each entry that
functions.content.feed_parsing reads into a draft through the content store (the canonical URL's content id
makes a second pull, or the same article in another feed, a duplicate rather than a second item), and
recording how it went on the source (``last_pulled_at``, ``last_error``, ``consecutive_failures``,
``items_created``) through functions.content.feed_store.

Why a queue: pulled one after another inside one Lambda, a few slow feeds (up to 5 s each, the fetcher's
limit) outlast its timeout and the feeds after them are never pulled. The hourly schedule queues one message
per source (``enqueue_pulls``), so every pull has its own invocation and time; the worker Lambda takes one
message at a time (app.py), and each pull is bounded by the fetcher's 5 s, far inside its timeout.

A broken feed is not a failed message: its error is recorded on the source and the message is done. A
message fails only when recording fails (DynamoDB throttled or down): it is reported in
``batchItemFailures``, comes back after the queue's visibility timeout, and after three tries waits in the
dead-letter queue. A source removed after it was queued is skipped.

Messages: ``{"source_id": "…"}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from functions import aws, observability, queues
from functions.clock import utc_stamp
from functions.config import settings
from functions.content.feed_parsing import FeedEntry, read_feed
from functions.content.feed_store import FeedSource, FeedSourceStore
from functions.content.model import ContentItem, ContentValidationError, new_content
from functions.content.store import ContentExistsError, ContentStore
from functions.content.urls import content_id_for_url

MAX_ERROR = 300

Fetch = Callable[[str], bytes]


@dataclass
class SourcePull:
    """How one pull of one source went."""

    created: int = 0
    duplicates: int = 0
    skipped: int = 0
    error: str | None = None


# --- Fanned out through the queue -------------------------------------------------------------------


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
    for source in FeedSourceStore().all():
        sender.add(json.dumps({"source_id": source.id}))
    sender.flush()
    return sender.messages


def handle_pull_records(records: Any, fetch: Fetch | None = None, now: datetime | None = None) -> PullReport:
    """Pull the source of each queued message; ``records`` are Lambda's SQS records (dicts or Chalice's)."""
    # Resolved once, up front: a missing fetcher is a deployment error, not every feed's failure.
    fetch = fetch or safe_fetcher()
    report = PullReport()
    for record in records:
        raw = record.to_dict() if hasattr(record, "to_dict") else record
        source_id = _source_id(raw["body"])
        if source_id is None:  # retrying cannot mend it: say so and drop it
            observability.logger().warning("malformed_feed_pull", extra={"message_id": raw["messageId"]})
            continue
        try:
            result = pull_feed_source(source_id, fetch, now)
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


# --- One source --------------------------------------------------------------------------------------


def safe_fetcher() -> Fetch:
    """Feeds read through functions.web.fetch (SSRF-safe, 5 s, size cap) with the feed media types."""
    from functions.web.fetch import FEED_POLICY, fetch_page

    def fetch(url: str) -> bytes:
        page = fetch_page(url, policy=FEED_POLICY)
        if page.truncated:  # a feed cut mid-entry would import half an article
            raise ValueError("the feed is larger than the fetcher reads")
        return page.body

    return fetch


def pull_feed_source(
    source_id: str,
    fetch: Fetch,
    now: datetime | None = None,
    store: ContentStore | None = None,
    sources: FeedSourceStore | None = None,
) -> SourcePull | None:
    """Pull one registered feed now and record how it went on it; None if it is no longer registered.

    A broken feed is not an error here: its error is recorded on the source (``last_error``,
    ``consecutive_failures``). Only failing to read or update the source itself raises, so the caller
    can retry.
    """
    sources = sources or FeedSourceStore()
    source = sources.get(source_id)
    if source is None:
        return None
    result = _pull_one(source, fetch, store or ContentStore())
    sources.record_pull(source.id, utc_stamp(now), result.created, result.error)
    return result


def draft_from(entry: FeedEntry, source: FeedSource) -> ContentItem:
    """The draft content item for a feed entry (raises ContentValidationError)."""
    return new_content(
        url=entry.url,
        title=entry.title,
        language=source.language,
        summary=entry.summary,
        image_url=entry.image_url,
        topics=source.topics,
        kind=source.kind,
        status="draft",
        content_id=content_id_for_url(entry.url),
        actor=f"feed:{source.id}",
    )


def _pull_one(source: FeedSource, fetch: Fetch, store: ContentStore) -> SourcePull:
    result = SourcePull()
    try:
        reading = read_feed(fetch(source.url), source.url)
        result.skipped = reading.skipped
        result.error = reading.error
        for entry in reading.entries:
            try:
                store.add(draft_from(entry, source))
            except ContentValidationError:
                result.skipped += 1
            except ContentExistsError:
                result.duplicates += 1
            else:
                result.created += 1
    except Exception as exc:  # noqa: BLE001 - whatever breaks one feed is recorded on it; the others go on
        result.error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    if result.error:
        observability.logger().warning("feed_pull_failed", extra={"source": source.id, "error": result.error})
    return result
