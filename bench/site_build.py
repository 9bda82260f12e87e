"""The static site at size: a full build for 1,000 items and 10,000 employees, then incremental rebuilds.

One in-process moto account holds 1,000 published items (four languages, 12 topics, every 25th
important) and 10,000 employees in 20 teams with leaderboards for the week, month and all time
(boards written as the counting run leaves them: the bench measures the site, not the counting). Then:

- a full build into the moto site bucket (read the data, render every page in four locales, upload);
- the same build again with nothing changed;
- after one item's summary changes: what is rendered and uploaded, and how long it takes.

Times are wall-clock on this machine, moto in-process (its index Queries walk the whole table, so the
read share is pessimistic); the render share is the generator's own time.
"""

from __future__ import annotations

import time
from typing import Any

ITEMS = 1_000
EMPLOYEES = 10_000
TEAMS = 20
TOPICS = (
    "product",
    "hiring",
    "culture",
    "events",
    "engineering",
    "sales",
    "brand",
    "security",
    "ai",
    "data",
    "design",
    "people",
)


def run(items: int = ITEMS, employees: int = EMPLOYEES) -> dict[str, Any]:
    from infra.local.sandbox import in_process_account

    with in_process_account(POWERTOOLS_LOG_LEVEL="ERROR"):
        started = time.perf_counter()
        _seed(items, employees)
        seeded = time.perf_counter() - started
        return {"items": items, "employees": employees, "seed_seconds": seeded, **_measure(items)}


def _measure(items: int) -> dict[str, Any]:
    from collections import Counter

    from functions import aws
    from functions.config import settings
    from functions.content.service import update_content
    from functions.sitegen.build import build
    from functions.sitegen.data import read_site_data
    from functions.sitegen.publish import S3Writer, publish, read_manifest

    calls: Counter[str] = Counter()
    aws.dynamodb().meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.update([model.name]))

    def one_build() -> dict[str, Any]:
        writer = S3Writer()
        calls.clear()
        t0 = time.perf_counter()
        data = read_site_data()
        t1 = time.perf_counter()
        result = build(data, read_manifest(writer), settings().site_base_url, settings().api_base_url)
        t2 = time.perf_counter()
        report = publish(result.files, writer, result.inputs, keep=result.kept)
        t3 = time.perf_counter()
        return {
            "pages": result.pages,
            "rendered": result.rendered,
            "written": len(report.written),
            "bytes_written": report.bytes_written,
            "read_seconds": t1 - t0,
            "render_seconds": t2 - t1,
            "publish_seconds": t3 - t2,
            "seconds": t3 - t0,
            "dynamodb_calls": dict(calls),
        }

    full = one_build()
    unchanged = one_build()
    update_content(f"item{items // 2:04d}", {"summary": "One summary, rewritten."}, "admin:bench")
    one_item = one_build()
    home = S3Writer().read("en/index.html") or b""
    return {"full": full, "unchanged": unchanged, "one_item": one_item, "home_bytes": len(home)}


def report(figures: dict[str, Any]) -> list[str]:
    lines = [
        f"{figures['items']:,} items, {figures['employees']:,} employees in {TEAMS} teams "
        f"(seeded in {figures['seed_seconds']:.1f} s); home page {figures['home_bytes'] / 1024:.1f} KB"
    ]
    for name, label in (("full", "full build"), ("unchanged", "nothing changed"), ("one_item", "one item changed")):
        f = figures[name]
        lines.append(
            f"{label:>17}: {f['seconds']:6.2f} s (read {f['read_seconds']:.2f}, render {f['render_seconds']:.2f}, "
            f"upload {f['publish_seconds']:.2f}); {f['rendered']:,} of {f['pages']:,} pages rendered, "
            f"{f['written']:,} objects written ({f['bytes_written'] / 1e6:.2f} MB)"
        )
    full, one = figures["full"], figures["one_item"]
    reads = ", ".join(f"{n} {op}" for op, n in sorted(full["dynamodb_calls"].items()))
    scans = full["dynamodb_calls"].get("Scan", 0)
    lines.append(f"DynamoDB calls per build: {reads} ({f'{scans} Scans' if scans else 'no Scan'})")
    lines.append(
        f"one item changed vs full: {one['rendered'] / full['rendered']:.3f} of the pages rendered, "
        f"{one['seconds'] / full['seconds']:.2f}x the time"
    )
    return lines


def _seed(items: int, employees: int) -> None:
    from datetime import UTC, datetime, timedelta

    from functions.content.model import LANGUAGES, new_content
    from functions.content.store import ContentStore
    from functions.directory.model import Employee
    from functions.directory.store import EmployeeStore
    from functions.stats.periods import current_key

    now = datetime.now(UTC)
    store = ContentStore()
    for n in range(items):
        store.add(
            new_content(
                content_id=f"item{n:04d}",
                url=f"https://example.com/stories/{n}",
                title=f"Story number {n}: what our teams learned this quarter",
                summary="A short summary of the story, long enough to read like a real one on a card. " * 2,
                language=LANGUAGES[n % len(LANGUAGES)],
                topics=[TOPICS[n % len(TOPICS)], TOPICS[(n * 7) % len(TOPICS)]],
                image_url=f"https://example.com/images/{n}.jpg",
                important=n % 25 == 0,
                kind="company" if n % 5 == 0 else "third_party",
                publish_start=now - timedelta(minutes=items - n),
                now=now - timedelta(days=1),
            )
        )
    people = [
        Employee(id=f"emp{n:05d}", email=f"e{n}@example.com", name=f"Person {n}", team=f"Team {n % TEAMS:02d}")
        for n in range(employees)
    ]
    EmployeeStore().put_many(people)
    from functions.stats.aggregates import AggregateStore
    from functions.stats.boards import EVERYONE, Board, Change, Entry

    aggregates = AggregateStore()
    for period, share in (("all", 1.0), ("month", 0.6), ("week", 0.3)):
        key = current_key(period, now)
        boards: dict[str, Board] = {}
        for n, person in enumerate(people[: int(employees * share)]):
            points = (n * 7919) % 997 + 1
            entry = Entry(person.id, points, points % 13, points // 8, points // 10)
            for scope in (EVERYONE, person.team):
                boards.setdefault(scope, Board(key, scope)).apply([Change(person.id, 0, entry)])
        for board in boards.values():
            aggregates.put_board(board, 1)
