"""Leaderboards: the top K employees by points for a period, overall or within one team.

Read from the counters' leaderboard indexes in O(K): one Query for the ranked counters and one
BatchGetItem for the names. Deactivated employees are left out; those who opted out of being shown
by name appear anonymously.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions import aws
from functions.config import settings
from functions.directory.store import EmployeeStore
from functions.dynamo import from_item
from functions.stats.periods import LEADERBOARD_PERIODS, current_key

MAX_LIMIT = 100
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
    if period not in LEADERBOARD_PERIODS:
        raise LeaderboardQueryError("period", f"must be one of {', '.join(LEADERBOARD_PERIODS)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise LeaderboardQueryError("limit", f"must be between 1 and {MAX_LIMIT}")
    if team is not None and not 0 < len(team) <= 100:
        raise LeaderboardQueryError("team", "must be between 1 and 100 characters")
    client = client or aws.dynamodb()
    key = current_key(period, now or datetime.now(UTC))
    index, attribute, value = (
        ("leaderboard", "lb", key) if team is None else ("team_leaderboard", "tlb", f"{key}#{team}")
    )
    response = client.query(
        TableName=settings().counters_table,
        IndexName=index,
        KeyConditionExpression="#k = :k",
        ExpressionAttributeNames={"#k": attribute},
        ExpressionAttributeValues={":k": {"S": value}},
        ScanIndexForward=False,
        Limit=limit + 10,  # a little slack for deactivated employees, who are skipped
    )
    rows = [from_item(item) for item in response.get("Items", [])]
    employees = EmployeeStore(client=client).get_many([row["employee_id"] for row in rows])
    standings: list[Standing] = []
    for row in rows:
        employee = employees.get(row["employee_id"])
        if employee is None or not employee.on_leaderboard:
            continue
        points = int(row.get("points", 0))
        previous = standings[-1] if standings else None
        rank = previous.rank if previous and previous.points == points else len(standings) + 1
        standings.append(
            Standing(
                rank=rank,
                employee_id=employee.id,
                employee=employee.name if employee.show_name else ANONYMOUS,
                team=row.get("team", employee.team),
                shares=int(row.get("shares", 0)),
                human_clicks=int(row.get("human_clicks", 0)),
                unique_human_clicks=int(row.get("unique_human_clicks", 0)),
                points=points,
                anonymous=not employee.show_name,
            )
        )
        if len(standings) == limit:
            break
    return standings


RANK_COUNT_LIMIT = 1000  # a rank beyond this reads as "1000+": the count never reads more index entries


@dataclass(frozen=True)
class OwnStanding:
    period: str
    rank: int | None  # None: no points yet in this period
    rank_is_floor: bool  # True: the rank is at least ``rank`` (more than RANK_COUNT_LIMIT ahead)
    shares: int
    unique_human_clicks: int
    points: int
    team_rank: int | None = None  # within the team the points were earned in
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


def own_standings(employee_id: str, now: datetime | None = None, client: Any = None) -> dict[str, OwnStanding]:
    """An employee's figures and rank, overall and in their team, in each leaderboard period.

    One BatchGetItem for their three counters, then per period with points two COUNT Queries (the
    overall and the team leaderboard index) for those strictly ahead, each reading at most
    RANK_COUNT_LIMIT entries: equal points share a rank, as on the board.
    """
    client = client or aws.dynamodb()
    table = settings().counters_table
    moment = now or datetime.now(UTC)
    keys = {period: current_key(period, moment) for period in LEADERBOARD_PERIODS}
    response = client.batch_get_item(
        RequestItems={table: {"Keys": [{"pk": {"S": f"EMP#{employee_id}"}, "sk": {"S": key}} for key in keys.values()]}}
    )
    rows = {row["sk"]: row for row in (from_item(item) for item in response["Responses"].get(table, []))}
    standings = {}
    for period, key in keys.items():
        row = rows.get(key, {})
        points = int(row.get("points", 0))
        board = ("leaderboard", "lb", key)
        rank, floor = (None, False) if points <= 0 else _rank(client, table, board, employee_id, points)
        team_rank, team_floor = (None, False)
        if points > 0 and row.get("tlb"):
            team_board = ("team_leaderboard", "tlb", row["tlb"])
            team_rank, team_floor = _rank(client, table, team_board, employee_id, points)
        standings[period] = OwnStanding(
            period,
            rank,
            floor,
            int(row.get("shares", 0)),
            int(row.get("unique_human_clicks", 0)),
            points,
            team_rank,
            team_floor,
        )
    return standings


def _rank(client: Any, table: str, board: tuple[str, str, str], employee_id: str, points: int) -> tuple[int, bool]:
    """1 + how many others have more points on ``board`` (index, key attribute, key value), counting to the
    limit. Their own row is left out: a share counted since ``points`` was read must not put them behind
    themselves."""
    index, attribute, value = board
    ahead, start = 0, None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :k AND points > :p",
            "FilterExpression": "employee_id <> :me",
            "ExpressionAttributeNames": {"#k": attribute},
            "ExpressionAttributeValues": {":k": {"S": value}, ":p": {"N": str(points)}, ":me": {"S": employee_id}},
            "Select": "COUNT",
            "Limit": RANK_COUNT_LIMIT + 1 - ahead,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        response = client.query(**kwargs)
        ahead += response["Count"]
        start = response.get("LastEvaluatedKey")
        if ahead > RANK_COUNT_LIMIT:
            return RANK_COUNT_LIMIT, True
        if not start:
            return ahead + 1, False
