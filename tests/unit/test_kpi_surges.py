"""Surges: a day far above the days before it is flagged, a steady stream and a small jump are not."""

from __future__ import annotations

import random
from datetime import date, timedelta

from functions.kpis.surges import SurgeRule, surges

START = date(2026, 5, 1)
RULE = SurgeRule(factor=5, minimum=50, baseline_days=14)


def day(n: int) -> str:
    return (START + timedelta(days=n)).isoformat()


def network(n: int, name: str, clicks: int) -> dict[str, object]:
    return {"day": day(n), "dimension": "network", "network": name, "reason": None, "human_clicks": clicks}


def reason(n: int, name: str, clicks: int) -> dict[str, object]:
    row = {"day": day(n), "dimension": "reason", "network": None, "reason": name}
    return {**row, "human_clicks": 0, "clicks_earning_nothing": clicks}


def steady(days: int = 28, seed: int = 7) -> list[dict[str, object]]:
    """LinkedIn 40-60 human clicks a day, X 0-20 (some days none), a few scanner bursts."""
    rng = random.Random(seed)
    rows = []
    for n in range(days):
        rows.append(network(n, "linkedin", rng.randint(40, 60)))
        if rng.random() < 0.7:
            rows.append(network(n, "x", rng.randint(1, 20)))
        rows.append(reason(n, "scanner_burst", rng.randint(0, 4)))
        rows.append(reason(n, "unique", 50))  # unique clicks earn points: never a reason's surge
    return rows


def test_a_steady_stream_is_not_flagged() -> None:
    assert surges(steady(), START + timedelta(days=14), START + timedelta(days=27), RULE) == []


def test_one_networks_surge_and_one_visitors_burst_are_flagged_on_their_day() -> None:
    rows = steady()
    rows.append(network(20, "linkedin", 400))  # 400 + that day's 40-60, against a median near 50
    rows.append(reason(24, "address_cap", 120))  # one address over its cap: never seen before
    found = surges(rows, START + timedelta(days=14), START + timedelta(days=27), RULE)
    assert [(s["day"], s.get("network"), s.get("reason")) for s in found] == [
        (day(20), "linkedin", None),
        (day(24), None, "address_cap"),
    ]
    linkedin, cap = found
    assert linkedin["value"] > 440 and 40 <= linkedin["baseline"] <= 60
    assert linkedin["why"].startswith(f"{linkedin['value']} human clicks on linkedin: ")
    assert (cap["value"], cap["baseline"]) == (120, 0.0)
    assert cap["why"] == "120 clicks not earning points (address_cap): none on a typical day of the 14 before"


def test_a_jump_under_the_minimum_or_under_the_factor_is_not_flagged() -> None:
    rows = [network(n, "x", 2) for n in range(14)] + [network(14, "x", 49)]  # 24× but under 50
    rows += [network(n, "linkedin", 100) for n in range(14)] + [network(14, "linkedin", 500)]  # exactly 5×
    assert surges(rows, START + timedelta(days=14), START + timedelta(days=14), RULE) == []
    rows.append(network(14, "x", 1))  # the day's rows of one network add up: 50
    assert [s["network"] for s in surges(rows, START + timedelta(days=14), START + timedelta(days=14), RULE)] == ["x"]


def test_days_before_the_range_are_its_baseline_not_its_flags() -> None:
    rows = [network(0, "facebook", 300)]
    assert surges(rows, START + timedelta(days=1), START + timedelta(days=10), RULE) == []
    # the surge's own day is in the baseline of the days after it, but the median of 14 days ignores one
    rows.append(network(5, "facebook", 300))
    assert [s["day"] for s in surges(rows, START + timedelta(days=1), START + timedelta(days=10), RULE)] == [day(5)]
