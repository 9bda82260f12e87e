"""Gamification through the real counting run over moto: configurable points, approved suggestions credited
once, badges and weekly streaks kept on the employee's one item (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from functions.config import settings
from functions.content.suggestions import SuggestionAlreadyDecidedError, approve, suggest
from functions.directory.model import Employee
from functions.directory.store import EmployeeStore
from functions.events import Event
from functions.stats.aggregates import AggregateStore, Checkpoint
from functions.stats.counting import run_once
from tests.conftest import Clock
from tests.integration.test_counting import click, iso, share, totals, write

ARTICLE = "https://www.example.com/blog/serverless-at-scale/"


@pytest.fixture
def rules(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Points rules other than the defaults: a share 2, a unique human click 7, an approved suggestion 4."""
    monkeypatch.setenv("POINTS_PER_SHARE", "2")
    monkeypatch.setenv("POINTS_PER_UNIQUE_CLICK", "7")
    monkeypatch.setenv("POINTS_PER_APPROVED_SUGGESTION", "4")
    settings.cache_clear()
    yield
    settings.cache_clear()


def hire(employee_id: str, team: str = "Sales") -> None:
    EmployeeStore().put(
        Employee(id=employee_id, email=f"{employee_id}@example.com", name=employee_id.title(), team=team)
    )


def test_points_follow_the_settings_and_self_repeat_and_burst_clicks_earn_nothing(rules: None, clock: Clock) -> None:
    run_once()  # the checkpoint, before the events
    at = iso(clock.at)
    sharer = share("ada", at=at)
    write(
        clock,
        [
            sharer,
            click("ada", "r1", at=at),  # unique: 7
            click("ada", "r1", at=at),  # a repeat visit
            *(click("ada", "scanner", at=at, code=f"L{n}") for n in range(3)),  # a burst: nothing
        ],
    )
    clock.close_slice()
    run_once()
    assert totals("ada") == {"shares": 1, "human_clicks": 2, "unique_human_clicks": 1, "points": 2 + 7}


def test_an_approved_suggestion_earns_its_points_once(rules: None, clock: Clock) -> None:
    run_once()
    hire("ada", "Marketing")
    made = suggest("ada", ARTICLE)
    approve(made.id, moderator="mo", publish=True)
    with pytest.raises(SuggestionAlreadyDecidedError):
        approve(made.id, moderator="another", publish=True)
    clock.close_slice()
    run_once()
    assert totals("ada") == {"points": 4}
    assert AggregateStore().employee("ada").team == "Marketing"  # credited under the team she is in
    store = AggregateStore()  # counting the same slice again credits nothing more
    after = store.checkpoint()
    store.move_checkpoint(after, Checkpoint(after.slice_end - 300, ""))
    run_once()
    assert totals("ada") == {"points": 4}


def count_at(clock: Clock, moment: float, events: list) -> None:
    """Write ``events`` at ``moment`` (skipping the empty slices since the last run) and count them."""
    store = AggregateStore()
    checkpoint = store.checkpoint()
    clock.at = moment
    skip_to = int(moment - 600) // 300 * 300
    if checkpoint is None:
        run_once()
    elif skip_to > checkpoint.slice_end:
        store.move_checkpoint(checkpoint, Checkpoint(skip_to, checkpoint.state_key))
    write(clock, events)
    clock.close_slice()
    assert run_once().events == len(events)


def progress(employee: str) -> tuple[list[str], int, int]:
    from functions.stats.badges import in_order

    totals = AggregateStore().employee(employee)
    assert totals is not None
    return in_order(totals.badges), totals.streak.current, totals.streak.best


MONDAY = datetime(2026, 11, 2, 12, 0, tzinfo=UTC).timestamp()  # ISO week 45
WEEK = 7 * 86400


def test_badges_are_earned_once_from_counted_figures(aws: None, clock: Clock) -> None:
    def readers(content: str, count: int, at: float, prefix: str) -> list:
        return [
            replace(click("ada", f"{prefix}{n}", at=iso(at), code=f"code-{content}"), content_id=content)
            for n in range(count)
        ]

    count_at(clock, MONDAY, [share("ada", at=iso(MONDAY)), *readers("launch", 9, MONDAY, "a")])
    assert progress("ada")[0] == ["first_share"]  # 9 readers: not ten yet
    count_at(clock, MONDAY + 600, [*readers("launch", 1, MONDAY + 600, "b"), *readers("other", 60, MONDAY + 600, "c")])
    assert progress("ada")[0] == ["first_share", "ten_readers"]  # 70 readers, no item with 100 yet
    count_at(clock, MONDAY + 1200, readers("other", 39, MONDAY + 1200, "d"))
    assert progress("ada")[0] == ["first_share", "ten_readers"]  # "other" has 99
    count_at(clock, MONDAY + 1800, readers("other", 1, MONDAY + 1800, "e"))
    assert progress("ada")[0] == ["first_share", "ten_readers"]  # 100 readers, on a day a slice may still revise
    count_at(clock, MONDAY + 2 * 86400, [])  # Wednesday: Monday closed
    assert progress("ada")[0] == ["first_share", "ten_readers", "story_100"]
    assert totals("ada")["unique_human_clicks"] == 110


def test_a_self_click_repeat_or_burst_brings_no_reader_towards_a_badge(aws: None, clock: Clock) -> None:
    at = iso(MONDAY)
    sharer = replace(share("ada", at=iso(MONDAY - 1)), visitor="ada-phone", kind="human")  # she opened it first
    own = [click("ada", "ada-phone", at=at) for _ in range(12)]
    repeats = [click("ada", "r1", at=at) for _ in range(12)]
    burst = [click("ada", "scanner", at=at, code=f"L{n}") for n in range(12)]
    count_at(clock, MONDAY, [sharer, *own, *repeats, *burst])
    assert totals("ada")["unique_human_clicks"] == 1
    assert progress("ada")[0] == ["first_share"]


def test_the_weekly_streak_counts_consecutive_weeks_and_a_missed_week_resets_it(aws: None, clock: Clock) -> None:
    from functions.stats.leaderboard import own_view

    for week in (0, 1, 2):  # weeks 45, 46, 47
        count_at(clock, MONDAY + week * WEEK, [share("ada", at=iso(MONDAY + week * WEEK))])
    count_at(clock, MONDAY + 2 * WEEK + 3600, [share("ada", at=iso(MONDAY + 2 * WEEK + 3600), content="more")])
    assert progress("ada")[1:] == (3, 3)
    count_at(clock, MONDAY + 2 * WEEK + 7200, [click("ada", "v1", at=iso(MONDAY + 2 * WEEK + 7200))])
    assert progress("ada")[1:] == (3, 3)  # a click is not a share
    _, seen = own_view("ada", now=datetime.fromtimestamp(MONDAY + 4 * WEEK, UTC))  # week 49: 48 was missed
    assert (seen.streak, seen.best_streak) == (0, 3)
    count_at(clock, MONDAY + 4 * WEEK, [share("ada", at=iso(MONDAY + 4 * WEEK))])
    assert progress("ada")[1:] == (1, 3)
    _, seen = own_view("ada", now=datetime.fromtimestamp(MONDAY + 4 * WEEK + 3600, UTC))
    assert (seen.badges, seen.streak, seen.best_streak) == (["first_share"], 1, 3)


def test_counting_a_slice_again_neither_repeats_a_streak_step_nor_a_reader(aws: None, clock: Clock) -> None:
    count_at(clock, MONDAY, [share("ada", at=iso(MONDAY))])
    count_at(clock, MONDAY + WEEK, [share("ada", at=iso(MONDAY + WEEK)), click("ada", "v1", at=iso(MONDAY + WEEK))])
    store = AggregateStore()
    after = store.checkpoint()
    assert after is not None
    store.move_checkpoint(after, Checkpoint(after.slice_end - 300, ""))
    run_once()
    assert progress("ada") == (["first_share"], 2, 2)
    assert totals("ada")["unique_human_clicks"] == 1


def test_a_story_read_slowly_earns_its_badge_once_the_day_of_its_100th_reader_closes(aws: None, clock: Clock) -> None:
    from functions.kpis.recompute import recompute
    from functions.kpis.store import KpiFiles

    def readers(employee: str, count: int, at: float, prefix: str) -> list:
        return [click(employee, f"{prefix}{n}", at=iso(at)) for n in range(count)]

    count_at(clock, MONDAY, [*readers("ada", 40, MONDAY, "a"), *readers("bob", 40, MONDAY, "a")])  # week 45
    count_at(clock, MONDAY + 2 * WEEK, [*readers("ada", 30, MONDAY + 2 * WEEK, "b")])  # week 47
    last = MONDAY + 4 * WEEK  # week 49: ada's story has 100 readers all time, never 100 in two weeks
    count_at(clock, last, [*readers("ada", 30, last, "c"), *readers("bob", 59, last, "c")])
    assert progress("ada")[0] == progress("bob")[0] == ["ten_readers"]  # the day is still open
    count_at(clock, last + 86400, [])
    assert progress("ada")[0] == ["ten_readers"]  # open still: a day closes once two later days began
    count_at(clock, last + 2 * 86400, [])
    assert progress("ada")[0] == ["ten_readers", "story_100"]
    assert progress("bob")[0] == ["ten_readers"]  # 99 readers: not yet
    count_at(clock, last + 3 * 86400, readers("bob", 1, last + 3 * 86400, "d"))
    count_at(clock, last + 5 * 86400, [])
    assert progress("bob")[0] == ["ten_readers", "story_100"]
    files = KpiFiles()
    assert [snapshot.day for snapshot in files.readers()] == ["2026-12-03"]  # one snapshot, through the last closed day
    recompute("2026-11-30", write=True)  # a day's facts rewritten: the snapshot may hold them as they were
    assert files.readers() == []
    count_at(clock, last + 6 * 86400, [])
    assert [snapshot.day for snapshot in files.readers()] == ["2026-12-04"]  # rebuilt from every day's facts
    assert progress("ada")[0] == progress("bob")[0] == ["ten_readers", "story_100"]


def test_a_share_the_next_slice_finds_was_a_scanners_takes_back_its_badge_and_streak_week(
    aws: None, clock: Clock
) -> None:
    edge = MONDAY // 300 * 300 + 300  # a slice boundary

    def scanned(content: str, at: float) -> Event:  # a mail gateway opening the digest's share links
        return replace(share("ada", at=iso(at), content=content), visitor="safe-links", ip="gateway")

    count_at(clock, edge - 2, [scanned("c1", edge - 2)])
    assert progress("ada") == (["first_share"], 1, 1)  # counted: nothing yet says it was a scanner
    count_at(clock, edge + 1, [scanned("c2", edge + 1), scanned("c3", edge + 2)])
    assert totals("ada")["shares"] == 0  # three links in 4 s: a burst, the first share reversed
    assert progress("ada") == ([], 0, 0)
    count_at(clock, edge + 3600, [replace(share("ada", at=iso(edge + 3600)), visitor="ada-phone")])
    assert progress("ada") == (["first_share"], 1, 1)
