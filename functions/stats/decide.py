"""How each event of a slice counts: pure, no I/O, no clock (the counting run feeds it, in order).

A minimal version of the rules (issue 11 brings the full ones): a share counts and earns its points; a
human click counts, and the first of a (short link, visitor) pair in a UTC day is a unique click that
earns points; clicks of bots, previews and scanners are kept with their reason and earn nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from functions.events import Event


@dataclass(frozen=True)
class Credit:  # what one event adds to its employee's figures; negative in a reversal
    event_id: str
    employee_id: str
    team: str
    day: str  # YYYY-MM-DD of the event: the periods it counts in
    shares: int = 0
    human_clicks: int = 0
    unique_human_clicks: int = 0
    self_clicks: int = 0
    points: int = 0


@dataclass(frozen=True)
class Decision:  # how one event was counted (archive, tests, the KPI issue)
    event_id: str
    counted: bool  # False: kept with its reason, earns nothing
    reason: str  # "" | classifier reason | "repeat_visit"
    unique: bool = False


@dataclass
class DayState:
    """What earlier slices decided that later ones need: the (link, visitor) pairs seen, per UTC day."""

    seen: dict[str, set[str]] = field(default_factory=dict)  # day -> "code visitor"

    def to_bytes(self) -> bytes:
        return json.dumps({day: sorted(pairs) for day, pairs in self.seen.items()}).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> DayState:
        return cls({day: set(pairs) for day, pairs in json.loads(data).items()})


def decide(
    events: Iterable[Event], state: DayState, *, points_per_unique: int, points_per_share: int
) -> tuple[list[Decision], list[Credit], DayState]:
    seen = {day: set(pairs) for day, pairs in state.seen.items()}
    decisions: list[Decision] = []
    credits: list[Credit] = []
    for event in events:
        base = Credit(event.id, event.employee_id, event.team, event.day)
        if event.type == "share":
            decisions.append(Decision(event.id, True, ""))
            credits.append(_with(base, shares=1, points=points_per_share))
        elif not event.is_human_click:
            decisions.append(Decision(event.id, False, event.reason or event.kind))
        else:
            pairs = seen.setdefault(event.day, set())
            pair = f"{event.code} {event.visitor}"
            unique = pair not in pairs
            pairs.add(pair)
            decisions.append(Decision(event.id, True, "" if unique else "repeat_visit", unique))
            points = points_per_unique if unique else 0
            credits.append(_with(base, human_clicks=1, unique_human_clicks=int(unique), points=points))
    kept = sorted(seen)[-2:]  # today and yesterday
    return decisions, credits, DayState({day: seen[day] for day in kept})


def _with(credit: Credit, **figures: int) -> Credit:
    from dataclasses import replace

    return replace(credit, **figures)
