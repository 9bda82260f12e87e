"""The KPI report as tables, one per figure, and a table as CSV safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from functions.kpis.report import KpiReport

# A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets (and tab or carriage
# return can hide one): it is written with a leading apostrophe, which the spreadsheet shows as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def tables(report: KpiReport) -> dict[str, list[dict[str, Any]]]:
    """Every figure of the report as rows (for `GET /api/admin/kpis.csv?table=<name>`)."""
    previous = report.previous
    figures = {
        "participation_rate": (report.participation_rate, previous["participation_rate"]),
        "adoption_rate": (report.adoption_rate, previous["adoption_rate"]),
        "shares": (report.shares.get("total", 0), previous["shares"]),
        "human_clicks": (report.human_clicks, previous["human_clicks"]),
        "unique_human_clicks": (report.unique_human_clicks, previous["unique_human_clicks"]),
        "filtered_clicks": (sum(report.filtered_clicks.values()), previous["filtered_clicks"]),
        "clicks_per_share": (report.clicks_per_share, previous["clicks_per_share"]),
        "referral_clicks": (report.referral_clicks, previous["referral_clicks"]),
        "earned_media_value": (report.earned_media_value["value"], previous["earned_media_value"]["value"]),
    }
    headline = [{"figure": name, "value": now, "previous": then} for name, (now, then) in figures.items()]
    days = [point["day"] for point in next(iter(report.series.values()), [])]
    return {
        "headline": headline,
        "shares": [{"network": network, "shares": n} for network, n in report.shares.items() if network != "total"],
        "filtered_clicks": [{"reason": reason, "clicks": n} for reason, n in report.filtered_clicks.items()],
        "top_contributors": [
            {"employee_id": row["employee_id"], "name": row.get("name", ""), **_without(row, "employee_id", "name")}
            for row in report.top_contributors
        ],
        "top_content": [
            {"content_id": row["content_id"], "title": row.get("title", ""), **_without(row, "content_id", "title")}
            for row in report.top_content
        ],
        "earned_media_value": [
            {"network": network, "value": value, "currency": report.earned_media_value["currency"]}
            for network, value in report.earned_media_value["per_network"].items()
        ]
        + [{"network": "formula", "value": report.earned_media_value["formula"], "currency": ""}],
        "digest_funnel": [{"step": step, "value": n} for step, n in report.digest_funnel.items()],
        "team_ranking": [dict(row) for row in report.team_ranking],
        "surges": [
            {
                "day": row["day"],
                "network": row.get("network", ""),
                "reason": row.get("reason", ""),
                **_without(row, "day", "network", "reason"),
            }
            for row in report.surges
        ],
        "series": [
            {"day": day, **{figure: points[index]["value"] for figure, points in report.series.items()}}
            for index, day in enumerate(days)
        ],
    }


def _without(row: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key not in names}


def neutralised(value: Any) -> str:
    """A cell's text, with a leading apostrophe if a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows (dicts with the same keys) as CSV with a header line, every cell neutralised."""
    rows = list(rows)
    out = io.StringIO()
    if not rows:
        return ""
    writer = csv.writer(out, lineterminator="\r\n")
    names = list(rows[0])
    writer.writerow([neutralised(name) for name in names])
    for row in rows:
        writer.writerow([neutralised(row.get(name)) for name in names])
    return out.getvalue()
