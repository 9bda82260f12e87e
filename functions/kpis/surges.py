"""Surges flagged to admins: a day whose clicks of one network, or of one reason they earned nothing, jump.

The rules already keep points from a surge (functions/stats/decide.py: a scanner's burst, a repeat, the
sharer's own click, an address over its cap earn nothing); this tells admins it happened. From the KPI
facts, summed per day (``sql/kpi_daily_clicks.sql``), a day of the range is flagged when one network's human
clicks, or the clicks of one reason (``scanner_burst``, ``address_cap``, ``repeat_visit``, a classifier's
reason…), are at least ``minimum`` and more than ``factor`` × their median over the ``baseline_days`` before
it (a day without any counts as 0). The facts hold no visitor or address: one visitor hammering links shows
as its reason's jump, not by its name. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any


@dataclass(frozen=True)
class SurgeRule:
    factor: int = 5
    minimum: int = 50
    baseline_days: int = 14


def surges(rows: Iterable[Mapping[str, Any]], start: date, end: date, rule: SurgeRule) -> list[dict[str, Any]]:
    """The flagged days of ``start``..``end`` from kpi_daily_clicks.sql's rows (which reach back
    ``rule.baseline_days`` before ``start``), oldest first."""
    daily: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        if row["dimension"] == "network":
            key, value = ("network", row["network"]), int(row["human_clicks"] or 0)
        elif row["reason"] != "unique":
            key, value = ("reason", row["reason"]), int(row["clicks_earning_nothing"] or 0)
        else:
            continue
        if value:
            by_day = daily.setdefault(key, {})
            by_day[row["day"]] = by_day.get(row["day"], 0) + value
    flagged = []
    for (dimension, name), by_day in daily.items():
        for text, value in by_day.items():
            day = date.fromisoformat(text)
            if not start <= day <= end or value < rule.minimum:
                continue
            before = [by_day.get((day - timedelta(days=n)).isoformat(), 0) for n in range(1, rule.baseline_days + 1)]
            baseline = float(median(before))
            if value > rule.factor * baseline:
                flagged.append(
                    {
                        "day": text,
                        dimension: name,
                        "value": value,
                        "baseline": baseline,
                        "why": _why(dimension, name, value, baseline, rule),
                    }
                )
    return sorted(flagged, key=lambda surge: (surge["day"], surge.get("network", ""), surge.get("reason", "")))


def _why(dimension: str, name: str, value: int, baseline: float, rule: SurgeRule) -> str:
    what = (
        f"{value} human clicks on {name}" if dimension == "network" else f"{value} clicks not earning points ({name})"
    )
    if baseline:
        ratio = value / baseline
        return f"{what}: {ratio:.1f}× the median of {baseline:g} a day over the {rule.baseline_days} days before"
    return f"{what}: none on a typical day of the {rule.baseline_days} before"
