"""Digest planning at size: the time and DynamoDB reads to plan 10,000 and 20,000 due employees, and their ratio.

Each size gets a fresh in-process moto account. N employees are due at the busiest hourly run of a day
(the one with the most zones at their delivery hour), spread round-robin over those zones, 40% daily and
60% weekly on their local weekday; N/4 more are in the directory but not due (another weekday, cadence
off, offboarded, a zone where it is not 08:00), and must cost nothing. One ``enqueue_due`` run plans
and enqueues them.

Reads: moto answers every Query with 1 capacity unit whatever it read, so the bench also estimates
what DynamoDB bills: per Query page, the projected index entries' bytes rounded up to 4 KB, half a unit
per 4 KB (eventually consistent), at least half a unit. Time: moto answers a GSI Query by walking the
whole table, so its share of the time grows with the directory, not with what is read; the planner's
own time (everything but the AWS calls) is reported apart.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

SIZES = (10_000, 20_000)
DAY = datetime(2026, 3, 30, tzinfo=UTC)  # a Monday; Europe is on summer time


def run(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    from functions.clock import utc_stamp
    from infra.local.sandbox import in_process_account

    at, zones = _busiest_run()
    figures: dict[str, Any] = {"run_at": utc_stamp(at), "due_zones": zones, "sizes": {}}
    for size in sizes:
        with in_process_account(POWERTOOLS_LOG_LEVEL="ERROR"):
            figures["sizes"][size] = _plan(size, at)
    if len(sizes) >= 2:
        small, large = figures["sizes"][sizes[0]], figures["sizes"][sizes[-1]]
        figures["ratio"] = {
            key: (large[key] / small[key] if small[key] else None)
            for key in ("employees", "seconds", "planner_seconds", "queries", "estimated_rcu")
        }
    figures["day"] = _day()
    return figures


def report(figures: dict[str, Any]) -> list[str]:
    lines = [f"run at {figures['run_at']}: {figures['due_zones']} zones at their 08:00 (the busiest hour of the day)"]
    for size, f in figures["sizes"].items():
        lines.append(
            f"{size:,} due (+{f['not_due']:,} not due): {f['seconds']:.2f} s "
            f"(planner {f['planner_seconds']:.2f} s, DynamoDB/moto {f['dynamodb_seconds']:.2f} s, "
            f"SQS {f['sqs_seconds']:.2f} s); {f['queries']} Queries, ~{f['estimated_rcu']:g} RCU as billed "
            f"(moto reports {f['reported_rcu']:g}); {f['messages']} messages in {f['sqs_calls']} SendMessageBatch; "
            f"scans: {f['scans']}"
        )
    ratio = figures.get("ratio")
    if ratio:
        lines.append(
            "ratio (largest / smallest): "
            + ", ".join(f"{key} {value:.2f}" for key, value in ratio.items() if value is not None)
        )
    day = figures["day"]
    lines.append(
        f"a whole day: {day['runs']} runs Query {day['queries']:,} partitions ({day['zones']} zone names x daily + "
        f"weekday), at least {day['queries'] * 0.5:g} RCU for the empty ones; reads otherwise follow who is due"
    )
    return lines


def _busiest_run() -> tuple[datetime, int]:
    from functions.digest.plan import due_zones

    runs = [(len(due_zones(DAY + timedelta(hours=h))), DAY + timedelta(hours=h)) for h in range(24)]
    count, at = max(runs)
    return at, count


def _day() -> dict[str, int]:
    from functions.digest.plan import due_zones

    zones = [due for h in range(24) for due in due_zones(DAY + timedelta(hours=h))]
    return {"runs": 24, "zones": len(zones), "queries": 2 * len(zones)}


def _plan(size: int, at: datetime) -> dict[str, Any]:
    from functions import aws
    from functions.digest.plan import due_zones, enqueue_due
    from functions.directory.model import WEEKDAYS, Employee
    from functions.directory.store import EmployeeStore

    due = due_zones(at)
    idle_zone = next(z for z in ("Pacific/Honolulu", "America/Los_Angeles", "UTC") if z not in {d.zone for d in due})
    people = []
    for n in range(size):
        zone = due[n % len(due)]
        cadence = "daily" if n % 5 < 2 else f"weekly:{WEEKDAYS[zone.local_date.weekday()]}"
        people.append(
            Employee(
                id=f"due{n:06d}",
                email=f"due{n}@example.com",
                name=f"D{n}",
                team="T",
                timezone=zone.zone,
                digest_cadence=cadence,
            )
        )
    not_due = size // 4
    for n in range(not_due):
        zone = due[n % len(due)]
        other_day = WEEKDAYS[(zone.local_date.weekday() + 1 + n % 6) % 7]
        variants: list[dict[str, Any]] = [
            {"timezone": zone.zone, "digest_cadence": f"weekly:{other_day}"},
            {"timezone": zone.zone, "digest_cadence": "off"},
            {"timezone": zone.zone, "digest_cadence": "daily", "active": False},
            {"timezone": idle_zone, "digest_cadence": "daily"},
        ]
        people.append(
            Employee(id=f"idle{n:06d}", email=f"idle{n}@example.com", name=f"I{n}", team="T", **variants[n % 4])
        )
    EmployeeStore().put_many(people)  # BatchWriteItem, 25 per call

    reads = _ReadEstimate()
    dynamodb = _Timed(aws.dynamodb(), reads)
    sqs = _Timed(aws.client("sqs"))
    started = time.perf_counter()
    try:
        outcome = enqueue_due(at, dynamodb=aws.dynamodb(), sqs=aws.client("sqs"))
    finally:
        dynamodb.close()
        sqs.close()
    seconds = time.perf_counter() - started
    return {
        "employees": outcome.employees,
        "not_due": not_due,
        "seconds": seconds,
        "planner_seconds": seconds - dynamodb.seconds - sqs.seconds,
        "dynamodb_seconds": dynamodb.seconds,
        "sqs_seconds": sqs.seconds,
        "queries": outcome.dynamodb_queries,
        "scans": dynamodb.calls["Scan"],
        "reported_rcu": outcome.read_capacity,
        "estimated_rcu": reads.rcu,
        "messages": outcome.messages,
        "sqs_calls": outcome.sqs_calls,
    }


class _Timed:
    """Times every call a real client makes, through botocore's own events: no proxy that can fall behind the code.

    ``on_result(operation, params, response)`` sees each call's parameters and parsed response.
    """

    def __init__(self, client: Any, on_result: Callable[[str, Any, Any], None] | None = None) -> None:
        self.client = client
        self.seconds = 0.0
        self.calls: Counter[str] = Counter()
        self._on_result = on_result
        prefix = client.meta.service_model.endpoint_prefix
        self._events = (f"before-parameter-build.{prefix}.*", f"after-call.{prefix}.*")
        handlers: tuple[Callable[..., None], ...] = (self._before, self._after)
        for event, handler in zip(self._events, handlers, strict=True):
            client.meta.events.register(event, handler, unique_id=f"{event}-{id(self)}")

    def _before(self, params: Any, context: Any, model: Any, **_: Any) -> None:
        context["bench_started"] = time.perf_counter()
        context["bench_params"] = dict(params)

    def _after(self, parsed: Any, context: Any, model: Any, **_: Any) -> None:
        self.seconds += time.perf_counter() - context.get("bench_started", time.perf_counter())
        self.calls[model.name] += 1
        if self._on_result:
            self._on_result(model.name, context.get("bench_params", {}), parsed)

    def close(self) -> None:
        for event in self._events:
            self.client.meta.events.unregister(event, unique_id=f"{event}-{id(self)}")


class _ReadEstimate:
    """The read units DynamoDB would bill for the planner's Queries on the keys-only ``digest_due`` index."""

    def __init__(self) -> None:
        self.rcu = 0.0

    def __call__(self, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        from functions.directory.store import DIGEST_SLOT

        if operation != "Query" or params.get("IndexName") != "digest_due":
            return
        slot = params["ExpressionAttributeValues"][":slot"]["S"]
        # A keys-only index entry: digest_slot and id, names and values (the projection trims only the response).
        entry = len(DIGEST_SLOT) + len(slot.encode()) + len("id")
        read = sum(entry + len(item["id"]["S"].encode()) for item in response.get("Items", []))
        self.rcu += max(1, math.ceil(read / 4096)) * 0.5


if __name__ == "__main__":
    import sys

    from bench.common import ROOT  # noqa: F401  (puts the repo on sys.path)

    for line in report(run(tuple(int(a) for a in sys.argv[1:]) or SIZES)):
        print(line)
