"""Recompute equals live: a randomized stream through the real counting run, its facts rebuilt from the archive.

Each seed draws several employees in two teams, items (one a careers item), networks, readers behind a few
shared addresses, bots and previews, sharers' own clicks, repeat visits, repeated shares, mail-scanner
bursts (one always straddling a slice's end, so a later slice revises an earlier one's decisions), late
copies from the click backlog, sites opened and digests sent, over slices that cross midnight.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

import pytest

from functions.content.model import new_content
from functions.content.store import ContentStore
from functions.events import Event, EventStore
from functions.kpis import engine
from functions.kpis.live import compact_days
from functions.kpis.query import KpiFilters, kpis
from functions.kpis.recompute import live, recompute
from functions.kpis.store import EVENTS, FACTS, KpiFiles
from functions.stats.counting import run_once
from tests.conftest import Clock

START = datetime(2026, 5, 3, 23, 45, tzinfo=UTC).timestamp()  # six 5-minute slices, across midnight
SLICES = 6
DAYS = ("2026-05-03", "2026-05-04")
TEAMS = {f"e{n}": "North" if n < 3 else "South" for n in range(6)}
ITEMS = ("launch", "careers", "blog")
NETWORKS = ("linkedin", "x", "facebook")
SLICINGS: list[dict[str, str]] = [{}, {"team": "North"}, {"network": "x"}, {"country": "PL"}, {"campaign": "may"}]


def stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Stream:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.events: list[tuple[float, Event, bool]] = []  # (written at, event, late)

    def id(self) -> str:
        return f"{self.rng.getrandbits(64):016x}"

    def add(self, moment: float, event: Event, written: float | None = None, late: bool = False) -> Event:
        self.events.append((moment if written is None else written, event, late))
        return event

    def link_event(
        self, event_type: str, moment: float, employee: str, item: str, network: str, visitor: str, **extra: Any
    ) -> Event:
        return Event(
            event_type,
            stamp(moment),
            employee,
            item,
            network,
            TEAMS[employee],
            f"{employee}-{item}-{network}",
            kind=extra.pop("kind", "human"),
            visitor=visitor,
            ip=extra.pop("ip", f"ip-{visitor}"),
            id=self.id(),
            **extra,
        )

    def draw(self) -> list[tuple[float, Event, bool]]:
        rng = self.rng
        for number in range(SLICES):
            begin = START + number * 300
            for _ in range(rng.randint(8, 20)):
                moment = begin + rng.uniform(0, 290)
                employee, item, network = rng.choice(list(TEAMS)), rng.choice(ITEMS), rng.choice(NETWORKS)
                roll = rng.random()
                if roll < 0.2:
                    source = "digest" if rng.random() < 0.5 else ""
                    self.add(
                        moment,
                        self.link_event("share", moment, employee, item, network, f"s-{employee}", source=source),
                    )
                elif roll < 0.7:
                    reader = rng.randrange(12)
                    event = self.link_event(
                        "click",
                        moment,
                        employee,
                        item,
                        network,
                        f"v{reader}",
                        ip=f"ip-{reader % 3}",
                        country=rng.choice(("PL", "DE", None)),
                        device=rng.choice(("mobile", "desktop")),
                    )
                    self.add(moment, event)
                    if rng.random() < 0.15:  # its write failed, and the backlog wrote it again later
                        self.add(moment, Event(**{**event.__dict__, "late": True}), written=moment + 40, late=True)
                elif roll < 0.78:
                    self.add(moment, self.link_event("click", moment, employee, item, network, f"s-{employee}"))
                elif roll < 0.85:
                    kind, reason = rng.choice((("bot", "crawler"), ("preview", "link_preview")))
                    self.add(
                        moment, self.link_event("click", moment, employee, item, network, "b", kind=kind, reason=reason)
                    )
                elif roll < 0.92:
                    self.add(
                        moment,
                        Event(
                            rng.choice(("seen", "digest")),
                            stamp(moment),
                            employee,
                            "",
                            "",
                            TEAMS[employee],
                            "",
                            id=self.id(),
                        ),
                    )
                else:
                    self.burst(begin + rng.uniform(0, 280), employee, shares=rng.random() < 0.5)
            if number < SLICES - 1:  # a scanner whose burst a later slice completes
                self.burst(begin + 297, rng.choice(list(TEAMS)), shares=True)
        return sorted(self.events, key=lambda entry: entry[0])

    def burst(self, moment: float, employee: str, shares: bool) -> None:
        """A mail scanner opening three of one employee's links within 6 seconds (a person's share later)."""
        scanner = f"scan-{self.id()[:4]}"
        for offset, network in zip((0, 2, 5), NETWORKS, strict=True):
            self.add(
                moment + offset,
                self.link_event("share" if shares else "click", moment + offset, employee, "launch", network, scanner),
            )
        if shares:  # the employee's own share right after: it takes the scanner's place
            self.add(moment + 6, self.link_event("share", moment + 6, employee, "launch", "linkedin", f"s-{employee}"))


def run_stream(clock: Clock, seed: int) -> None:
    items = ContentStore()
    for item in ITEMS:
        items.add(
            new_content(
                content_id=item,
                url=f"https://example.com/{item}",
                title=item.title(),
                topics=["careers"] if item == "careers" else [],
                campaign="may" if item == "launch" else None,
            )
        )
    clock.at = START - 1
    run_once()  # the schedule has run before: counting starts at the first slice
    log = EventStore()
    for written, event, late in Stream(seed).draw():
        clock.at = written
        log.put_late(event) if late else log.add(event)
    clock.at = START + SLICES * 300 + 60
    report = run_once(budget_seconds=600)
    assert report.checkpoint == START + SLICES * 300 and report.events > 0


def archived_revisions(files: KpiFiles, day: str) -> int:
    paths = files.fetch(files.day(EVENTS, day).current())
    connection = engine.connect(files.cache / "work")
    try:
        engine.register(connection, "events", paths, {})
        [row] = engine.read_rows(connection, "SELECT COUNT(*) AS n FROM events WHERE revision > 0")
    finally:
        connection.close()
    return int(row["n"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_facts_recomputed_from_the_archive_equal_the_live_facts_and_give_the_same_kpis(clock: Clock, seed: int) -> None:
    run_stream(clock, seed)
    files = KpiFiles()
    assert sum(archived_revisions(files, day) for day in DAYS) >= SLICES - 1  # every straddling burst revised
    asked = [KpiFilters(date(2026, 5, 3), date(2026, 5, 4), **slicing) for slicing in SLICINGS]
    before = [kpis(filters).as_dict() for filters in asked]
    assert before[0]["human_clicks"] > 0 and before[0]["filtered_clicks"]["scanner_burst"] > 0
    for day in DAYS:
        facts = live(day, files=files)
        assert facts and facts == recompute(day, files=files)

    # the days close: each is compacted into one part per prefix, with the same facts and KPIs
    assert set(compact_days(files, DAYS, int(datetime(2026, 5, 6, 0, 5, tzinfo=UTC).timestamp()))) == {
        f"{prefix}{day}" for prefix in (FACTS, EVENTS) for day in DAYS
    }
    for day in DAYS:
        for prefix in (FACTS, EVENTS):
            stored = files.day(prefix, day)
            assert [f.part for f in stored.files] == [True]
        assert live(day, files=files) == recompute(day, files=files)
    assert [kpis(filters).as_dict() for filters in asked] == before

    # rebuilt from the archive and stored as the facts: nothing changes
    for day in DAYS:
        recompute(day, files=files, write=True)
    assert [kpis(filters).as_dict() for filters in asked] == before
