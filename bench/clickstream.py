"""A realistic day of clicks, the same for every counting benchmark and every design they compare.

Clicks arrive at a steady rate (1 million a day is ≈ 12 a second), spread Zipf-like (s = 1) over 5,000
short links held by 2,000 employees in 20 teams; 70% are people (the rest bots, link previews and mail
scanners); some people come back to a link they opened (15%), and visitors share networks (offices,
mobile carriers) so that addresses repeat. ``hot=True`` sends every click to one link instead.

``count_slices`` writes a stream to the event log as the redirect writes it (each click into the bucket and
shard of its time) and runs the real counting run (``functions.stats.counting.run_once``) as each slice
closes, as the schedule would: call it inside an account (``infra.local.sandbox.in_process_account``).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

LINKS = 5_000
EMPLOYEES = 2_000
TEAMS = 20
CONTENT = 400
NETWORKS = ("linkedin", "x", "facebook", "whatsapp", "email")
PER_SECOND = 1_000_000 / 86_400  # 1 million clicks a day
FILTERED = (("bot", "crawler_agent:bot"), ("preview", "link_preview:linkedin"), ("scanner", "head_request"))
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday morning


@dataclass(frozen=True)
class Link:
    code: str
    employee: str
    team: str
    content: str
    network: str


@dataclass(frozen=True)
class Click:
    at: datetime
    link: Link
    kind: str
    reason: str
    visitor: str
    ip: str


def links(rng: random.Random) -> list[Link]:
    teams = [f"team{t:02d}" for t in range(TEAMS)]
    made = []
    for n in range(LINKS):
        employee = rng.randrange(EMPLOYEES)
        made.append(
            Link(
                code=f"L{n:07d}",
                employee=f"emp{employee:05d}",
                team=teams[employee % TEAMS],
                content=f"item{rng.randrange(CONTENT):04d}",
                network=rng.choice(NETWORKS),
            )
        )
    return made


def clicks(seconds: float, *, hot: bool = False, per_second: float = PER_SECOND, seed: int = 7) -> list[Click]:
    """``seconds`` of clicks at ``per_second``, in arrival order."""
    rng = random.Random(seed)
    pool = links(rng)
    weights = [1 / rank for rank in range(1, LINKS + 1)]
    count = int(seconds * per_second)
    chosen = [pool[0]] * count if hot else rng.choices(pool, weights=weights, k=count)
    returning: dict[str, list[tuple[str, str]]] = {}
    networks = [f"{rng.getrandbits(64):016x}" for _ in range(max(count // 3, 1))]
    made = []
    for n, link in enumerate(chosen):
        at = START + timedelta(seconds=n / per_second)
        seen = returning.setdefault(link.code, [])
        if rng.random() < 0.7:
            kind, reason = "human", ""
            if seen and rng.random() < 0.15:
                visitor, ip = rng.choice(seen)
            else:
                visitor, ip = f"{rng.getrandbits(128):032x}", rng.choice(networks)
                seen.append((visitor, ip))
        else:
            kind, reason = rng.choice(FILTERED)
            visitor, ip = f"{rng.getrandbits(128):032x}", rng.choice(networks)
        made.append(Click(at, link, kind, reason, visitor, ip))
    return made


@dataclass
class SliceLoad:
    """One slice of the stream: its clicks, what writing them to the log cost, and the counting run's report
    (a ``functions.stats.counting.CountingReport``: its usage holds every AWS call and unit it spent)."""

    clicks: int
    event_write_units: int
    report: Any

    @property
    def counting_write_units_per_click(self) -> float:
        return self.report.usage.write_units / self.clicks

    @property
    def read_units_per_click(self) -> float:
        return self.report.usage.read_units / self.clicks


def count_slices(stream: list[Click]) -> Iterator[SliceLoad]:
    """Write the stream slice by slice and count each slice right after it closes (and its grace)."""
    from functions.config import settings
    from functions.stats.counting import run_once

    s = settings()
    slices: dict[int, list[Click]] = {}
    for click in stream:
        start = int(click.at.timestamp())
        slices.setdefault(start - start % s.count_slice_seconds, []).append(click)
    first = min(slices)
    run_once(at=first + s.count_grace_seconds)  # the checkpoint: counting starts with the first slice
    for start in range(first, max(slices) + 1, s.count_slice_seconds):
        chosen = slices.get(start, [])
        units = _write(chosen)
        report = run_once(at=start + s.count_slice_seconds + s.count_grace_seconds)
        yield SliceLoad(len(chosen), units, report)


def _write(chosen: list[Click]) -> int:
    """Put each click's log item where the redirect would (BatchWriteItem, to set up quickly: the items and
    their write units are the redirect's PutItems'); returns those write units."""
    from functions import aws
    from functions.config import settings
    from functions.dynamo import put_all
    from functions.events import Event, event_item, timestamp
    from functions.stats.meter import item_size, write_units

    s = settings()
    items, units = [], 0
    for click in chosen:
        link = click.link
        event = Event(
            type="click",
            at=timestamp(click.at),
            employee_id=link.employee,
            content_id=link.content,
            network=link.network,
            team=link.team,
            code=link.code,
            kind=click.kind,
            reason=click.reason,
            visitor=click.visitor,
            referrer_host="www.linkedin.com",
            country="PL",
            device="mobile",
            method="GET",
            id=hashlib.blake2b(f"{click.at.isoformat()} {click.visitor}".encode(), digest_size=8).hexdigest(),
            ip=click.ip,
        )
        item = event_item(event, s.event_ttl_days, click.at.timestamp(), s.event_bucket_seconds, s.event_shards)
        units += write_units(item_size(item))
        items.append(item)
    put_all(aws.dynamodb(), s.events_table, items)
    return units
