"""The raw event log: one item per click or share, in time buckets spread over shards, expiring by TTL.

Each event is written once, to ``T#<bucket>#<shard>`` / ``<at>#<id>``: ``<bucket>`` is the time the item
was written, floored to ``EVENT_BUCKET_SECONDS`` (``2026-11-23T08:05:00Z``), and ``<shard>`` comes from the
event's random id, so the clicks of one viral link spread over ``EVENT_SHARDS`` partitions instead of one
(each takes about 1,000 writes a second). The counting run reads a closed slice of buckets back, shard by
shard (``slice``); no stream, no per-event marker. Because the bucket is the write time, an item always
lands in a bucket whose slice is still open: a slice is counted only ``COUNT_GRACE_SECONDS`` after its end.

A share is also written under the employee, ``S#<employee>`` / ``<day>#<content>#<network>``, so a digest
can ask what someone already shared (``shared_by``) without reading the log.

This module is the only one that knows how events are stored; the rest of Chorus sees ``Event``.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from functions import aws
from functions.clock import from_epoch, parse_utc, utc_stamp
from functions.config import settings
from functions.dynamo import from_item, to_item

LOG_KEY = ("pk", "sk")  # infra/template.yaml's EventsTable KeySchema


@dataclass(frozen=True)
class Event:
    type: str  # "click", "share", "seen" (an employee opened the site or a share link) or "digest" (one sent)
    at: str  # ISO 8601 UTC, milliseconds
    employee_id: str
    content_id: str
    network: str
    team: str
    code: str
    kind: str = ""  # human / bot / preview / scanner
    reason: str = ""
    visitor: str = ""  # the daily-salted visitor hash, never an IP
    referrer_host: str | None = None
    country: str | None = None
    device: str | None = None
    method: str | None = None
    id: str = ""  # 16 hex chars from secrets.token_hex(8), set where the event is made (EventStore fills it if empty)
    ip: str = ""  # daily-salted HMAC of the source address alone (16 hex): the address cap's "same network"
    late: bool = False  # written from the click backlog after its first write failed
    source: str = ""  # a share: "digest" when opened from a digest's link (the KPIs' digest funnel)

    @property
    def day(self) -> str:
        return self.at[:10]

    @property
    def is_human_click(self) -> bool:
        return self.type == "click" and self.kind == "human"


def now() -> float:
    """The clock events are bucketed by and slices are closed by (epoch seconds; tests move it)."""
    return time.time()


def timestamp(moment: datetime) -> str:
    """An event's ``at``: UTC to the millisecond, so the clicks of one second keep their order in the log."""
    return utc_stamp(moment, timespec="milliseconds")


def new_event_id() -> str:
    return secrets.token_hex(8)


def bucket_name(epoch_seconds: float, bucket_seconds: int) -> str:
    """The bucket a moment falls in: ``2026-11-23T08:05:00Z`` for 08:05:37 with 60-second buckets."""
    start = int(epoch_seconds // bucket_seconds * bucket_seconds)
    return utc_stamp(from_epoch(start))


def shard_of(event_id: str, shards: int) -> int:
    return int(event_id[:8], 16) % shards


def event_item(event: Event, ttl_days: int, written_at: float, bucket_seconds: int, shards: int) -> dict[str, Any]:
    """The log item of an event written at ``written_at`` (also what a failed write logs, to replay it)."""
    if not event.id:
        event = replace(event, id=new_event_id())
    bucket = bucket_name(written_at, bucket_seconds)
    return to_item(
        {
            "pk": f"T#{bucket}#{shard_of(event.id, shards)}",
            "sk": f"{event.at}#{event.id}",
            "expires_at": _expiry(event.at, ttl_days),
            **asdict(event),
        }
    )


def log_key(item: dict[str, Any]) -> dict[str, Any]:
    """The key of a log item (what a failed write hands the click backlog, to ask later whether it landed)."""
    return {name: item[name] for name in LOG_KEY}


def event_from_item(item: dict[str, Any]) -> Event:
    record = from_item(item)
    fields = Event.__dataclass_fields__
    return Event(**{k: v for k, v in record.items() if k in fields})


def _expiry(at: str, ttl_days: int) -> int:
    return int((parse_utc(at) + timedelta(days=ttl_days)).timestamp())


class EventStore:
    def __init__(
        self,
        table: str | None = None,
        client: Any = None,
        ttl_days: int | None = None,
        bucket_seconds: int | None = None,
        shards: int | None = None,
    ) -> None:
        s = settings()
        self.table = table or s.events_table
        self.client = client or aws.dynamodb()
        self.ttl_days = ttl_days if ttl_days is not None else s.event_ttl_days
        self.bucket_seconds = bucket_seconds or s.event_bucket_seconds
        self.shards = shards or s.event_shards

    def item(self, event: Event) -> dict[str, Any]:
        """The log item, keyed by the clock now: build it right before writing it."""
        return event_item(event, self.ttl_days, now(), self.bucket_seconds, self.shards)

    def put_item(self, item: dict[str, Any]) -> None:
        self.client.put_item(**self.put_request(item))

    def put_request(self, item: dict[str, Any]) -> dict[str, Any]:
        """The Put that writes a log item (for a transaction): build it right before writing, as ``item``."""
        return {"TableName": self.table, "Item": item}

    def put(self, event: Event) -> dict[str, Any]:
        """Write an event to the log; returns the item written."""
        item = self.item(event)
        self.put_item(item)
        return item

    def put_late(self, event: Event) -> dict[str, Any]:
        """Write an event whose first write failed: into the bucket open now, marked ``late``, same id."""
        return self.put(replace(event, late=True))

    def stored(self, item: dict[str, Any]) -> bool:
        """Whether this exact log item (its key) is in the table: did a write that seemed to fail land?"""
        found = self.client.get_item(
            TableName=self.table, Key=log_key(item), ProjectionExpression="pk", ConsistentRead=True
        )
        return "Item" in found

    def which_stored(self, keys: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Of these log keys (at most 100, none twice), those in the table and those DynamoDB left unread
        (throttled): one consistent BatchGetItem."""
        response = self.client.batch_get_item(RequestItems={self.table: {"Keys": keys, "ConsistentRead": True}})
        found = [log_key(item) for item in response["Responses"].get(self.table, [])]
        return found, response.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])

    def add(self, event: Event) -> None:
        """Record an event: the log item, and for a share the employee's own record of it."""
        self.put(event)
        if event.type == "share":
            self.client.put_item(
                TableName=self.table,
                Item=to_item(
                    {
                        "pk": f"S#{event.employee_id}",
                        "sk": f"{event.day}#{event.content_id}#{event.network}",
                        "content_id": event.content_id,
                        "network": event.network,
                        "at": event.at,
                        "expires_at": _expiry(event.at, self.ttl_days),
                    }
                ),
            )

    def buckets(self, start: int, end: int) -> list[str]:
        """The buckets that begin in ``[start, end)`` (epoch seconds)."""
        first = math.ceil(start / self.bucket_seconds) * self.bucket_seconds
        return [bucket_name(b, self.bucket_seconds) for b in range(first, end, self.bucket_seconds)]

    def slice(self, start: int, end: int) -> Iterator[Event]:
        """Every event written in a bucket that begins in ``[start, end)``, bucket by bucket."""
        for bucket in self.buckets(start, end):
            yield from self.bucket(bucket)

    def bucket(self, bucket: str) -> Iterator[Event]:
        """Every event written in one bucket: one paged Query per shard."""
        for shard in range(self.shards):
            kwargs: dict[str, Any] = {
                "TableName": self.table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": f"T#{bucket}#{shard}"}},
            }
            while True:
                page = self.client.query(**kwargs)
                for item in page.get("Items", []):
                    yield event_from_item(item)
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def shared_by(self, employee_id: str, since: date | str | None = None) -> set[str]:
        """The content ids this employee shared (on any network) since a day, or ever: one paged Query."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"S#{employee_id}"}},
            "ProjectionExpression": "content_id",
        }
        if since is not None:
            kwargs["KeyConditionExpression"] += " AND sk >= :since"
            kwargs["ExpressionAttributeValues"][":since"] = {"S": str(since)}
        shared: set[str] = set()
        while True:
            page = self.client.query(**kwargs)
            shared.update(item["content_id"]["S"] for item in page.get("Items", []) if "content_id" in item)
            if "LastEvaluatedKey" not in page:
                return shared
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
