"""Who is due for a digest at an hourly run, and putting them on the digest queue in batches.

When is "due": an employee's digest for local date D is due at the instant T(D) when D's delivery hour
(default 08:00) begins in their time zone. A run at ``now`` takes the instants in the hour that ends at
its own hour, ``(floor(now) - 1 h, floor(now)]``. Consecutive hourly runs cover time without gaps or
overlaps and T(D) is one instant per date, so every (zone, local date) is caught by exactly one run, in
whole-hour zones at 08:00 sharp and in half- or quarter-hour zones (Asia/Kolkata, Asia/Kathmandu,
Australia/Adelaide) at 08:30 or 08:45 local. Across DST: a delivery hour that does not exist that day
(a spring-forward gap) is delivered as soon as the day's clock passes it; one that happens twice (fall
back) goes out at its first occurrence (``fold=0``). A date a zone skipped entirely (Samoa, 2011) gets
nothing. A run that fails and is retried within the hour plans the same employees again; the sender's
exactly-once claim per (employee, period) makes that harmless. A run that never happens is not caught up.

Finding them without a Scan: the directory keeps a sparse ``digest_due`` index keyed by
``<zone>#daily`` / ``<zone>#<weekday>`` (see functions.directory.store). A run lists the zones where
the delivery hour has just begun (about 25 of the ~600 zone names, at most ~65) and Queries two
partitions of each: the zone's daily readers and its weekly readers of that local weekday. Reads grow
with the number of employees due, not with the directory.

Periods: daily digests are keyed by the local date (``2026-11-22``), weekly ones by its ISO week
(``2026-W47``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from functools import cache
from typing import TYPE_CHECKING, Any

from functions.clock import utc_stamp
from functions.directory.model import WEEKDAYS

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

DEFAULT_HOUR = 8
DEFAULT_BATCH = 50  # employees per queue message: what one worker invocation renders and sends
MAX_BATCH = 200  # keeps ten messages well under SendMessageBatch's 256 KB
HOUR = timedelta(hours=1)


class DigestEnqueueError(RuntimeError):
    """SQS kept refusing messages; ``report`` says what was enqueued before (re-running the hour is safe)."""

    def __init__(self, message: str, report: EnqueueReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class DueZone:
    """A time zone whose delivery hour for ``local_date`` began in the run's hour."""

    zone: str
    local_date: date


@dataclass(frozen=True)
class DueEmployee:
    employee_id: str
    period: str  # "2026-11-22" (daily) or "2026-W47" (weekly)
    zone: str
    local_date: date


@dataclass
class PlanStats:
    """What a planning run read: filled in as ``due_employees`` is consumed."""

    zones: int = 0
    queries: int = 0
    read_capacity: float = 0.0  # as DynamoDB reports it (ReturnConsumedCapacity)


@dataclass(frozen=True)
class EnqueueReport:
    run_at: str
    employees: int
    messages: int
    sqs_calls: int
    dynamodb_queries: int
    read_capacity: float
    zones: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)  # employees by cadence: daily, weekly


def run_hour(now: datetime) -> datetime:
    """The run's hour in UTC: a run a few seconds or minutes late plans the same employees."""
    moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def delivery_instant(zone: str, day: date, hour: int = DEFAULT_HOUR) -> datetime | None:
    """When ``day``'s digest is due in ``zone`` (UTC); None if the zone skipped that date altogether."""
    tz = _zone(zone)
    instant = datetime.combine(day, clock(hour), tzinfo=tz).astimezone(UTC)  # fold=0: a repeated hour's first
    if instant.astimezone(tz).date() != day:
        return None
    return instant


def due_zones(now: datetime, hour: int = DEFAULT_HOUR, zones: Iterable[str] | None = None) -> list[DueZone]:
    """The zones (all known ones by default) whose delivery hour began in the hour ending at ``run_hour(now)``."""
    if not 0 <= hour <= 23:
        raise ValueError(f"the delivery hour must be 0 to 23, got {hour}")
    end = run_hour(now)
    due = []
    for zone in sorted(known_zones() if zones is None else zones):
        today = end.astimezone(_zone(zone)).date()
        for day in (today - timedelta(days=1), today):
            instant = delivery_instant(zone, day, hour)
            if instant is not None and end - HOUR < instant <= end:
                due.append(DueZone(zone, day))
    return due


@cache
def _zone(name: str) -> ZoneInfo:
    # Held for the process: zoneinfo's own cache keeps only the last 8 zones, and a run walks ~600.
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


@cache
def known_zones() -> frozenset[str]:
    """Every zone name an employee's ``timezone`` can hold (the directory validates against the same list)."""
    import zoneinfo

    loadable = set()
    for name in zoneinfo.available_timezones():
        try:
            zoneinfo.ZoneInfo(name)
        except (ValueError, OSError):  # a broken or odd file in the system's tz database
            continue
        loadable.add(name)
    return frozenset(loadable)


def daily_period(day: date) -> str:
    return day.isoformat()


def weekly_period(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def period_days(period: str) -> tuple[date, date]:
    """The first and last local date a period key covers; ValueError if it is not one."""
    if "-W" in period:
        year, week = period.split("-W")
        first = date.fromisocalendar(int(year), int(week), 1)
        return first, first + timedelta(days=6)
    day = date.fromisoformat(period)
    return day, day


def due_employees(
    now: datetime,
    hour: int = DEFAULT_HOUR,
    *,
    client: Any = None,
    table: str | None = None,
    stats: PlanStats | None = None,
    zones: Iterable[str] | None = None,
    everyone: bool = False,
) -> Iterator[DueEmployee]:
    """Active employees whose digest is due at this hourly run, with their period; Queries only, never a Scan.

    ``everyone``: every employee whose digests are on, whatever the hour and weekday, for their current
    period (``make digest ALL=1``): every zone's daily and seven weekly partitions, so ~4,800 Queries.
    """
    from functions.directory.store import EmployeeStore

    directory = EmployeeStore(table=table, client=client)
    stats = stats if stats is not None else PlanStats()
    if zones is None:  # only zones someone lives in; every zone for a directory older than that record
        zones = directory.zones_in_use()
    if everyone:
        moment = now.astimezone(UTC)
        zone_days = [DueZone(zone, moment.astimezone(_zone(zone)).date()) for zone in sorted(zones or known_zones())]
    else:
        zone_days = due_zones(now, hour, zones)
    for due in zone_days:
        stats.zones += 1
        weekdays = WEEKDAYS if everyone else (WEEKDAYS[due.local_date.weekday()],)
        slots = [("daily", daily_period(due.local_date))]
        slots += [(day, weekly_period(due.local_date)) for day in weekdays]
        for day, period in slots:
            for employee_ids, read_capacity in directory.due_in_slot(due.zone, day):
                stats.queries += 1
                stats.read_capacity += read_capacity
                for employee_id in employee_ids:
                    yield DueEmployee(employee_id, period, due.zone, due.local_date)


def enqueue_due(
    now: datetime,
    hour: int = DEFAULT_HOUR,
    sqs: Any = None,
    batch_size: int = DEFAULT_BATCH,
    *,
    dynamodb: Any = None,
    pause: Callable[[float], None] = time.sleep,
    everyone: bool = False,
) -> EnqueueReport:
    """Put every employee due at this run on the digest queue, ``batch_size`` per message, ten messages per call.

    Renders nothing. Raises DigestEnqueueError if SQS keeps refusing a message after retries.
    """
    from functions import aws, queues
    from functions.config import settings

    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch_size must be 1 to {MAX_BATCH}, got {batch_size}")
    started = time.perf_counter()
    sqs = sqs or aws.client("sqs")
    queue_url = queues.queue_url(sqs, settings().digest_queue_name)
    stats = PlanStats()
    sender = queues.BatchSender(sqs, queue_url, pause, what="digest batch")
    counts = {"daily": 0, "weekly": 0}
    batch: list[DueEmployee] = []

    def report() -> EnqueueReport:
        return EnqueueReport(
            run_at=utc_stamp(run_hour(now)),
            employees=sum(counts.values()),
            messages=sender.messages,
            sqs_calls=sender.calls,
            dynamodb_queries=stats.queries,
            read_capacity=stats.read_capacity,
            zones=stats.zones,
            seconds=time.perf_counter() - started,
            counts=dict(counts),
        )

    try:
        for due in due_employees(now, hour, client=dynamodb, stats=stats, everyone=everyone):
            counts["weekly" if "-W" in due.period else "daily"] += 1
            batch.append(due)
            if len(batch) == batch_size:
                sender.add(encode_batch(batch))
                batch = []
        if batch:
            sender.add(encode_batch(batch))
        sender.flush()
    except queues.QueueSendError as exc:
        raise DigestEnqueueError(str(exc), report()) from None
    return report()


def encode_batch(due: Iterable[DueEmployee]) -> str:
    """A queue message, as functions.digest.deliver.parse_batch reads it: ``{"employees": [{"employee_id": …,
    "period": …}, …]}``."""
    pairs = [{"employee_id": d.employee_id, "period": d.period} for d in due]
    return json.dumps({"employees": pairs}, separators=(",", ":"))
