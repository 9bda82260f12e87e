"""The public summary's totals equal the full report's, over facts the real counting run wrote (randomized
streams with scanner bursts that later slices revise, repeated shares, own clicks and late copies)."""

from __future__ import annotations

from datetime import date

import pytest

from functions.kpis.query import KpiFilters, KpiQueryError, kpis, totals
from tests.conftest import Clock
from tests.integration.test_kpi_recompute import SLICINGS, run_stream
from tests.integration.test_kpis import DAY, programme  # noqa: F401 - the fixture

MAY_3, MAY_4 = date(2026, 5, 3), date(2026, 5, 4)


def reported(filters: KpiFilters) -> tuple[int, int, int, int]:
    report = kpis(filters)
    return report.shares["total"], report.human_clicks, report.unique_human_clicks, report.sharers


def summed(filters: KpiFilters) -> tuple[int, int, int, int]:
    found = totals(filters)
    assert found.range == {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
    return found.shares, found.human_clicks, found.unique_human_clicks, found.sharers


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_totals_are_the_reports_figures_for_every_range_and_slice(clock: Clock, seed: int) -> None:
    run_stream(clock, seed)
    asked = [KpiFilters(MAY_3, MAY_4, **slicing) for slicing in SLICINGS]
    asked += [
        KpiFilters(MAY_4, MAY_4),
        KpiFilters(date(2026, 4, 5), MAY_4),
        KpiFilters(date(2026, 5, 5), date(2026, 5, 6)),
    ]
    figures = {filters: reported(filters) for filters in asked}
    assert all(figures[asked[0]])  # shares, clicks, unique clicks and sharers: none of them zero
    assert figures[KpiFilters(MAY_4, MAY_4)] != figures[asked[0]]  # the day before midnight counts
    assert {filters: summed(filters) for filters in asked} == figures


def test_the_totals_of_the_fixed_day_are_those_computed_by_hand(programme: Clock) -> None:  # noqa: F811
    # Ada's and Bob's shares (Cy's were a scanner's, Bob's second a repeat); Ada's 3 readers, a repeat visit
    # and her own click, Bob's reader; 4 of them unique; Ada and Bob shared
    assert summed(KpiFilters(DAY, DAY)) == reported(KpiFilters(DAY, DAY)) == (2, 6, 4, 2)
    assert summed(KpiFilters(DAY, DAY, team="Sales")) == reported(KpiFilters(DAY, DAY, team="Sales")) == (1, 1, 1, 1)
    assert summed(KpiFilters(date(2026, 3, 11), date(2026, 3, 11))) == (0, 0, 0, 0)


def test_a_range_the_totals_cannot_answer_names_its_field() -> None:
    with pytest.raises(KpiQueryError) as refused:
        totals(KpiFilters(DAY, date(2026, 3, 9)))
    assert refused.value.field == "end"
