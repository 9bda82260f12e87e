"""The KPIs for a year of a 10,000-employee programme (~20 million events): what one request reads and costs.

The year's facts are generated at the grain the counting run writes them (one row per day, employee, item,
network, country, device, event type and outcome, with counts), straight from a seeded DuckDB query:
putting 20 million raw events through the decision rules would take this machine hours and only the facts
reach a request. Each day is one compacted part in the data bucket (in-process moto), as the counting run
leaves a closed day. Then ``functions.kpis.query.kpis`` answers a year and a month, with the local file cache
empty (a cold Lambda) and full (a warm one), and ``functions.kpis.query.totals`` (the public summary's four
figures) answers the same range beside it. Last, the ``story_100`` readers pass (functions/kpis/readers.py):
its first run over every day but the last, then the daily run adding one closed day.
"""

from __future__ import annotations

import calendar
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import all_api_calls

if TYPE_CHECKING:
    from collections.abc import Callable

    from functions.kpis.store import ReadStats

YEAR = date(2026, 1, 1)
# Per day, a programme of this many employees (shares, clicks and the rest scale with it): about 20 million
# events a year at 10,000 (3,000 shares, 48,000 clicks, 2,000 site visits and 1,430 digests a day).
EVENTS_PER_EMPLOYEE_DAY = (0.3, 4.8, 0.2, 0.143)  # shares, clicks, seen, digests

# One day's facts, generated: $1 day, $2 employees, $3 shares, $4 clicks, $5 seen, $6 digests, $7 seed.
GENERATE = """
WITH
shares AS (
    SELECT
        CAST(floor(pow(random(), 2) * ?2) AS BIGINT) AS employee,
        CAST(floor(random() * 40) AS BIGINT) + (dayofyear(CAST(?1 AS DATE)) // 7) * 10 AS item,
        CASE WHEN r < 0.6 THEN 'linkedin' WHEN r < 0.75 THEN 'x' WHEN r < 0.9 THEN 'facebook'
             WHEN r < 0.95 THEN 'whatsapp' ELSE 'email' END AS network,
        CASE WHEN random() < 0.05 THEN 'duplicate_share' ELSE 'counted' END AS outcome,
        CASE WHEN random() < 0.4 THEN 'digest' ELSE '' END AS source
    FROM (SELECT random() AS r FROM range(?3))
),
numbered AS (SELECT *, row_number() OVER () - 1 AS n FROM shares),
clicks AS (
    SELECT s.employee, s.item, s.network,
        CASE WHEN o < 0.60 THEN 'unique' WHEN o < 0.75 THEN 'repeat_visit' WHEN o < 0.78 THEN 'self_click'
             WHEN o < 0.80 THEN 'address_cap' WHEN o < 0.90 THEN 'crawler' WHEN o < 0.97 THEN 'link_preview'
             WHEN o < 0.99 THEN 'mail_scanner' ELSE 'scanner_burst' END AS outcome,
        ['PL', 'DE', 'LT', 'GB', 'US', 'FR', 'ES', ''][CAST(floor(pow(random(), 2) * 8) AS INTEGER) + 1] AS country,
        ['mobile', 'desktop', 'tablet'][CAST(floor(random() * 3) AS INTEGER) + 1] AS device
    FROM (
        SELECT CAST(floor(pow(random(), 3) * ?3) AS BIGINT) AS pick, random() AS o FROM range(?4)
    ) AS c
    JOIN numbered AS s ON s.n = c.pick
),
rows AS (
    SELECT employee, item, network, '' AS country, '' AS device, 'share' AS type, source, outcome FROM shares
    UNION ALL
    SELECT employee, item, network, country, device, 'click', '', outcome FROM clicks
    UNION ALL
    SELECT CAST(floor(random() * ?2) AS BIGINT), -1, '', '', '', 'seen', '', 'seen' FROM range(?5)
    UNION ALL
    SELECT CAST(floor(random() * ?2) AS BIGINT), -1, '', '', '', 'digest', '', 'sent' FROM range(?6)
)
SELECT
    CAST(?1 AS VARCHAR) AS day,
    'e' || employee AS employee_id,
    'team-' || (employee % 20) AS team,
    CASE WHEN item < 0 THEN '' ELSE 'item-' || item END AS content_id,
    CASE WHEN item < 0 OR item % 3 = 0 THEN '' ELSE 'campaign-' || (item % 12) END AS campaign,
    CASE WHEN item < 0 THEN '' ELSE ['en', 'pl', 'lt', 'ru'][CAST(item % 4 AS INTEGER) + 1] END AS language,
    CASE WHEN item < 0 THEN '' WHEN item % 5 = 0 THEN 'third_party' ELSE 'company' END AS kind,
    item >= 0 AND item % 15 = 0 AS referral,
    network, country, device, type, source, outcome,
    outcome IN ('counted', 'unique', 'repeat_visit', 'self_click', 'address_cap', 'seen', 'sent') AS counted,
    COUNT(*) AS events,
    SUM(CASE WHEN outcome = 'unique' THEN 1 ELSE 0 END) AS unique_human_clicks,
    SUM(CASE WHEN outcome = 'unique' THEN 10 WHEN type = 'share' AND outcome = 'counted' THEN 1 ELSE 0 END) AS points
FROM rows
GROUP BY ALL
ORDER BY ALL
"""


@dataclass(frozen=True)
class KpiFigures:
    employees: int
    days: int
    events: int
    rows: int
    fact_bytes: int
    requests: list[KpiRequest]
    readers: tuple[float, float, int, int, int] = (0.0, 0.0, 0, 0, 0)  # history s, a day s, pairs, bytes, stories


@dataclass(frozen=True)
class Timed:
    cold: float  # seconds, with the local file cache empty
    warm: float  # seconds, with it full
    calls: dict[str, int]  # AWS calls of the cold request, as ``service:Operation``
    files: ReadStats


@dataclass(frozen=True)
class KpiRequest:
    name: str
    report: Timed  # the full report (``kpis``)
    totals: Timed  # the public summary's totals (``totals``)


def run(employees: int, days: int) -> KpiFigures:
    from bench.common import moto_world

    with moto_world(), tempfile.TemporaryDirectory(prefix="chorus-bench-kpis-") as scratch:
        events, rows, size = _generate(employees, days, Path(scratch))
        _directory(employees)
        last = YEAR + timedelta(days=days - 1)
        month = max(YEAR, last - timedelta(days=29))
        requests = [_request("a year" if days >= 365 else f"{days} days", YEAR, last, last)]
        requests.append(_request("its last 30 days", month, last, last))
        requests.append(_request("a year, one team", YEAR, last, last, team="team-3"))
        return KpiFigures(employees, days, events, rows, size, requests, _readers(last))


def _readers(last: date) -> tuple[float, float, int, int, int]:
    """The readers pass: over every day but the last (its first run), then the last day alone (each day's)."""
    from functions.kpis import engine
    from functions.kpis.readers import fold_closed_days
    from functions.kpis.store import KpiFiles

    files = KpiFiles()
    files.forget()
    stories: list[str] = []
    started = time.perf_counter()
    fold_closed_days(files, last.isoformat(), stories.extend)
    history = time.perf_counter() - started
    started = time.perf_counter()
    fold_closed_days(files, (last + timedelta(days=1)).isoformat(), stories.extend)
    day = time.perf_counter() - started
    [snapshot] = files.readers()
    connection = engine.connect(files.cache / "work")
    try:
        [path] = files.fetch([snapshot])
        [[pairs]] = connection.execute("SELECT COUNT(*) FROM read_parquet(?)", [str(path)]).fetchall()
    finally:
        connection.close()
    return history, day, int(pairs), snapshot.size, len(stories)


def _generate(employees: int, days: int, scratch: Path) -> tuple[int, int, int]:
    from functions import aws
    from functions.config import settings
    from functions.kpis import engine

    s3 = aws.client("s3")
    bucket = settings().data_bucket
    shares, clicks, seen, digests = (max(1, round(employees * rate)) for rate in EVENTS_PER_EMPLOYEE_DAY)
    connection = engine.connect(scratch)
    events = rows = size = 0
    try:
        connection.execute("SELECT setseed(0.42)")
        for offset in range(days):
            day = (YEAR + timedelta(days=offset)).isoformat()
            path = scratch / f"{day}.parquet"
            engine.copy(connection, GENERATE, path, [day, employees, shares, clicks, seen, digests])
            [[count, total]] = connection.execute(
                "SELECT COUNT(*), SUM(events) FROM read_parquet(?)", [str(path)]
            ).fetchall()
            rows, events, size = rows + count, events + int(total), size + path.stat().st_size
            end = calendar.timegm((YEAR + timedelta(days=offset + 1)).timetuple())
            s3.put_object(Bucket=bucket, Key=f"facts/day={day}/part-{end}.parquet", Body=path.read_bytes())
            path.unlink()
    finally:
        connection.close()
    return events, rows, size


def _directory(employees: int) -> None:
    from collections import Counter

    from functions.directory.counts import CountsRecord

    CountsRecord().add(Counter({"total": employees, "active": employees * 95 // 100}))


def _request(name: str, start: date, end: date, today: date, team: str | None = None) -> KpiRequest:
    from datetime import UTC, datetime

    from functions.kpis.query import KpiFilters, kpis, totals

    now = datetime(today.year, today.month, today.day, 23, tzinfo=UTC)
    filters = KpiFilters(start, end, team=team)
    return KpiRequest(
        name,
        _timed(lambda files, cost: kpis(filters, now=now, files=files, cost=cost)),
        _timed(lambda files, cost: totals(filters, files=files, cost=cost)),
    )


def _timed(ask: Callable[[Any, list[Any]], object]) -> Timed:
    """One request with the local file cache emptied first (cold), then the same again (warm)."""
    from functions.kpis.query import KpiReadCost
    from functions.kpis.store import KpiFiles

    files = KpiFiles()
    files.forget()
    cost: list[KpiReadCost] = []
    with all_api_calls() as calls:
        started = time.perf_counter()
        ask(files, cost)
        cold = time.perf_counter() - started
    started = time.perf_counter()
    ask(files, [])
    return Timed(cold, time.perf_counter() - started, dict(calls), cost[0].files)


def report(figures: KpiFigures) -> list[str]:
    per_day, per_event = figures.fact_bytes / max(figures.days, 1), figures.fact_bytes / max(figures.events, 1)
    lines = [
        f"{figures.employees:,} employees, {figures.days} days: {figures.events:,} events as "
        f"{figures.rows:,} fact rows in {figures.days} Parquet files, {figures.fact_bytes / 1e6:.1f} MB "
        f"({per_day / 1e3:.0f} KB a day, {per_event:.2f} B an event)"
    ]
    for request in figures.requests:
        for what, timed in (
            (f"KPIs for {request.name}", request.report),
            ("  the public totals alone", request.totals),
        ):
            read = timed.files
            lines.append(
                f"{what}: cold {timed.cold:.2f} s (empty cache: {read.fetched} S3 objects, "
                f"{read.fetched_bytes / 1e6:.1f} MB, {read.listed} listings), warm {timed.warm:.2f} s (cached: no "
                f"GET); DynamoDB {_calls(timed.calls, 'dynamodb')}; S3 {_calls(timed.calls, 's3')}"
            )
    history, day, pairs, size, stories = figures.readers
    lines.append(
        f"story_100 readers pass: its first run over {figures.days - 1} days {history:.2f} s, then a closed day "
        f"{day:.2f} s ({day / max(history, 1e-9):.2f}x); snapshot {pairs:,} (employee, item) pairs, "
        f"{size / 1e6:.1f} MB; {stories:,} employees earned the badge"
    )
    return lines


def _calls(calls: dict[str, int], service: str) -> str:
    found = {key.split(":", 1)[1]: n for key, n in calls.items() if key.startswith(f"{service}:")}
    return ", ".join(f"{name} {n}" for name, n in sorted(found.items())) or "none"
