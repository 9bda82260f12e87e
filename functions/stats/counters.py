"""Counters per link, content item, employee, team and network, per day, week, month and all time.

Maintained by the events table's stream, never on the redirect path. Each batch is folded into one
delta per counter item and written in DynamoDB transactions together with an "applied" marker per event
and a "seen" marker per unique visitor: a retried record whose marker exists is skipped, so a partial
failure can be retried without counting anything twice.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from functions import aws, observability
from functions.config import settings
from functions.events import Event, event_from_item, event_id
from functions.stats.periods import LEADERBOARD_PERIODS, period_keys

MAX_TRANSACTION_ITEMS = 100
MARKER_TTL_SECONDS = 3 * 86400  # longer than a stream record can live (24 h) and be retried
MAX_ATTEMPTS = 6
_RETRYABLE = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}


@dataclass
class StreamEvent:
    sequence_number: str
    event_id: str
    event: Event


@dataclass
class CounterItem:
    adds: Counter = field(default_factory=Counter)
    sets: dict[str, str] = field(default_factory=dict)


def stream_events(records: Iterable[dict[str, Any]]) -> list[StreamEvent]:
    """The inserted events of a DynamoDB stream batch (TTL deletions and updates are ignored)."""
    found = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        image = record["dynamodb"]["NewImage"]
        found.append(StreamEvent(record["dynamodb"]["SequenceNumber"], event_id(image), event_from_item(image)))
    return found


def counter_deltas(
    events: Iterable[Event], unique: set[int], points_per_unique: int, points_per_share: int
) -> dict[tuple[str, str], CounterItem]:
    """Fold events into one delta per counter item; ``unique`` holds the indexes of unique human clicks."""
    deltas: dict[tuple[str, str], CounterItem] = defaultdict(CounterItem)
    for index, event in enumerate(events):
        adds: Counter = Counter()
        if event.type == "share":
            adds["shares"] += 1
            points = points_per_share
        elif event.is_human_click:
            adds["human_clicks"] += 1
            points = 0
            if index in unique:
                adds["unique_human_clicks"] += 1
                points = points_per_unique
        else:
            adds["filtered_clicks"] += 1
            adds[f"filtered_{event.kind or 'bot'}"] += 1
            points = 0
        for scope, value, period, key in _counters_of(event):
            item = deltas[(f"{scope}#{value}", key)]
            item.adds.update(adds)
            if scope in ("EMP", "TEAM"):
                item.adds["points"] += points
            if scope == "EMP" and period in LEADERBOARD_PERIODS:
                # The leaderboard indexes: top K by points per period, overall and per team.
                item.sets.update(lb=key, tlb=f"{key}#{event.team}", employee_id=value, team=event.team)
    return deltas


def _counters_of(event: Event) -> Iterable[tuple[str, str, str, str]]:
    """(scope, id, period, period key) of every counter item an event changes."""
    scopes = {
        "EMP": event.employee_id,
        "TEAM": event.team,
        "LINK": event.code,
        "CONTENT": event.content_id,
        "NET": event.network,
    }
    for period, key in period_keys(event.day).items():
        for scope, value in scopes.items():
            if value:
                yield scope, value, period, key


def apply_stream_batch(records: list[dict[str, Any]], client: Any = None) -> dict[str, list[dict[str, str]]]:
    """The stream handler: count a batch, reporting the records that must be retried."""
    client = client or aws.dynamodb()
    table = settings().counters_table
    pending = stream_events(records)
    for start, chunk in _chunks(pending):
        if not _apply_chunk(chunk, client, table):
            observability.count("CounterBatchFailures")
            failed = pending[start:]
            observability.logger().warning("counter_batch_failed", extra={"retrying": len(failed)})
            return {"batchItemFailures": [{"itemIdentifier": e.sequence_number} for e in failed]}
    observability.count("EventsCounted", len(pending))
    return {"batchItemFailures": []}


def _chunks(events: list[StreamEvent]) -> Iterable[tuple[int, list[StreamEvent]]]:
    """Consecutive runs of events whose transaction stays within DynamoDB's item limit."""
    start, counters = 0, set()
    for index, stream_event in enumerate(events):
        keys = {(scope, value, key) for scope, value, _, key in _counters_of(stream_event.event)}
        # at most one applied and one unique marker per event, plus the distinct counter items
        if index > start and 2 * (index + 1 - start) + len(counters | keys) > MAX_TRANSACTION_ITEMS:
            yield start, events[start:index]
            start, counters = index, set()
        counters |= keys
    if start < len(events):
        yield start, events[start:]


def _apply_chunk(chunk: list[StreamEvent], client: Any, table: str) -> bool:
    applied: set[str] = set()  # counted by an earlier attempt: skip
    repeat_visits: set[str] = set()  # this visitor already clicked this link that day
    for attempt in range(MAX_ATTEMPTS):
        todo = [e for e in chunk if e.event_id not in applied]
        if not todo:
            return True
        items, owners = _transaction(todo, repeat_visits, table)
        try:
            client.transact_write_items(TransactItems=items)
            return True
        except client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            failed = [owners[i] for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"]
            for kind, eid in failed:
                (applied if kind == "applied" else repeat_visits).add(eid)
            if failed:
                continue
            if not any(code in _RETRYABLE for code in reasons):
                observability.logger().error("counter_transaction_cancelled", extra={"reasons": reasons})
                return False
        except client.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in _RETRYABLE and "Throttl" not in code:
                observability.logger().error("counter_transaction_failed", extra={"error": repr(exc)})
                return False
        time.sleep(min(0.05 * 2**attempt, 1.0))
    return False


def _transaction(
    chunk: list[StreamEvent], repeat_visits: set[str], table: str
) -> tuple[list[dict[str, Any]], list[tuple[str, str] | None]]:
    s = settings()
    expires = str(int(time.time()) + MARKER_TTL_SECONDS)
    items: list[dict[str, Any]] = []
    owners: list[tuple[str, str] | None] = []
    unique: set[int] = set()
    seen: set[str] = set()
    for index, stream_event in enumerate(chunk):
        items.append(_marker(table, f"APPLIED#{stream_event.event_id}", expires))
        owners.append(("applied", stream_event.event_id))
        event = stream_event.event
        if not event.is_human_click or stream_event.event_id in repeat_visits:
            continue
        visit = f"UNIQ#{event.code}#{event.day}#{event.visitor}"
        if visit in seen:
            continue
        seen.add(visit)
        unique.add(index)
        items.append(_marker(table, visit, str(int(time.time()) + 2 * 86400)))
        owners.append(("unique", stream_event.event_id))
    deltas = counter_deltas([e.event for e in chunk], unique, s.points_per_unique_human_click, s.points_per_share)
    updated_at = datetime.now(UTC).isoformat(timespec="seconds")
    for (pk, sk), delta in deltas.items():
        items.append(_update(table, pk, sk, delta, updated_at))
        owners.append(None)
    return items, owners


def _marker(table: str, pk: str, expires: str) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table,
            "Item": {"pk": {"S": pk}, "sk": {"S": "-"}, "expires_at": {"N": expires}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def _update(table: str, pk: str, sk: str, delta: CounterItem, updated_at: str) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    adds, sets = [], ["#updated_at = :updated_at"]
    names["#updated_at"] = "updated_at"
    values[":updated_at"] = {"S": updated_at}
    for i, (attr, amount) in enumerate(sorted(delta.adds.items())):
        names[f"#a{i}"] = attr
        values[f":a{i}"] = {"N": str(amount)}
        adds.append(f"#a{i} :a{i}")
    for i, (attr, text) in enumerate(sorted(delta.sets.items())):
        names[f"#s{i}"] = attr
        values[f":s{i}"] = {"S": text}
        sets.append(f"#s{i} = :s{i}")
    expression = "SET " + ", ".join(sets)
    if adds:
        expression += " ADD " + ", ".join(adds)
    return {
        "Update": {
            "TableName": table,
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }
