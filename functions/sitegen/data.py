"""What the site shows, read in one go: the published items, the teams, every leaderboard.

Nothing here Scans: items come from the ``feed_all`` index (50 per Query, important first, then newest),
teams from the directory's record of teams in use, each leaderboard from its index (one Query and one
BatchGetItem for the names).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions.content.model import ContentItem, iso_utc
from functions.stats.leaderboard import Standing
from functions.stats.periods import LEADERBOARD_PERIODS

BOARD_SIZE = 20  # rows per leaderboard table
FEED_PAGE = 50


@dataclass(frozen=True)
class SiteData:
    items: tuple[ContentItem, ...]  # live now, in feed order
    teams: tuple[str, ...]  # teams with a leaderboard (someone in them has points)
    boards: dict[tuple[str, str | None], tuple[Standing, ...]]  # (period, team or None) -> standings
    now: datetime


def read_site_data(now: datetime | None = None, client: Any = None, board_size: int = BOARD_SIZE) -> SiteData:
    from functions import aws
    from functions.content.store import ContentStore
    from functions.directory.store import EmployeeStore
    from functions.stats.leaderboard import leaderboard

    client = client or aws.dynamodb()
    moment = now or datetime.now(UTC)
    store = ContentStore(client=client)
    items: list[ContentItem] = []
    start = None
    while True:
        page = store.feed_page(None, None, iso_utc(moment), FEED_PAGE, start)
        items.extend(page.items)
        start = page.last_key
        if not start:
            break
    boards: dict[tuple[str, str | None], tuple[Standing, ...]] = {}
    for period in LEADERBOARD_PERIODS:
        boards[(period, None)] = tuple(leaderboard(period, None, board_size, moment, client))
    teams = []
    for team in EmployeeStore(client=client).teams_in_use():
        all_time = tuple(leaderboard("all", team, board_size, moment, client))
        if not all_time:
            continue  # nobody in the team has points yet (or the team is no longer used)
        teams.append(team)
        boards[("all", team)] = all_time
        for period in ("week", "month"):
            boards[(period, team)] = tuple(leaderboard(period, team, board_size, moment, client))
    return SiteData(tuple(items), tuple(teams), boards, moment)
