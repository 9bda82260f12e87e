"""How big the counting run's day state grows at a million clicks a day, and what loading and saving it costs.

    python -m bench.day_state [--clicks 1000000] [--days 2] [--slice 3600]

One day's clicks go through ``functions.stats.decide.decide`` slice by slice (3,600 clicks: 300 s at
~12 a second), Zipf-like (s = 1) over 5,000 links of 2,000 employees, 70% human, about one human click in
seven a visitor's return to the same link. The state keeps today and yesterday, so the second day's end is
its largest. Printed: the keys it holds, its stored size (raw, and gzip as the counting run may store
it), and the time to load it, to save it and to decide one slice at that size. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from bench.common import ROOT  # noqa: F401 - puts the repo on sys.path
from functions.events import Event, timestamp
from functions.stats.decide import DayState, decide

LINKS = 5_000
EMPLOYEES = 2_000
HUMAN = 0.7
RETURNING = 0.14  # a human click that is the same visitor on the same link again
POINTS = {"points_per_unique": 10, "points_per_share": 1}


def clicks(per_day: int, day: int, rng: random.Random) -> Iterator[Event]:
    weights = [1 / rank for rank in range(1, LINKS + 1)]
    codes = rng.choices(range(LINKS), weights=weights, k=per_day)
    start = datetime(2026, 11, 23, tzinfo=UTC) + timedelta(days=day)
    step = 86_400_000 / per_day
    recent: list[tuple[int, str, str]] = []
    for n, code in enumerate(codes):
        human = rng.random() < HUMAN
        if human and recent and rng.random() < RETURNING:
            code, visitor, ip = rng.choice(recent)
        else:
            visitor, ip = f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(40) % 400_000:016x}"
            if human:
                recent = [*recent[-999:], (code, visitor, ip)]
        at = start + timedelta(milliseconds=int(n * step))
        yield Event(
            type="click",
            at=timestamp(at),
            employee_id=f"e{code % EMPLOYEES}",
            content_id=f"c{code % 400}",
            network="linkedin",
            team=f"t{code % 20}",
            code=f"L{code}",
            kind="human" if human else "bot",
            reason="" if human else "crawler_agent:bench",
            visitor=visitor,
            id=f"{rng.getrandbits(64):016x}",
            ip=ip,
        )


def measure(per_day: int, days: int, slice_size: int) -> list[str]:
    rng = random.Random(11)
    state: DayState | None = None
    lines, decide_seconds = [], []
    for day in range(days):
        batch: list[Event] = []
        for event in clicks(per_day, day, rng):
            batch.append(event)
            if len(batch) == slice_size:
                started = time.perf_counter()
                _, _, state = decide(batch, state, **POINTS)
                decide_seconds.append(time.perf_counter() - started)
                batch = []
        if batch:
            _, _, state = decide(batch, state, **POINTS)
        assert state is not None
        lines.append(f"after day {day + 1}: {_describe(state, decide_seconds[-20:], slice_size)}")
    return lines


def _describe(state: DayState, last_decides: list[float], slice_size: int) -> str:
    figures = state.figures()
    saves, loads, stored = [], [], b""
    for _ in range(3):
        started = time.perf_counter()
        stored = state.to_bytes()
        saves.append(time.perf_counter() - started)
        started = time.perf_counter()
        DayState.from_bytes(stored)
        loads.append(time.perf_counter() - started)
    zipped = {}
    for level in (1, 6):
        started = time.perf_counter()
        size = len(gzip.compress(stored, compresslevel=level))
        zipped[level] = (size, time.perf_counter() - started)
    keys = ", ".join(f"{name} {count:,}" for name, count in figures.items())
    return (
        f"{keys}; stored {len(stored) / 1e6:.1f} MB (gzip -1 {zipped[1][0] / 1e6:.1f} MB in "
        f"{zipped[1][1]:.2f} s, gzip -6 {zipped[6][0] / 1e6:.1f} MB in {zipped[6][1]:.2f} s); "
        f"save {statistics.median(saves):.3f} s, load {statistics.median(loads):.3f} s; "
        f"deciding a slice of {slice_size:,} at this size {statistics.median(last_decides):.3f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=1_000_000, help="clicks a day (default 1,000,000)")
    parser.add_argument("--days", type=int, default=2, help="days (the state keeps two; default 2)")
    parser.add_argument("--slice", type=int, default=3_600, help="clicks a slice (default 3,600: 300 s)")
    args = parser.parse_args(argv)
    for line in measure(args.clicks, args.days, args.slice):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
