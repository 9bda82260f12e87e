"""Leaderboards: the top K employees by points for a period, overall or within one team.

Read in O(K) from the board the counting run keeps (functions/stats/boards.py): one GetItem for the
board, one BatchGetItem for the names. Deactivated employees are left out; those who opted out of being
shown by name appear anonymously. An employee's own rank comes from the board's points histogram.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions import aws
from functions.directory.store import EmployeeStore
from functions.stats.aggregates import AggregateStore
from functions.stats.badges import in_order
from functions.stats.boards import EVERYONE, Board, Entry
from functions.stats.folding import EmployeeTotals
from functions.stats.periods import LEADERBOARD_PERIODS, current_key

MAX_LIMIT = 100
SLACK = 10  # entries read beyond the limit, for deactivated employees who are skipped
ANONYMOUS = "Anonymous colleague"


class LeaderboardQueryError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Standing:
    rank: int
    employee_id: str
    employee: str
    team: str
    shares: int
    human_clicks: int
    unique_human_clicks: int
    points: int
    anonymous: bool = False  # opted out of being shown by name: ``employee`` is ANONYMOUS

    def public(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "employee": self.employee,
            "team": self.team,
            "shares": self.shares,
            "human_clicks": self.human_clicks,
            "unique_human_clicks": self.unique_human_clicks,
            "points": self.points,
        }


def leaderboard(
    period: str = "week",
    team: str | None = None,
    limit: int = 10,
    now: datetime | None = None,
    client: Any = None,
) -> list[Standing]:
    check_query(period, team, limit)
    client = client or aws.dynamodb()
    board = AggregateStore(client=client).board(current_key(period, now or datetime.now(UTC)), team or EVERYONE)
    return standings(board, limit, client)


def check_query(period: str, team: str | None, limit: int) -> None:
    if period not in LEADERBOARD_PERIODS:
        raise LeaderboardQueryError("period", f"must be one of {', '.join(LEADERBOARD_PERIODS)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise LeaderboardQueryError("limit", f"must be between 1 and {MAX_LIMIT}")
    if team is not None and not 0 < len(team) <= 100:
        raise LeaderboardQueryError("team", "must be between 1 and 100 characters")


def standings(board: Board, limit: int, client: Any = None, known: dict[str, Any] | None = None) -> list[Standing]:
    """The board's first ``limit`` entries of people still on the leaderboard, with names (ties share a rank).

    ``known``: employees already read (by ``leading_ids``); only the others are read, in one BatchGetItem.
    """
    directory = EmployeeStore(client=client or aws.dynamodb())
    employees = dict(known or {})
    result: list[Standing] = []
    start = 0
    while len(result) < limit and start < len(board.top):
        rows = board.top[start : start + limit - len(result) + SLACK]  # a little more, for leavers skipped
        start += len(rows)
        missing = [row.employee_id for row in rows if row.employee_id not in employees]
        if missing:
            employees.update(directory.get_many(missing))
        for row in rows:
            employee = employees.get(row.employee_id)
            if employee is None or not employee.on_leaderboard:
                continue
            previous = result[-1] if result else None
            rank = previous.rank if previous and previous.points == row.points else len(result) + 1
            result.append(_standing(row, rank, employee, board.scope))
            if len(result) == limit:
                break
    return result


def leading_ids(board: Board, limit: int) -> list[str]:
    """The employees ``standings(board, limit)`` will most likely show: read them together for many boards."""
    return [row.employee_id for row in board.top[: limit + SLACK]]


def _standing(row: Entry, rank: int, employee: Any, scope: str) -> Standing:
    return Standing(
        rank=rank,
        employee_id=employee.id,
        employee=employee.name if employee.show_name else ANONYMOUS,
        team=employee.team if scope == EVERYONE else scope,
        shares=row.shares,
        human_clicks=row.human_clicks,
        unique_human_clicks=row.unique_human_clicks,
        points=row.points,
        anonymous=not employee.show_name,
    )


@dataclass(frozen=True)
class OwnStanding:
    period: str
    rank: int | None  # None: no points yet in this period
    rank_is_floor: bool  # kept for the API's shape: ranks are exact (always False)
    shares: int
    unique_human_clicks: int
    points: int
    team_rank: int | None = None  # within the team they were last seen in
    team_rank_is_floor: bool = False

    def public(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "rank_is_floor": self.rank_is_floor,
            "team_rank": self.team_rank,
            "team_rank_is_floor": self.team_rank_is_floor,
            "shares": self.shares,
            "unique_human_clicks": self.unique_human_clicks,
            "points": self.points,
        }


@dataclass(frozen=True)
class Progress:
    """An employee's badges and weekly streak (functions/stats/badges.py), as of a moment."""

    badges: list[str]  # in the order they are shown
    streak: int  # consecutive ISO weeks with a counted share, this one included when it has one; 0: none running
    best_streak: int

    def public(self) -> dict[str, Any]:
        return {"badges": self.badges, "streak": {"current": self.streak, "best": self.best_streak}}


def progress_of(totals: EmployeeTotals | None, moment: datetime) -> Progress:
    if totals is None:
        return Progress([], 0, 0)
    return Progress(in_order(totals.badges), totals.streak.as_of(moment.date()), totals.streak.best)


def own_standings(employee_id: str, now: datetime | None = None, client: Any = None) -> dict[str, OwnStanding]:
    """An employee's figures and rank, overall and in their team, in each leaderboard period."""
    return own_view(employee_id, now, client)[0]


def own_view(
    employee_id: str, now: datetime | None = None, client: Any = None
) -> tuple[dict[str, OwnStanding], Progress]:
    """An employee's figures and rank, overall and in their team, in each leaderboard period; and their
    badges and streak, from the same item.

    One GetItem for their figures, one BatchGetItem for their six boards; the rank is 1 + how many have
    more points on the board (its histogram counts everyone, leavers too). While they are in a board's
    top entries their entry there wins: figures and rank then match the leaderboard they see, even when a
    slice is half-way folded in (their item already counted, the board not yet).
    """
    store = AggregateStore(client=client or aws.dynamodb())
    moment = now or datetime.now(UTC)
    keys = {period: current_key(period, moment) for period in LEADERBOARD_PERIODS}
    totals = store.employee(employee_id)
    team = totals.team if totals else ""
    wanted = [(key, EVERYONE) for key in keys.values()] + ([(key, team) for key in keys.values()] if team else [])
    boards = store.boards(wanted)
    result = {}
    for period, key in keys.items():
        figures = totals.figures.get(key, {}) if totals else {}
        mine = Entry(
            employee_id,
            points=figures.get("points", 0),
            shares=figures.get("shares", 0),
            unique_human_clicks=figures.get("unique_human_clicks", 0),
        )
        overall = boards[(key, EVERYONE)]
        mine = overall.entry(employee_id) or mine
        team_board = boards.get((key, team))
        result[period] = OwnStanding(
            period,
            overall.rank(mine.points),
            False,
            mine.shares,
            mine.unique_human_clicks,
            mine.points,
            team_board.rank((team_board.entry(employee_id) or mine).points) if team_board else None,
        )
    return result, progress_of(totals, moment)
