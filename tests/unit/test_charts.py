"""The Results page's SVG charts: scaled to their data, described in words, every label escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from functions.results.charts import bars, nice_ceiling, paired_bars, trend

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> Any:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (10, 10), (11, 20), (0.3, 0.5), (1234, 2000), (5001, 10000)]
)
def test_the_axis_top_is_the_next_round_number(value: float, top: float) -> None:
    assert nice_ceiling(value) == pytest.approx(top)


def test_a_trend_is_a_line_through_each_day_scaled_to_the_axis() -> None:
    svg = parse(
        trend([("2026-11-01", 0), ("2026-11-02", 5), ("2026-11-03", 10)], title="Human clicks", description="0 to 10")
    )
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Human clicks"
    assert svg.find(f"{SVG}desc").text == "0 to 10"
    points = [tuple(map(float, p.split(","))) for p in svg.find(f"{SVG}polyline").get("points").split()]
    ys = [y for _, y in points]
    assert ys[0] > ys[1] > ys[2]  # higher values are drawn higher
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2])  # 0, 5, 10 evenly on an axis topped at 10
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"2026-11-01", "2026-11-02", "2026-11-03", "10", "5", "0"} <= set(labels)


def test_a_single_day_or_no_day_still_draws() -> None:
    assert "<circle" in trend([("2026-11-01", 3)], title="t", description="d")
    assert parse(trend([], title="t", description="d")).get("role") == "img"


def test_bars_are_proportional_and_labels_escaped() -> None:
    hostile = '<script>alert(1)</script>"'
    svg = bars([("linkedin", 50), (hostile, 100)], title="Shares & clicks", description="per network")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    widths = [float(r.get("width")) for r in parse(svg).iter(f"{SVG}rect")]
    assert widths[1] == pytest.approx(2 * widths[0])
    assert "Shares &amp; clicks" in svg


def test_paired_bars_show_both_figures_per_label_with_a_legend() -> None:
    svg = paired_bars(
        [("linkedin", 10, 40), ("x", 5, 0)], title="Funnel", description="d", legend=("Shares", "Human clicks")
    )
    texts = [t.text for t in parse(svg).iter(f"{SVG}text")]
    assert texts[:2] == ["Shares", "Human clicks"]
    assert {"linkedin", "x", "10", "40", "5", "0"} <= set(texts)


def test_charts_use_no_inline_style_the_site_csp_would_refuse() -> None:
    svg = trend([("a", 1), ("b", 2)], title="t", description="d") + bars([("a", 1)], title="t", description="d")
    assert not re.search(r"\sstyle=|<style|<script", svg)
