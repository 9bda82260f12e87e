"""What the site shows, read in one go: the published items, the teams, every leaderboard.

Nothing here Scans: items come from the ``feed_all`` index (50 per Query, important first, then newest),
teams from the directory's record of teams in use, every leaderboard's board in one BatchGetItem and the
names on all of them in another.
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
    from functions.stats.aggregates import AggregateStore
    from functions.stats.boards import EVERYONE
    from functions.stats.leaderboard import leading_ids, standings
    from functions.stats.periods import current_key

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
    directory = EmployeeStore(client=client)
    in_use = directory.teams_in_use()
    keys = {period: current_key(period, moment) for period in LEADERBOARD_PERIODS}
    wanted = [(period, team) for period in LEADERBOARD_PERIODS for team in (None, *in_use)]
    stored = AggregateStore(client=client).boards((keys[period], team or EVERYONE) for period, team in wanted)
    read = {(period, team): stored[(keys[period], team or EVERYONE)] for period, team in wanted}
    known = directory.get_many({i for board in read.values() for i in leading_ids(board, board_size)})
    boards: dict[tuple[str, str | None], tuple[Standing, ...]] = {}
    for period in LEADERBOARD_PERIODS:
        boards[(period, None)] = tuple(standings(read[(period, None)], board_size, client, known))
    teams = []
    for team in in_use:
        all_time = tuple(standings(read[("all", team)], board_size, client, known))
        if not all_time:
            continue  # nobody in the team has points yet (or the team is no longer used)
        teams.append(team)
        boards[("all", team)] = all_time
        for period in ("week", "month"):
            boards[(period, team)] = tuple(standings(read[(period, team)], board_size, client, known))
    return SiteData(tuple(items), tuple(teams), boards, moment)
