"""The raw event log: one item per click or share, expiring by TTL, streamed to the counters.

This module is the only one that knows how events are stored; the rest of Chorus sees ``Event``.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from functions import aws
from functions.config import settings
from functions.dynamo import from_item, to_item


@dataclass(frozen=True)
class Event:
    type: str  # "click" or "share"
    at: str  # ISO 8601 UTC, milliseconds
    employee_id: str
    content_id: str
    network: str
    team: str
    code: str
    kind: str = ""  # clicks: human / bot / preview / scanner
    reason: str = ""
    visitor: str = ""  # clicks: the daily-salted visitor hash, never an IP
    referrer_host: str | None = None
    country: str | None = None
    device: str | None = None
    method: str | None = None

    @property
    def day(self) -> str:
        return self.at[:10]

    @property
    def is_human_click(self) -> bool:
        return self.type == "click" and self.kind == "human"


def timestamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_item(event: Event, ttl_days: int) -> dict[str, Any]:
    """The DynamoDB item for an event (also what a failed write logs, so it can be replayed)."""
    prefix = "C" if event.type == "click" else "S"
    owner = event.code if event.type == "click" else event.employee_id
    at = datetime.fromisoformat(event.at.replace("Z", "+00:00"))
    expires = int((at + timedelta(days=ttl_days)).timestamp())
    return to_item(
        {
            "pk": f"{prefix}#{owner}",
            "sk": f"{event.at}#{secrets.token_hex(4)}",
            "expires_at": expires,
            **asdict(event),
        }
    )


def event_from_item(item: dict[str, Any]) -> Event:
    record = from_item(item)
    fields = Event.__dataclass_fields__
    return Event(**{k: v for k, v in record.items() if k in fields})


def event_id(item: dict[str, Any]) -> str:
    """A stable id for a stored event (its key), used to count each event exactly once."""
    return f"{item['pk']['S']}|{item['sk']['S']}"


class EventStore:
    def __init__(self, table: str | None = None, client: Any = None, ttl_days: int | None = None) -> None:
        self.table = table or settings().events_table
        self.client = client or aws.dynamodb()
        self.ttl_days = ttl_days if ttl_days is not None else settings().event_ttl_days

    def item(self, event: Event) -> dict[str, Any]:
        return event_item(event, self.ttl_days)

    def put_item(self, item: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.table, Item=item)

    def add(self, event: Event) -> None:
        self.put_item(self.item(event))

    def put(self, event: Event) -> None:
        self.put_item(self.item(event))

    def put_late(self, event: Event) -> None:
        """Write an event after its own write failed (from the click backlog), marked ``late``."""
        self.put_item({**self.item(event), "late": {"BOOL": True}})
