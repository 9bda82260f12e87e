"""A realistic click load for the counting run, slice by slice: what tests and `make bench` measure it on.

Clicks spread Zipf-like (s = 1) over 5,000 short links held by 2,000 employees in 20 teams, 70% human (the
rest bots, link previews and mail scanners), some visitors coming back; at 1 million clicks a day a
5-minute slice holds about 3,600. Each slice's events are written to the log as the redirect writes them
(with BatchWriteItem here, to set up quickly: their cost is 1 write unit each, counted apart), then one
counting run counts that slice. Call inside an account (``infra.local.sandbox.in_process_account``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

LINKS = 5_000
EMPLOYEES = 2_000
TEAMS = 20
CLICKS_PER_SLICE = 3_600  # 1 million a day in 5-minute slices
FILTERED = (("bot", "crawler"), ("preview", "link_preview"), ("scanner", "mail_scanner"))
NETWORKS = ("linkedin", "x", "facebook", "whatsapp", "email")


@dataclass(frozen=True)
class Link:
    code: str
    employee: str
    team: str
    content: str
    network: str


@dataclass
class SliceLoad:
    """What one slice wrote to the log and what counting it cost (a functions.stats.counting.CountingReport)."""

    clicks: int
    event_write_units: int
    report: Any

    @property
    def counting_write_units_per_click(self) -> float:
        return self.report.usage.write_units / self.clicks

    @property
    def read_units_per_click(self) -> float:
        return self.report.usage.read_units / self.clicks


def links(rng: random.Random, count: int = LINKS, employees: int = EMPLOYEES, teams: int = TEAMS) -> list[Link]:
    made = []
    for n in range(count):
        employee = rng.randrange(employees)
        made.append(
            Link(
                code=f"L{n:07d}",
                employee=f"emp{employee:05d}",
                team=f"team{employee % teams:02d}",
                content=f"item{rng.randrange(400):04d}",
                network=rng.choice(NETWORKS),
            )
        )
    return made


def count_slices(
    slices: int = 1,
    clicks: int = CLICKS_PER_SLICE,
    seed: int = 7,
    start: datetime | None = None,
    link_count: int = LINKS,
    employees: int = EMPLOYEES,
) -> Iterator[SliceLoad]:
    """Write ``slices`` consecutive slices of clicks and count each right after it closes."""
    from functions.config import settings
    from functions.stats.counting import run_once

    s = settings()
    rng = random.Random(seed)
    made = links(rng, link_count, employees)
    weights = [1 / rank for rank in range(1, len(made) + 1)]
    seen: dict[str, list[str]] = {}
    begin = int((start or datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)).timestamp())
    begin -= begin % s.count_slice_seconds
    run_once(at=begin + s.count_grace_seconds)  # the checkpoint: counting starts with the first slice
    for n in range(slices):
        slice_start = begin + n * s.count_slice_seconds
        chosen = rng.choices(made, weights=weights, k=clicks)
        units = _write(chosen, slice_start, s.count_slice_seconds, rng, seen)
        report = run_once(at=slice_start + s.count_slice_seconds + s.count_grace_seconds)
        yield SliceLoad(clicks, units, report)


def _write(chosen: list[Link], slice_start: int, slice_seconds: int, rng: random.Random, seen: dict) -> int:
    from functions import aws
    from functions.config import settings
    from functions.events import Event, event_item, timestamp
    from functions.stats.meter import item_size, write_units

    s = settings()
    items, units = [], 0
    for n, link in enumerate(chosen):
        moment = slice_start + n * slice_seconds / len(chosen)
        visitors = seen.setdefault(link.code, [])
        if rng.random() < 0.7:
            kind, reason = "human", ""
            visitor = rng.choice(visitors) if visitors and rng.random() < 0.15 else f"{rng.getrandbits(64):016x}"
            visitors.append(visitor)
        else:
            (kind, reason), visitor = rng.choice(FILTERED), f"{rng.getrandbits(64):016x}"
        event = Event(
            type="click",
            at=timestamp(datetime.fromtimestamp(moment, UTC)),
            employee_id=link.employee,
            content_id=link.content,
            network=link.network,
            team=link.team,
            code=link.code,
            kind=kind,
            reason=reason,
            visitor=visitor,
            referrer_host="www.linkedin.com",
            country="PL",
            device="mobile",
            method="GET",
            id=f"{rng.getrandbits(64):016x}",
            ip=f"{rng.getrandbits(64):016x}",
        )
        item = event_item(event, s.event_ttl_days, moment, s.event_bucket_seconds, s.event_shards)
        units += write_units(item_size(item))
        items.append({"PutRequest": {"Item": item}})
    client = aws.dynamodb()
    for start in range(0, len(items), 25):
        request = {s.events_table: items[start : start + 25]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    return units
