"""Surges through the KPI query: a month of generated facts in S3 (the counting run's grain), read by kpis()."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from functions.kpis.query import KpiFilters, kpis
from functions.kpis.store import FACTS, KpiFiles

FIRST = date(2026, 4, 1)
LAST = FIRST + timedelta(days=29)
RANGE = KpiFilters(LAST - timedelta(days=6), LAST)  # the last week: its baseline reaches 14 days further back


def fact(day: str, network: str, outcome: str, events: int, **dimensions: Any) -> dict[str, Any]:
    counted = outcome in ("unique", "repeat_visit", "address_cap", "self_click")
    return {
        "day": day,
        "employee_id": "ada",
        "team": "Marketing",
        "content_id": "launch",
        "campaign": "spring",
        "language": "en",
        "kind": "company",
        "referral": False,
        "network": network,
        "country": "PL",
        "device": "mobile",
        "type": "click",
        "source": "",
        "outcome": outcome,
        "counted": counted,
        "events": events,
        "unique_human_clicks": events if outcome == "unique" else 0,
        "points": 10 * events if outcome == "unique" else 0,
        **dimensions,
    }


def write_month(extra: dict[str, list[dict[str, Any]]] | None = None) -> None:
    """30 days of clicks, as compacted day parts: LinkedIn 40-60 unique and a few repeats a day, X 0-15,
    the odd scanner burst; ``extra`` adds rows to a day."""
    rng = random.Random(11)
    files = KpiFiles()
    for n in range(30):
        day = (FIRST + timedelta(days=n)).isoformat()
        rows = [fact(day, "linkedin", "unique", rng.randint(40, 60)), fact(day, "linkedin", "repeat_visit", 3)]
        if rng.random() < 0.7:
            rows.append(fact(day, "x", "unique", rng.randint(1, 15)))
        if rng.random() < 0.3:
            rows.append(fact(day, "linkedin", "scanner_burst", rng.randint(1, 4)))
        rows += (extra or {}).get(day, [])
        files.put_part(FACTS, day, int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()) + 86400, rows)


def test_a_steady_month_flags_nothing(aws: None) -> None:
    write_month()
    report = kpis(RANGE, now=datetime(2026, 5, 2, tzinfo=UTC))
    assert report.human_clicks > 7 * 40 and report.surges == []


def test_a_networks_surge_and_one_visitors_hammering_are_flagged(aws: None) -> None:
    surge_day, burst_day = (LAST - timedelta(days=3)).isoformat(), (LAST - timedelta(days=1)).isoformat()
    write_month(
        {
            surge_day: [fact(surge_day, "x", "unique", 80, employee_id="bob", team="Sales")],  # 80+ against ~8
            # one visitor opening a link again and again: repeats, not points
            burst_day: [fact(burst_day, "linkedin", "repeat_visit", 150, country="DE", device="desktop")],
        }
    )
    report = kpis(RANGE, now=datetime(2026, 5, 2, tzinfo=UTC))
    assert [(s["day"], s.get("network"), s.get("reason")) for s in report.surges] == [
        (surge_day, "x", None),
        (burst_day, None, "repeat_visit"),
    ]
    x, repeats = report.surges
    assert x["value"] >= 80 and x["baseline"] <= 15
    assert (repeats["value"], repeats["baseline"]) == (153, 3.0)
    assert (
        repeats["why"]
        == "153 clicks not earning points (repeat_visit): 51.0× the median of 3 a day over the 14 days before"
    )
    # a human click that earns nothing is still a human click, yet the repeats do not surge LinkedIn
    # (that day at most 60 + 153, against 5 × a median of at least 43)
    assert kpis(KpiFilters(FIRST + timedelta(days=14), LAST)).surges == report.surges  # a longer range: the same


@pytest.mark.parametrize("name", ["SURGE_FACTOR", "SURGE_MINIMUM", "SURGE_BASELINE_DAYS"])
def test_a_threshold_that_makes_no_sense_is_refused_when_the_settings_load(name: str) -> None:
    from functions.config import Settings

    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: "0"})
