"""Folding a slice's credits into one change per employee and one list of moves per board. Pure.

Every credit counts in its day's ISO week, its month and all time, as long as that period is still kept
(this or the previous week or month of the slice's day): a late event of an older period adds to all time
only.
An employee's team is the team of their last credit; a board for a period holds each employee under
the team they were last seen in, so when someone moves team all their kept periods move with them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from functions.stats.badges import Streak
from functions.stats.boards import EVERYONE, Change, Entry
from functions.stats.decide import Credit
from functions.stats.periods import kept_keys, period_keys

METRICS = ("shares", "human_clicks", "unique_human_clicks", "self_clicks", "points")
BOARD_PERIODS = ("week", "month", "all")


@dataclass
class EmployeeDelta:
    employee_id: str
    team: str
    periods: dict[str, Counter[str]] = field(default_factory=dict)  # period key -> metric -> change


@dataclass(frozen=True)
class EmployeeTotals:
    """An employee's item after a slice was applied to it."""

    employee_id: str
    team: str
    was: str  # their team before this slice
    figures: dict[str, dict[str, int]]  # period key -> metric -> total
    badges: frozenset[str] = frozenset()  # functions/stats/badges.py
    streak: Streak = field(default_factory=Streak)


def fold(credits: Iterable[Credit], day: str, into: dict[str, EmployeeDelta] | None = None) -> dict[str, EmployeeDelta]:
    """One delta per employee from a slice's credits (added to ``into``), in the periods kept on ``day``."""
    kept = set(kept_keys(day).values())
    deltas = {} if into is None else into
    for credit in credits:
        delta = deltas.setdefault(credit.employee_id, EmployeeDelta(credit.employee_id, credit.team))
        delta.team = credit.team
        keys = period_keys(credit.day)
        for period in BOARD_PERIODS:
            if keys[period] not in kept:
                continue
            counter = delta.periods.setdefault(keys[period], Counter())
            for metric in METRICS:
                counter[metric] += getattr(credit, metric)
    return deltas


def entry(employee_id: str, figures: dict[str, int]) -> Entry:
    return Entry(
        employee_id,
        points=figures.get("points", 0),
        shares=figures.get("shares", 0),
        human_clicks=figures.get("human_clicks", 0),
        unique_human_clicks=figures.get("unique_human_clicks", 0),
    )


def board_changes(
    applied: Iterable[tuple[EmployeeDelta, EmployeeTotals]], kept: set[str]
) -> dict[tuple[str, str], list[Change]]:
    """The moves on every board a slice touches, from each employee's delta and their totals after it."""
    changes: dict[tuple[str, str], list[Change]] = {}

    def add(period: str, scope: str, change: Change) -> None:
        if scope:  # no team board for an employee without a team
            changes.setdefault((period, scope), []).append(change)

    for delta, totals in applied:
        moved = totals.was != totals.team
        for period, figures in totals.figures.items():
            credited = delta.periods.get(period)
            if period not in kept or (credited is None and not moved):
                continue
            after = entry(totals.employee_id, figures)
            before = after.points - (credited["points"] if credited is not None else 0)
            if credited is not None:
                add(period, EVERYONE, Change(totals.employee_id, before, after))
            if moved:
                add(period, totals.was, Change(totals.employee_id, before, None))
                add(period, totals.team, Change(totals.employee_id, 0, after))
            else:
                add(period, totals.team, Change(totals.employee_id, before, after))
    return changes
