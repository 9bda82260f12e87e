"""The click backlog: a click whose event write failed is queued, and written once the table takes writes.

The redirect never waits for the events table to recover: when its write fails (throttled, down), it puts
the click on the ClickBacklogQueue (one SendMessage) and answers. ``write_backlog_clicks`` (app.py) takes
the queue ten messages at a time and writes each event with ``EventStore.put_late``, unless the first
write landed after all: a call can fail after DynamoDB applied it (a timeout on the response), so the
items the redirect tried to write are looked up first (one consistent BatchGetItem for the batch).

Each message stands alone. A write that fails again is reported in ``batchItemFailures``: SQS delivers
that message again after the queue's visibility timeout, and after five receives it waits in the
dead-letter queue (14 days) for an operator to redrive it. Messages not started before the invocation's
time runs short are reported the same way, so Lambda's timeout does not cut a batch in half (a batch cut
in half comes back whole, and its first half would be written twice). What remains: SQS may deliver a
message twice, and then the click is written late twice, with the same id (the counting run's duplicate
check drops the second). A message that is not a click is logged and dropped: retrying cannot mend it.

Messages (about 600 bytes): ``{"event": <the Event's fields, None left out>, "key": <the key of the item
the redirect tried to write, as DynamoDB attribute values>}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from functions import aws, observability
from functions.clock import parse_utc
from functions.config import settings
from functions.events import LOG_KEY, Event, EventStore, log_key
from functions.queues import queue_url

RESERVE_MS = 20_000  # kept back from Lambda's remaining time: a write's worst case (3 attempts of 2 + 3 s, backoff)


class BacklogMessageError(ValueError):
    """A backlog message that holds no click event: it is dropped, since retrying cannot mend it."""


@dataclass(frozen=True)
class QueuedClick:
    event: Event
    key: dict[str, Any] | None  # the key of the item whose write failed; None: unknown, not looked up


@dataclass
class BacklogReport:
    """What one invocation of the backlog worker did with its batch."""

    written: int = 0
    landed: int = 0  # in the log already: the first write had landed although it failed
    dropped: int = 0  # malformed
    retry: list[str] = field(default_factory=list)  # SQS message ids: failed, or not started in time

    def response(self) -> dict[str, list[dict[str, str]]]:
        """Lambda's SQS partial batch response (``ReportBatchItemFailures``)."""
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in self.retry]}


def queue_click(event: Event, failed_item: dict[str, Any], sqs: Any = None) -> None:
    """Put a click whose event write failed on the backlog queue, with the key of the item that failed
    (the events table's key schema: pk, sk). Raises what SQS raises."""
    sqs = sqs or aws.client("sqs")
    key = log_key(failed_item)
    sqs.send_message(QueueUrl=queue_url(sqs, settings().click_backlog_queue_name), MessageBody=message_body(event, key))


def message_body(event: Event, key: dict[str, Any]) -> str:
    values = {k: v for k, v in asdict(event).items() if v is not None}
    return json.dumps({"event": values, "key": key}, separators=(",", ":"))


def click_from_message(body: str) -> QueuedClick:
    """The click a backlog message holds; BacklogMessageError if it holds none."""
    try:
        message = json.loads(body)
    except ValueError:
        raise BacklogMessageError("not JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("event"), dict):
        raise BacklogMessageError("no event")
    key = message.get("key")
    if key is not None and not (isinstance(key, dict) and set(key) == set(LOG_KEY) and all(map(_string, key.values()))):
        raise BacklogMessageError("key is not the log's key")
    return QueuedClick(_event(message["event"]), key)


def _string(value: Any) -> bool:
    """A DynamoDB string attribute value, ``{"S": "..."}``."""
    return isinstance(value, dict) and list(value) == ["S"] and isinstance(value["S"], str) and bool(value["S"])


def _event(values: dict[str, Any]) -> Event:
    known: dict[str, Any] = {}  # each value checked against its field's type below
    for spec in fields(Event):
        value = values.get(spec.name)
        required = spec.default is MISSING and spec.default_factory is MISSING
        if value is None:
            if required:
                raise BacklogMessageError(f"event.{spec.name} is missing")
            continue
        expected = bool if isinstance(spec.default, bool) else str
        if not isinstance(value, expected) or (required and not value):
            raise BacklogMessageError(f"event.{spec.name} must be a non-empty {expected.__name__}")
        known[spec.name] = value
    event = Event(**known)
    if event.type != "click":
        raise BacklogMessageError("only clicks are queued")
    try:
        parse_utc(event.at)
    except ValueError:
        raise BacklogMessageError("event.at is not a timestamp") from None
    return event


def write_backlog_records(
    records: Any, store: EventStore | None = None, time_left_ms: Callable[[], int] | None = None
) -> BacklogReport:
    """Write the click of each queued message unless its first write landed; ``records`` are Lambda's SQS
    records (dicts or Chalice's), ``time_left_ms`` the invocation's remaining time (Lambda's context)."""
    store = store or EventStore()
    reserve = min(RESERVE_MS, time_left_ms() // 5) if time_left_ms else 0
    report = BacklogReport()
    clicks = []
    for record in records:
        raw = record.to_dict() if hasattr(record, "to_dict") else record
        try:
            clicks.append((raw["messageId"], click_from_message(raw["body"])))
        except BacklogMessageError as exc:
            observability.logger().warning(
                "malformed_click_backlog_message", extra={"message_id": raw["messageId"], "error": str(exc)}
            )
            report.dropped += 1
    try:
        landed, unknown = _stored(store, [click.key for _, click in clicks if click.key is not None])
    except Exception as exc:  # noqa: BLE001 - the whole batch comes back
        observability.logger().warning("click_backlog_check_failed", extra={"error": repr(exc)})
        report.retry += [message_id for message_id, _ in clicks]
        return report
    for message_id, click in clicks:
        key = _identity(click.key) if click.key is not None else None
        if key in unknown or (time_left_ms and time_left_ms() < reserve):
            report.retry.append(message_id)  # not started: it comes back whole
            continue
        if key in landed:
            report.landed += 1
            continue
        try:
            store.put_late(click.event)
        except Exception as exc:  # noqa: BLE001 - this message comes back; the others in the batch are done
            observability.logger().warning(
                "click_backlog_write_failed", extra={"message_id": message_id, "error": repr(exc)}
            )
            report.retry.append(message_id)
            continue
        report.written += 1
    return report


def _stored(store: EventStore, keys: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """Which of these log items exist, and which DynamoDB left unread (throttled): one consistent
    BatchGetItem for the batch (at most ten keys; a key asked twice is refused, so each is asked once)."""
    wanted = {_identity(key): key for key in keys}
    if not wanted:
        return set(), set()
    found, unread = store.which_stored(list(wanted.values()))
    return {_identity(key) for key in found}, {_identity(key) for key in unread}


def _identity(key: dict[str, Any]) -> str:
    return json.dumps(key, sort_keys=True)
