"""Folding credits into employees' figures and leaderboards: the pure part of the counting run."""

from __future__ import annotations

from functions.stats.boards import BOARD_SIZE, Board, Change, Entry
from functions.stats.decide import Credit
from functions.stats.folding import EmployeeTotals, board_changes, fold
from functions.stats.periods import kept_keys


def credit(employee: str = "e1", day: str = "2026-11-22", team: str = "Sales", **figures: int) -> Credit:
    return Credit(f"id-{employee}-{day}", employee, team, day, **figures)


def test_a_credit_counts_in_its_week_its_month_and_all_time() -> None:
    [delta] = fold([credit(human_clicks=1, unique_human_clicks=1, points=10)], "2026-11-22").values()
    assert set(delta.periods) == {"W#2026-W47", "M#2026-11", "A"}
    assert dict(delta.periods["A"]) == {
        "shares": 0,
        "human_clicks": 1,
        "unique_human_clicks": 1,
        "self_clicks": 0,
        "points": 10,
    }


def test_a_slice_is_folded_into_one_change_per_employee() -> None:
    credits = [
        credit(shares=1, points=1),
        credit(human_clicks=1, unique_human_clicks=1, points=10),
        credit(human_clicks=1),
        credit(human_clicks=1, self_clicks=1),
        credit("e2", human_clicks=1, unique_human_clicks=1, points=10),
    ]
    deltas = fold(credits, "2026-11-22")
    assert set(deltas) == {"e1", "e2"}
    week = deltas["e1"].periods["W#2026-W47"]
    assert dict(week) == {"shares": 1, "human_clicks": 3, "unique_human_clicks": 1, "self_clicks": 1, "points": 11}


def test_a_reversal_takes_back_what_an_earlier_slice_gave() -> None:
    deltas = fold([credit(human_clicks=-1, unique_human_clicks=-1, points=-10)], "2026-11-22")
    assert deltas["e1"].periods["A"]["points"] == -10


def test_a_late_event_of_a_period_no_longer_kept_counts_in_all_time_only() -> None:
    # on 2026-11-22 the weeks kept are 47 and 46, the months November and October
    assert set(kept_keys("2026-11-22").values()) == {"W#2026-W47", "W#2026-W46", "M#2026-11", "M#2026-10", "A"}
    [delta] = fold([credit(day="2026-09-30", shares=1, points=1)], "2026-11-22").values()
    assert set(delta.periods) == {"A"}
    [delta] = fold([credit(day="2026-11-15", shares=1, points=1)], "2026-11-22").values()
    assert set(delta.periods) == {"W#2026-W46", "M#2026-11", "A"}


def test_the_team_is_the_one_of_the_last_credit() -> None:
    deltas = fold([credit(team="Sales", shares=1), credit(team="Marketing", shares=1)], "2026-11-22")
    assert deltas["e1"].team == "Marketing"


def test_a_credit_moves_its_employee_on_the_overall_and_the_team_board_of_each_period() -> None:
    deltas = fold([credit(human_clicks=1, unique_human_clicks=1, points=10)], "2026-11-22")
    after = {"W#2026-W47": {"points": 15, "human_clicks": 2}, "M#2026-11": {"points": 15}, "A": {"points": 40}}
    changes = board_changes(
        [(deltas["e1"], EmployeeTotals("e1", "Sales", "Sales", after))], set(kept_keys("2026-11-22").values())
    )
    assert set(changes) == {(p, s) for p in ("W#2026-W47", "M#2026-11", "A") for s in ("*", "Sales")}
    [change] = changes[("A", "*")]
    assert change == Change("e1", 30, Entry("e1", points=40))
    assert changes[("W#2026-W47", "Sales")] == [Change("e1", 5, Entry("e1", points=15, human_clicks=2))]


def test_someone_who_changed_team_leaves_the_old_teams_boards_for_the_new_ones() -> None:
    deltas = fold([credit(team="Marketing", shares=1, points=1)], "2026-11-22")
    after = {"W#2026-W47": {"points": 1, "shares": 1}, "W#2026-W46": {"points": 7}, "A": {"points": 8}}
    totals = EmployeeTotals("e1", "Marketing", "Sales", after)
    changes = board_changes([(deltas["e1"], totals)], set(kept_keys("2026-11-22").values()))
    assert changes[("W#2026-W46", "Sales")] == [Change("e1", 7, None)]  # last week's standing moves too
    assert changes[("W#2026-W46", "Marketing")] == [Change("e1", 0, Entry("e1", points=7))]
    assert changes[("A", "Sales")] == [Change("e1", 7, None)]
    assert ("W#2026-W46", "*") not in changes  # nothing changed there for everyone


def test_a_board_keeps_its_best_entries_and_everyone_in_its_histogram() -> None:
    board = Board("A", "*")
    board.apply([Change(f"e{n:03d}", 0, Entry(f"e{n:03d}", points=n)) for n in range(1, BOARD_SIZE + 51)])
    assert len(board.top) == BOARD_SIZE and board.top[0].points == BOARD_SIZE + 50
    assert sum(board.hist.values()) == BOARD_SIZE + 50
    assert board.rank(1) == BOARD_SIZE + 50 and board.rank(BOARD_SIZE + 50) == 1 and board.rank(0) is None
    board.apply([Change("e001", 1, Entry("e001", points=BOARD_SIZE + 50))])  # the last catches up with the first
    assert board.rank(BOARD_SIZE + 50) == 1 and board.top[:2] == [
        Entry("e001", points=BOARD_SIZE + 50),
        Entry(f"e{BOARD_SIZE + 50:03d}", points=BOARD_SIZE + 50),
    ]
    assert 1 not in board.hist and board.hist[BOARD_SIZE + 50] == 2


def test_leaving_a_board_takes_the_entry_and_its_count() -> None:
    board = Board("A", "Sales")
    board.apply([Change("a", 0, Entry("a", points=5)), Change("b", 0, Entry("b", points=5))])
    board.apply([Change("a", 5, None)])
    assert board.top == [Entry("b", points=5)] and board.hist == {5: 1}


def test_clicks_without_points_keep_an_entry_but_no_rank() -> None:
    board = Board("A", "*")
    board.apply([Change("a", 0, Entry("a", human_clicks=2))])
    assert board.top == [Entry("a", human_clicks=2)] and board.hist == {}
