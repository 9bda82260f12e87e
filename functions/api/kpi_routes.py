"""The programme's results: KPIs as JSON and CSV for admins, the Results page's admin section, public totals.

The site's Results page (a static page) asks these with the admin's token, as the admin form does; CORS is
open because the site may live on its own domain, and nothing here is answered without the token except the
programme's totals, which name nobody.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from functions.api import http
from functions.api.operations import Operations

if TYPE_CHECKING:
    from functions.api.schemas import KpiCsvQuery, KpiQuery, ResultsQuery
    from functions.kpis.query import KpiFilters

bp = Blueprint(__name__)
api = Operations(bp)
SITE_CORS = http.SITE_CORS
DEFAULT_DAYS = 30


@bp.route("/api/admin/kpis", methods=["GET"], cors=SITE_CORS)
@api.admin_only(
    "The programme's KPIs for a date range and slice: headline figures, a daily series, the previous period",
    tag="results",
    query="KpiQuery",
    response="KpisOut",
    cache=http.NO_STORE,
)
def get_kpis(query: KpiQuery, actor: str) -> dict[str, Any] | Response:
    report = _report_for(query)
    return report if isinstance(report, Response) else report.as_dict()


@bp.route("/api/admin/kpis.csv", methods=["GET"], cors=SITE_CORS)
@api.admin_only(
    "One table of the KPI report as CSV (cells a spreadsheet would run as a formula are neutralised)",
    tag="results",
    query="KpiCsvQuery",
    produces="text/csv",
)
def get_kpis_csv(query: KpiCsvQuery, actor: str) -> Response:
    from functions.kpis.tables import csv_text, tables

    report = _report_for(query)
    if isinstance(report, Response):
        return report
    name = f"chorus-{query.table}-{report.range['start']}-{report.range['end']}.csv"
    return Response(
        body=csv_text(tables(report)[query.table]),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": http.NO_STORE,
        },
    )


@bp.route("/api/admin/results", methods=["GET"], cors=SITE_CORS)
@api.admin_only(
    "The Results page's report for admins: headline figures against the previous period, SVG charts and a "
    "data table for each (an HTML fragment in the asked language)",
    tag="results",
    query="ResultsQuery",
    produces="text/html",
)
def get_results(query: ResultsQuery, actor: str) -> Response:
    from functions.results.report import render_report

    report = _report_for(query)
    if isinstance(report, Response):
        return report
    page = render_report(report, query.lang)
    return Response(
        body=page,
        status_code=200,
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": http.NO_STORE},
    )


@bp.route("/api/results/summary", methods=["GET"], cors=SITE_CORS)
@api.public(
    "The programme's totals over the last 30 days, for the public Results page (nothing personal)",
    tag="results",
    response="ProgrammeSummaryOut",
    cache="public, max-age=300",
)
def programme_summary() -> dict[str, Any]:
    from functions.kpis.query import KpiFilters, totals

    last = today()
    found = totals(KpiFilters(last - timedelta(days=DEFAULT_DAYS - 1), last))  # the four figures, nothing else
    return {
        "range": found.range,
        "shares": found.shares,
        "human_clicks": found.human_clicks,
        "unique_human_clicks": found.unique_human_clicks,
        "employees_sharing": found.sharers,
    }


def filters_of(query: KpiQuery) -> KpiFilters:
    """The query's range (default: the last 30 days to today, UTC) and slice."""
    from functions.kpis.query import KpiFilters

    end = query.end or today()
    start = query.start or end - timedelta(days=DEFAULT_DAYS - 1)
    slices = ("team", "campaign", "network", "language", "kind", "country", "device")
    return KpiFilters(start, end, **{name: getattr(query, name) for name in slices}).validate()


def _report_for(query: KpiQuery) -> Any:
    """The KPI report the query asks for, with the polls of its range; or the 400 naming the parameter."""
    from dataclasses import asdict, replace

    from functions.kpis.query import KpiQueryError, kpis
    from functions.polls.results import poll_summaries

    try:
        filters = filters_of(query)
        report = kpis(filters)
    except KpiQueryError as exc:
        return http.error(400, "invalid query parameter", {_parameter(exc.field): exc.message})
    latest: dict[str, dict[str, Any]] = {}
    for summary in poll_summaries(filters.start, filters.end):  # by period: the last of each kind stays
        poll = asdict(summary)
        kind = poll.pop("kind")
        poll.update(
            start=summary.start.isoformat(),
            end=summary.end.isoformat(),
            distribution={str(value): count for value, count in summary.distribution.items()},
        )
        latest[kind] = poll
    return replace(report, enps=latest.get("enps"), programme_satisfaction=latest.get("satisfaction"))


def today() -> date:
    """Today (UTC) by the event log's clock, which dates the facts (a test moves it)."""
    from functions import events

    return datetime.fromtimestamp(events.now(), UTC).date()


def _parameter(field: str) -> str:
    """The query parameter a KPI field came from (``start`` and ``end`` are ``from`` and ``to`` in the URL)."""
    return {"start": "from", "end": "to"}.get(field, field)
