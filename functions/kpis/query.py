"""The KPIs for a date range and slice, read from the fact files with DuckDB (no Scan, no raw events).

``kpis(filters)`` lists the fact files of the range and of the period of equal length before it (one or two
ListObjectsV2), fetches those not cached yet (GETs, by key and ETag; past days never change), and runs the
queries of functions/kpis/sql over them. DynamoDB is read three times: the directory's counts (GetItem),
the top contributors' names and the top items' titles (one BatchGetItem each).

``totals(filters)`` answers only the four figures the public Results summary shows (counted shares, human and
unique human clicks, employees who shared), equal to the report's: the range's files alone (one
ListObjectsV2), one pass over them (kpi_totals.sql), no DynamoDB read.

What the filters mean: ``team`` is the employee's team when the event happened; ``campaign``, ``language``
and ``kind`` are the item's when its events were counted; ``network``, ``country`` and ``device`` the
event's (a share has no country or device). Only shares and clicks have an item and a network, so under a
filter on them the digests sent and the employees who only opened the site (adoption) count nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from functions.config import LANGUAGES, NETWORKS, settings
from functions.kpis import engine, queries
from functions.kpis.emv import earned_media_value
from functions.kpis.facts import FACT_COLUMNS
from functions.kpis.report import KpiReport
from functions.kpis.store import FACTS, KpiFiles, ReadStats
from functions.kpis.surges import SurgeRule, surges

__all__ = ["KpiFilters", "KpiQueryError", "KpiReport", "KpiTotals", "kpis", "totals"]

MAX_DAYS = 366
TOP = 10
SLICES = ("team", "campaign", "network", "language", "kind", "country", "device")
KINDS = ("company", "third_party")
HEADLINE_QUERIES = ("headline", "breakdowns")  # kpi_*.sql: the headline figures and the EMV's inputs
ALL_QUERIES = (*HEADLINE_QUERIES, "contributors", "series", "digest_clicks")


class KpiQueryError(ValueError):
    """A request the KPIs cannot answer: ``field`` names the parameter, ``message`` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class KpiFilters:
    start: date
    end: date  # inclusive
    team: str | None = None
    campaign: str | None = None
    network: str | None = None
    language: str | None = None
    kind: str | None = None
    country: str | None = None
    device: str | None = None

    def validate(self) -> KpiFilters:
        if not isinstance(self.start, date):
            raise KpiQueryError("start", "must be a day (YYYY-MM-DD)")
        if not isinstance(self.end, date):
            raise KpiQueryError("end", "must be a day (YYYY-MM-DD)")
        if self.end < self.start:
            raise KpiQueryError("end", "must not be before start")
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise KpiQueryError("end", f"the range is at most {MAX_DAYS} days")
        for name in SLICES:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 200):
                raise KpiQueryError(name, "must be between 1 and 200 characters")
        if self.network is not None and self.network not in NETWORKS:
            raise KpiQueryError("network", f"must be one of {', '.join(NETWORKS)}")
        if self.language is not None and self.language not in LANGUAGES:
            raise KpiQueryError("language", f"must be one of {', '.join(LANGUAGES)}")
        if self.kind is not None and self.kind not in KINDS:
            raise KpiQueryError("kind", f"must be one of {', '.join(KINDS)}")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> KpiFilters:
        """The same slice over the period of equal length that ends the day before ``start``."""
        end = self.start - timedelta(days=1)
        return KpiFilters(end - timedelta(days=self.days - 1), end, *(getattr(self, name) for name in SLICES))

    def sliced(self) -> dict[str, str]:
        return {name: value for name in SLICES if (value := getattr(self, name)) is not None}

    def parameters(self) -> list[Any]:
        """selected.sql's parameters."""
        return [self.start.isoformat(), self.end.isoformat(), *(getattr(self, name) for name in SLICES)]


@dataclass(frozen=True)
class KpiReadCost:
    """What a KPI request read (the benchmark prints it)."""

    dynamodb_calls: int
    files: ReadStats


@dataclass(frozen=True)
class KpiTotals:
    """The programme's totals over a range, naming nobody: what the public Results summary shows."""

    range: dict[str, str]  # {"start", "end"}: ISO days, inclusive
    shares: int  # the report's shares["total"]
    human_clicks: int
    unique_human_clicks: int
    sharers: int  # employees who shared in the range


def totals(filters: KpiFilters, *, files: KpiFiles | None = None, cost: list[KpiReadCost] | None = None) -> KpiTotals:
    """The totals of ``filters`` (validated here: KpiQueryError), as ``kpis(filters)`` reports them, read with
    one listing, the range's files and one pass over them; no previous period, no DynamoDB."""
    filters.validate()
    stats = ReadStats()
    with _facts(files or KpiFiles(), filters.start, filters.end, stats) as connection:
        [row] = engine.read_rows(connection, queries.statement("kpi_totals"), filters.parameters())
    if cost is not None:
        cost.append(KpiReadCost(0, stats))
    return KpiTotals(
        range={"start": filters.start.isoformat(), "end": filters.end.isoformat()},
        **{name: int(row[name] or 0) for name in ("shares", "human_clicks", "unique_human_clicks", "sharers")},
    )


@contextmanager
def _facts(files: KpiFiles, start: date, end: date, stats: ReadStats) -> Iterator[Any]:
    """A DuckDB connection with ``facts`` over local copies of the files that hold the days from start to end."""
    paths = files.current(FACTS, start.isoformat(), end.isoformat(), stats)
    connection = engine.connect(files.cache / "work")
    try:
        engine.register(connection, "facts", paths, FACT_COLUMNS)
        yield connection
    finally:
        connection.close()


def kpis(
    filters: KpiFilters,
    *,
    now: datetime | None = None,
    files: KpiFiles | None = None,
    client: Any = None,
    cost: list[KpiReadCost] | None = None,
) -> KpiReport:
    """The KPIs of ``filters`` (validated here: KpiQueryError). ``cost``, if given, gets what was read."""
    filters.validate()
    moment = now or datetime.now(UTC)
    files = files or KpiFiles()
    previous = filters.previous()
    config = settings()
    rule = SurgeRule(config.surge_factor, config.surge_minimum, config.surge_baseline_days)
    baseline = replace(filters, start=filters.start - timedelta(days=rule.baseline_days))  # the surges' days before
    stats = ReadStats()
    with _facts(files, min(previous.start, baseline.start), filters.end, stats) as connection:
        figures = _figures(connection, filters)
        before = _figures(connection, previous, HEADLINE_QUERIES)
        daily_clicks = engine.read_rows(connection, queries.statement("kpi_daily_clicks"), baseline.parameters())
    from functions import aws
    from functions.content.store import ContentStore
    from functions.directory.counts import CountsRecord
    from functions.directory.store import EmployeeStore

    dynamodb = client or aws.dynamodb()
    counts = CountsRecord(dynamodb).read()
    everyone, active = counts.of_team(filters.team) if counts.known else (0, 0)
    people = EmployeeStore(client=dynamodb).get_many([row["employee_id"] for row in figures["contributors"]])
    titles = ContentStore(client=dynamodb).get_many([row["content_id"] for row in figures["content"]], ("title",))
    if cost is not None:
        cost.append(KpiReadCost(1 + bool(figures["contributors"]) + bool(figures["content"]), stats))
    prices = config.emv
    headline = _headline(figures, active, everyone, prices)
    last_day = min(filters.end, moment.date())
    return KpiReport(
        range={"start": filters.start.isoformat(), "end": filters.end.isoformat()},
        filters=filters.sliced(),
        participation_rate=headline["participation_rate"],
        adoption_rate=headline["adoption_rate"],
        shares={
            **{row["network"]: int(row["shares"]) for row in figures["networks"] if row["shares"]},
            "total": headline["shares"],
        },
        human_clicks=headline["human_clicks"],
        unique_human_clicks=headline["unique_human_clicks"],
        filtered_clicks={row["reason"]: int(row["filtered_clicks"]) for row in figures["filtered"]},
        clicks_per_share=headline["clicks_per_share"],
        top_contributors=[_contributor(row, people.get(row["employee_id"])) for row in figures["contributors"]],
        top_content=[_content(row, titles.get(row["content_id"])) for row in figures["content"]],
        earned_media_value=headline["earned_media_value"],
        referral_clicks=headline["referral_clicks"],
        digest_funnel={
            "digests_sent": figures["headline"]["digests_sent"],
            "sharers_from_digest": figures["headline"]["sharers_from_digest"],
            "human_clicks_from_digest_shares": figures["digest_clicks"],
        },
        series=_series(figures["series"], filters.start, last_day),
        previous={
            "range": {"start": previous.start.isoformat(), "end": previous.end.isoformat()},
            **_headline(before, active, everyone, prices),
        },
        sharers=headline["sharers"],
        human_clicks_by_network={
            row["network"]: int(row["human_clicks"]) for row in figures["networks"] if row["human_clicks"]
        },
        team_ranking=_team_ranking(figures["teams"], counts, filters.team),
        surges=surges(daily_clicks, filters.start, last_day, rule),
    )


def _figures(connection: Any, filters: KpiFilters, names: tuple[str, ...] = ALL_QUERIES) -> dict[str, Any]:
    """The rows of each KPI query named (the previous period needs only the headline's)."""
    found = {
        name: engine.read_rows(connection, queries.statement(f"kpi_{name}"), filters.parameters()) for name in names
    }
    [headline] = found.pop("headline")
    [digest] = found.pop("digest_clicks", [{"human_clicks_from_digest_shares": 0}])
    breakdowns = found.pop("breakdowns")
    content = [row for row in breakdowns if row["breakdown"] == "content" and (row["shares"] or row["human_clicks"])]
    return {
        "headline": {name: int(value or 0) for name, value in headline.items()},
        "digest_clicks": int(digest["human_clicks_from_digest_shares"] or 0),
        "networks": sorted((row for row in breakdowns if row["breakdown"] == "network"), key=lambda r: r["network"]),
        "filtered": sorted(
            (row for row in breakdowns if row["breakdown"] == "reason" and row["filtered_clicks"]),
            key=lambda row: (-row["filtered_clicks"], row["reason"]),
        ),
        "content": sorted(content, key=lambda row: (-row["human_clicks"], -row["shares"], row["content_id"]))[:TOP],
        "teams": [row for row in breakdowns if row["breakdown"] == "team" and row["team"]],
        **found,
    }


def _headline(figures: dict[str, Any], active: int, everyone: int, prices: Any) -> dict[str, Any]:
    totals = figures["headline"]
    per_network = {
        row["network"]: {k: int(row[k]) for k in ("shares", "human_clicks")}
        for row in figures["networks"]
        if row["shares"] or row["human_clicks"]
    }
    return {
        "participation_rate": _rate(min(totals["sharers"], active), active),
        "adoption_rate": _rate(min(totals["participants"], everyone), everyone),
        "sharers": totals["sharers"],
        "shares": totals["shares"],
        "human_clicks": totals["human_clicks"],
        "unique_human_clicks": totals["unique_human_clicks"],
        "filtered_clicks": totals["filtered_clicks"],
        "clicks_per_share": _rate(totals["human_clicks"], totals["shares"]),
        "referral_clicks": totals["referral_clicks"],
        "earned_media_value": earned_media_value(per_network, prices),
    }


def _team_ranking(rows: list[dict[str, Any]], counts: Any, team: str | None) -> list[dict[str, Any]]:
    """Every team with active members or points in the range (only ``team`` under its filter), ranked by
    points per active member (a team without active members last), then points."""
    found = {row["team"]: row for row in rows if row["points"] or row["shares"] or row["unique_human_clicks"]}
    names = set(found) | ({name for name, (_, active) in counts.teams.items() if active} if team is None else {team})
    ranking = []
    for name in names:
        row = found.get(name, {})
        active = counts.of_team(name)[1] if counts.known else 0
        points = int(row.get("points") or 0)
        ranking.append(
            {
                "team": name,
                "active_members": active,
                "points": points,
                "points_per_member": round(points / active, 2) if active else None,
                "shares": int(row.get("shares") or 0),
                "unique_human_clicks": int(row.get("unique_human_clicks") or 0),
            }
        )
    ranked = sorted(ranking, key=lambda entry: (-entry["points"], entry["team"]))
    return sorted(ranked, key=lambda entry: (entry["points_per_member"] is None, -(entry["points_per_member"] or 0)))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _contributor(row: dict[str, Any], employee: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"employee_id": row["employee_id"]}
    if employee is not None and employee.show_name:
        entry["name"] = employee.name
    entry["team"] = row["team"]
    entry.update({name: int(row[name]) for name in ("shares", "unique_human_clicks", "points")})
    return entry


def _content(row: dict[str, Any], item: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"content_id": row["content_id"]}
    if item is not None:
        entry["title"] = item.title
    entry.update({name: int(row[name]) for name in ("shares", "human_clicks")})
    return entry


def _series(rows: list[dict[str, Any]], start: date, last: date) -> dict[str, list[dict[str, Any]]]:
    by_day = {row["day"]: row for row in rows}
    days = [(start + timedelta(days=n)).isoformat() for n in range((last - start).days + 1)]
    return {
        figure: [{"day": day, "value": int(by_day[day][figure]) if day in by_day else 0} for day in days]
        for figure in ("human_clicks", "unique_human_clicks", "shares", "participation")
    }


def parse_day(field: str, value: str | None) -> date:
    """A ``YYYY-MM-DD`` query parameter as a day (KpiQueryError naming ``field`` otherwise)."""
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise KpiQueryError(field, "must be a day (YYYY-MM-DD)") from None
