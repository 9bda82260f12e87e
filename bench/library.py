"""The content library and directory at size: a feed page over 10,000 items, a 10,000-row CSV import."""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from functions.config import LANGUAGES

ITEMS = 10_000
EMPLOYEES = 10_000


def run(items: int = ITEMS, employees: int = EMPLOYEES) -> list[str]:
    from infra.local.sandbox import in_process_account

    with in_process_account(POWERTOOLS_LOG_LEVEL="ERROR"):
        lines = _feed(items)
    with in_process_account(POWERTOOLS_LOG_LEVEL="ERROR"):
        lines += _csv_import(employees)
    return lines


def _feed(count: int) -> list[str]:
    from functions import aws
    from functions.config import settings
    from functions.content.feed import feed
    from functions.content.model import new_content
    from functions.content.store import _item

    started = time.perf_counter()
    now = datetime.now(UTC)
    client, table = aws.dynamodb(), settings().content_table
    for start in range(0, count, 25):
        batch = [
            new_content(
                content_id=f"item-{n:05d}",
                url=f"https://example.com/{n}",
                title=f"Item {n}",
                language=LANGUAGES[n % 4],
                topics=["news", f"topic{n % 10}"],
                important=n % 50 == 0,
                publish_start=now - timedelta(minutes=n),
                now=now,
            )
            for n in range(start, min(start + 25, count))
        ]
        client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": _item(i)}} for i in batch]})
    loaded = time.perf_counter() - started

    lines = [f"library of {count:,} published items loaded in {loaded:.1f} s (BatchWriteItem, 25 per call)"]
    for label, language, topic in (
        ("all languages", None, None),
        ("lang=pl", "pl", None),
        ("lang=pl&topic=topic3", "pl", "topic3"),
    ):
        times, capacity, cursor, sizes = [], [], None, []
        for _ in range(10):  # ten consecutive pages of 20
            begun = time.perf_counter()
            page = feed(language, topic, limit=20, cursor=cursor)
            times.append(time.perf_counter() - begun)
            capacity.append(page.consumed_capacity)
            sizes.append(len(page.items))
            cursor = page.next_cursor
        lines.append(
            f"feed page ({label}, limit 20): median {statistics.median(times) * 1000:.1f} ms, "
            f"{statistics.mean(capacity):.1f} RCU consumed per page, {statistics.mean(sizes):.1f} items per page "
            f"(10 pages; one Query each)"
        )
    lines.append(
        "  moto reports consumed capacity as DynamoDB would bill it (0.5 RCU per 4 KB read, eventually consistent)"
        if any(capacity)
        else "  moto reported no consumed capacity"
    )
    return lines


def _csv_import(count: int) -> list[str]:
    from functions.directory.service import import_employees

    rows = ["email,name,team,locale,time zone,digest cadence,topics"]
    teams = ("Sales", "Marketing", "Engineering", "Support")
    zones = ("Europe/Warsaw", "Europe/Vilnius", "Europe/Riga", "Europe/London")
    for n in range(count):
        rows.append(
            f"person{n}@example.com,Person {n},{teams[n % 4]},{LANGUAGES[n % 4]},"
            f"{zones[n % 4]},weekly:friday,news;topic{n % 7}"
        )
    data = ("\n".join(rows) + "\n").encode()
    lines = []
    for label in ("first import", "re-import, unchanged"):
        begun = time.perf_counter()
        report = import_employees(data, "valid_rows")
        elapsed = time.perf_counter() - begun
        summary = {k: v for k, v in asdict(report).items() if k in ("created", "updated", "unchanged", "invalid")}
        lines.append(
            f"CSV import of {count:,} employees ({len(data) / 1e6:.2f} MB), {label}: {elapsed:.1f} s {summary}"
        )
    return lines
