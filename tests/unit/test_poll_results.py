"""The polls' arithmetic and periods, exactly: eNPS, satisfaction means, response rates, who is shown."""

from __future__ import annotations

from datetime import date

import pytest

from functions.polls.model import UnknownPollError, parse_poll_id, poll_for, polls_overlapping
from functions.polls.results import MIN_RESPONSES, summarize
from functions.polls.store import PollTotals

ENPS = parse_poll_id("enps-2026Q4")
SATISFACTION = parse_poll_id("satisfaction-2026-11")


def totals(poll_id: str, answers: list[int], sent: int | None = None) -> PollTotals:
    counts: dict[int, int] = {}
    for answer in answers:
        counts[answer] = counts.get(answer, 0) + 1
    return PollTotals(poll_id, sent=len(answers) if sent is None else sent, responses=len(answers), counts=counts)


def enps_of(answers: list[int]) -> int | None:
    return summarize(ENPS, totals(ENPS.id, answers)).enps


def test_a_poll_nobody_was_sent_has_no_rate_and_no_score() -> None:
    summary = summarize(ENPS, None)
    assert (summary.sent, summary.responses, summary.response_rate, summary.shown) == (0, 0, None, False)
    assert (summary.enps, summary.mean, summary.distribution) == (None, None, {})
    assert (summary.poll_id, summary.kind, summary.start, summary.end) == (
        "enps-2026Q4",
        "enps",
        date(2026, 10, 1),
        date(2026, 12, 31),
    )


def test_sent_but_unanswered_is_a_rate_of_zero() -> None:
    summary = summarize(ENPS, PollTotals(ENPS.id, sent=40))
    assert (summary.response_rate, summary.shown, summary.enps) == (0.0, False, None)


def test_fewer_than_five_answers_are_counted_but_nothing_they_said_is_shown() -> None:
    assert MIN_RESPONSES == 5
    summary = summarize(ENPS, totals(ENPS.id, [10, 10, 10, 10], sent=12))
    assert (summary.responses, summary.response_rate) == (4, 0.3333)
    assert (summary.shown, summary.enps, summary.distribution) == (False, None, {})
    low = summarize(SATISFACTION, totals(SATISFACTION.id, [1, 2, 3, 4]))
    assert (low.shown, low.mean, low.distribution) == (False, None, {})


def test_five_answers_are_shown() -> None:
    summary = summarize(ENPS, totals(ENPS.id, [10, 9, 8, 7, 0], sent=10))
    assert (summary.shown, summary.response_rate) == (True, 0.5)
    assert summary.enps == 20  # 2 promoters, 1 detractor of 5: 40% - 20%
    assert summary.distribution == {0: 1, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 1, 8: 1, 9: 1, 10: 1}


def test_all_promoters_is_100_and_all_detractors_is_minus_100() -> None:
    assert enps_of([9, 10, 9, 10, 10]) == 100
    assert enps_of([0, 1, 2, 3, 4, 5, 6]) == -100
    assert enps_of([7, 8, 7, 8, 7]) == 0  # passives only
    assert enps_of([6, 9, 6, 9, 7, 8]) == 0  # as many detractors as promoters


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([9, 9, 9, 0, 0, 7, 7, 7], 13),  # (3 - 2) / 8 = 12.5%: half away from zero, not to even (12)
        ([9, 9, 0, 0, 0, 7, 7, 7], -13),  # -12.5%
        ([10, 0, 7, 7, 7, 7], 0),  # 1 - 1
        ([10, 10, 0, 7, 7, 7], 17),  # 16.67%
        ([10, 0, 0, 7, 7, 7], -17),
        ([6, 7, 8, 9, 10, 10, 9], 43),  # the boundaries: 6 detracts, 7-8 are passive, 9 promotes; 3 / 7 = 42.86%
    ],
)
def test_enps_is_promoters_minus_detractors_rounded_from_the_exact_fraction(answers: list[int], expected: int) -> None:
    assert enps_of(answers) == expected


def test_satisfaction_is_the_mean_to_two_places_and_its_distribution() -> None:
    summary = summarize(SATISFACTION, totals(SATISFACTION.id, [1, 2, 3, 4, 5, 5], sent=24))
    assert (summary.shown, summary.mean, summary.enps) == (True, 3.33, None)
    assert summary.distribution == {1: 1, 2: 1, 3: 1, 4: 1, 5: 2}
    assert summary.response_rate == 0.25
    assert summarize(SATISFACTION, totals(SATISFACTION.id, [3] * 7 + [4])).mean == 3.13  # 3.125, half up
    assert summarize(SATISFACTION, totals(SATISFACTION.id, [5] * 5)).mean == 5.0


def test_poll_ids_name_their_kind_and_period() -> None:
    assert poll_for("enps", "quarterly", date(2026, 11, 23)).id == "enps-2026Q4"
    assert poll_for("enps", "monthly", date(2026, 11, 23)).id == "enps-2026-11"
    assert poll_for("satisfaction", "monthly", date(2027, 1, 1)).id == "satisfaction-2027-01"
    assert poll_for("satisfaction", "quarterly", date(2027, 3, 31)).id == "satisfaction-2027Q1"
    february = parse_poll_id("satisfaction-2028-02")
    assert (february.start, february.end) == (date(2028, 2, 1), date(2028, 2, 29))
    assert list(february.scale) == [1, 2, 3, 4, 5]
    assert list(parse_poll_id("enps-2026Q1").scale) == list(range(11))
    for wrong in ("enps-2026Q5", "enps-2026-13", "nps-2026Q1", "enps-2026Q1x", "", "ENPS-2026Q1", "enps-26Q1"):
        with pytest.raises(UnknownPollError):
            parse_poll_id(wrong)


def test_the_polls_of_a_date_range_are_every_kind_and_cadence_overlapping_it() -> None:
    ids = [poll.id for poll in polls_overlapping(date(2026, 12, 20), date(2027, 1, 5))]
    assert sorted(ids) == sorted(
        [
            "enps-2026Q4",
            "satisfaction-2026Q4",
            "enps-2026-12",
            "satisfaction-2026-12",
            "enps-2027Q1",
            "satisfaction-2027Q1",
            "enps-2027-01",
            "satisfaction-2027-01",
        ]
    )
    assert len(polls_overlapping(date(2026, 1, 1), date(2026, 12, 31))) == 2 * (12 + 4)
    assert [p.id for p in polls_overlapping(date(2026, 5, 31), date(2026, 5, 31))] == [
        "enps-2026Q2",
        "satisfaction-2026Q2",
        "enps-2026-05",
        "satisfaction-2026-05",
    ]
    assert polls_overlapping(date(2026, 2, 1), date(2026, 1, 1)) == []
