"""A leaderboard for one period and scope (everyone, or one team): its best entries and a points histogram.

``top`` holds the best ``BOARD_SIZE`` employees with their figures, best first, so the top K is read in
O(K) from one item; ``hist`` counts the employees at each points total, so anyone's rank is exact without
reading anyone else: 1 + how many have more points (equal points share a rank). Pure: the aggregates
store reads and writes boards, the counting run decides what changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

BOARD_SIZE = 150  # entries kept; readers show at most 100, the rest is slack for leavers and hidden names
EVERYONE = "*"


@dataclass(frozen=True)
class Entry:
    employee_id: str
    points: int = 0
    shares: int = 0
    human_clicks: int = 0
    unique_human_clicks: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.points or self.shares or self.human_clicks or self.unique_human_clicks)


@dataclass(frozen=True)
class Change:
    """One employee's move on a board: the points they had on it (0: not on it), and where they are now
    (None: they left it, e.g. for another team's board)."""

    employee_id: str
    points_before: int
    after: Entry | None


@dataclass
class Board:
    period: str  # "W#2026-W47", "M#2026-11" or "A"
    scope: str  # EVERYONE or a team
    top: list[Entry] = field(default_factory=list)
    hist: dict[int, int] = field(default_factory=dict)  # points -> employees with exactly that many (> 0)
    applied: int | None = None  # end of the last slice folded in (epoch seconds)

    def entry(self, employee_id: str) -> Entry | None:
        return next((e for e in self.top if e.employee_id == employee_id), None)

    def rank(self, points: int) -> int | None:
        """Rank of a points total: 1 + employees with more; None without points."""
        if points <= 0:
            return None
        return 1 + sum(count for total, count in self.hist.items() if total > points)

    def apply(self, changes: Iterable[Change]) -> None:
        changed = {}
        for change in changes:
            if change.points_before > 0:
                left = self.hist.get(change.points_before, 0) - 1
                if left > 0:
                    self.hist[change.points_before] = left
                else:
                    self.hist.pop(change.points_before, None)
            if change.after is not None and change.after.points > 0:
                self.hist[change.after.points] = self.hist.get(change.after.points, 0) + 1
            changed[change.employee_id] = change.after
        kept = [e for e in self.top if e.employee_id not in changed]
        kept += [e for e in changed.values() if e is not None and not e.is_empty]
        self.top = sorted(kept, key=lambda e: (-e.points, -e.unique_human_clicks, -e.shares, e.employee_id))
        del self.top[BOARD_SIZE:]
