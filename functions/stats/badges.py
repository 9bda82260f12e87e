"""Badges and weekly streaks: what an employee has earned, decided from their counted figures. Pure.

The counting run keeps them on the employee's one aggregates item (functions/stats/aggregates.py), so
showing them costs no read beyond the item every standing already reads:

- ``first_share``: their first counted share (all-time shares reached 1);
- ``ten_readers``: 10 unique human clicks on their links, all time;
- ``story_100``: one item of theirs brought 100 unique human clicks (on every network together), all
  time: found once the day of the 100th closes (functions/kpis/readers.py), so never from a click a later
  slice could still decide was a scanner's.

A badge once earned is kept, with one exception: a share or click that a later slice decided was part of a
scanner burst (functions/stats/decide.py: within 10 s, so only ever the slice just before) takes back a
``first_share`` or ``ten_readers`` its figure no longer reaches (``settled``). Such a revision only undoes
what the revised events added, so a badge reached before them is never taken back.

The **streak** counts consecutive ISO weeks (UTC, as the leaderboards count) with at least one counted
share: ``current`` and ``best``. A week with no share breaks it: ``current`` then reads 0 (``as_of``) until
the next share starts a new one, and ``best`` stays. A week whose only shares were revised away is taken
back too (``without_share_in``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

FIRST_SHARE, TEN_READERS, STORY_100 = "first_share", "ten_readers", "story_100"
BADGES = (FIRST_SHARE, TEN_READERS, STORY_100)  # in the order they are shown
READERS_FOR_TEN = 10
READERS_FOR_STORY = 100


def week_of(day: date) -> str:
    """``2026-W47``: the ISO week (as in the leaderboards' ``W#…`` period keys, without the prefix)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _monday(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def _weeks_between(earlier: str, later: str) -> int:
    return (_monday(later) - _monday(earlier)).days // 7


@dataclass(frozen=True)
class Streak:
    week: str = ""  # the last ISO week with a counted share; "" before the first
    current: int = 0  # consecutive weeks with a share, ending with ``week``
    best: int = 0
    best_before: int = 0  # ``best`` before ``week`` was added: what taking that week back restores

    def with_share_in(self, week: str) -> Streak:
        """The streak once ``week`` holds a counted share. A share in an earlier week than the last one (a
        late event) changes nothing: the weeks before ``week`` are no longer known."""
        if not self.week:
            current = 1
        else:
            gap = _weeks_between(self.week, week)
            if gap <= 0:
                return self
            current = self.current + 1 if gap == 1 else 1
        return Streak(week, current, max(self.best, current), self.best)

    def without_share_in(self, week: str) -> Streak:
        """The streak once ``week``, its last, holds no counted share any more (revised away in the slice
        after). A run of one becomes no run: the same as the broken run it followed, for ``as_of`` and the
        next share alike."""
        if week != self.week or not self.week:
            return self
        if self.current <= 1:
            return Streak("", 0, self.best_before, self.best_before)
        before = (_monday(week) - timedelta(days=7)).isocalendar()
        return Streak(f"{before.year}-W{before.week:02d}", self.current - 1, self.best_before, self.best_before)

    def as_of(self, today: date) -> int:
        """The current streak as seen on ``today``: still running through this week if last week had a share
        (this week may yet get one), 0 once a whole week passed without one."""
        if not self.week or _weeks_between(self.week, week_of(today)) > 1:
            return 0
        return self.current


def earned(all_time: Mapping[str, int]) -> set[str]:
    """The badges these all-time figures earn (``story_100`` is decided per item: functions/kpis/readers.py)."""
    found = set()
    if all_time.get("shares", 0) >= 1:
        found.add(FIRST_SHARE)
    if all_time.get("unique_human_clicks", 0) >= READERS_FOR_TEN:
        found.add(TEN_READERS)
    return found


def settled(held: Iterable[str], all_time: Mapping[str, int]) -> set[str]:
    """The badges held after a slice: those held before and those the all-time figures now earn, without a
    figure's badge its figure no longer reaches (only a revision lowers an all-time figure)."""
    now = earned(all_time)
    return (set(held) | now) - ({FIRST_SHARE, TEN_READERS} - now)


def in_order(badges: Iterable[str]) -> list[str]:
    held = set(badges)
    return [badge for badge in BADGES if badge in held]
