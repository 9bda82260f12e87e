"""Badges and weekly streaks (functions/stats/badges.py): the rules, on ISO week boundaries."""

from __future__ import annotations

from datetime import date

from functions.stats.badges import Streak, earned, in_order, settled, week_of


def shares_in(*weeks: str) -> Streak:
    streak = Streak()
    for week in weeks:
        streak = streak.with_share_in(week)
    return streak


def test_weeks_are_iso_weeks_so_a_sunday_and_the_next_monday_are_two_weeks() -> None:
    assert week_of(date(2026, 11, 29)) == "2026-W48"  # a Sunday
    assert week_of(date(2026, 11, 30)) == "2026-W49"  # the Monday after
    assert week_of(date(2027, 1, 1)) == "2026-W53"  # 2026 has 53 ISO weeks: New Year's Day is in its last


def test_consecutive_weeks_grow_the_streak_and_shares_within_a_week_count_once() -> None:
    streak = shares_in("2026-W47", "2026-W47", "2026-W48", "2026-W49")
    assert streak == Streak("2026-W49", 3, 3, 2)


def test_the_streak_runs_across_the_new_year_including_a_53rd_week() -> None:
    assert shares_in("2026-W52", "2026-W53", "2027-W01") == Streak("2027-W01", 3, 3, 2)
    assert shares_in("2025-W52", "2026-W01") == Streak("2026-W01", 2, 2, 1)  # 2025 has 52
    assert shares_in("2025-W52", "2026-W02").current == 1


def test_a_missed_week_resets_current_but_keeps_best() -> None:
    streak = shares_in("2026-W40", "2026-W41", "2026-W42", "2026-W44")
    assert (streak.current, streak.best) == (1, 3)
    assert shares_in("2026-W40", "2026-W41", "2026-W42", "2026-W44", "2026-W45", "2026-W46", "2026-W47").best == 4


def test_a_late_share_of_an_earlier_week_changes_nothing() -> None:
    streak = shares_in("2026-W45", "2026-W46")
    assert streak.with_share_in("2026-W44") == streak and streak.with_share_in("2026-W46") == streak


def test_the_current_streak_shown_lasts_through_the_week_after_and_then_reads_zero() -> None:
    streak = shares_in("2026-W47", "2026-W48")  # last share in the week of Monday 23 November
    assert streak.as_of(date(2026, 11, 29)) == 2  # that week's Sunday
    assert streak.as_of(date(2026, 11, 30)) == 2  # next week: not broken until it ends without a share
    assert streak.as_of(date(2026, 12, 6)) == 2
    assert streak.as_of(date(2026, 12, 7)) == 0  # a whole week (W49) passed without one
    assert streak.best == 2
    assert Streak().as_of(date(2026, 12, 7)) == 0


def test_badges_come_from_all_time_figures() -> None:
    assert earned({}) == set()
    assert earned({"shares": 1}) == {"first_share"}
    assert earned({"shares": 0, "unique_human_clicks": 9}) == set()
    assert earned({"shares": 3, "unique_human_clicks": 10}) == {"first_share", "ten_readers"}
    assert in_order({"story_100", "first_share"}) == ["first_share", "story_100"]


def test_a_figures_badge_is_kept_while_its_figure_reaches_it_and_a_story_badge_always() -> None:
    held = {"first_share", "ten_readers", "story_100"}
    assert settled(held, {"shares": 4, "unique_human_clicks": 12}) == held
    assert settled(set(), {"shares": 1}) == {"first_share"}
    # a revision brought the figures back under their thresholds: only a scanner earned those two
    assert settled(held, {"shares": 0, "unique_human_clicks": 9}) == {"story_100"}
    assert settled({"first_share"}, {"shares": 0, "unique_human_clicks": 10}) == {"ten_readers"}


def test_taking_back_a_week_whose_shares_were_revised_away_restores_the_streak_before_it() -> None:
    running = shares_in("2026-W45", "2026-W46")
    assert running.with_share_in("2026-W47").without_share_in("2026-W47") == Streak("2026-W46", 2, 2, 2)
    record = shares_in("2026-W40", "2026-W41", "2026-W42", "2026-W44", "2026-W45")  # best 3 before, now 2
    assert record.with_share_in("2026-W46").without_share_in("2026-W46") == Streak("2026-W45", 2, 3, 3)
    raised = shares_in("2026-W45", "2026-W46", "2026-W47")  # the step to W48 raised best from 3 to 4
    assert raised.with_share_in("2026-W48").without_share_in("2026-W48").best == 3
    first = Streak().with_share_in("2026-W47").without_share_in("2026-W47")
    assert (first.as_of(date(2026, 11, 20)), first.best) == (0, 0)
    assert first.with_share_in("2026-W48") == Streak("2026-W48", 1, 1, 0)
    assert running.without_share_in("2026-W45") == running  # not its last week: nothing to take back
