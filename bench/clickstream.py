"""A realistic day of clicks, the same for every counting benchmark and every design they compare.

Clicks arrive at a steady rate (1 million a day is ≈ 12 a second), spread Zipf-like (s = 1) over 5,000
short links held by 2,000 employees in 20 teams; 70% are people (the rest bots, link previews and mail
scanners); some people come back to a link they opened (15%), and visitors share networks (offices,
mobile carriers) so that addresses repeat. ``hot=True`` sends every click to one link instead.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

LINKS = 5_000
EMPLOYEES = 2_000
TEAMS = 20
CONTENT = 400
NETWORKS = ("linkedin", "x", "facebook", "whatsapp", "email")
PER_SECOND = 1_000_000 / 86_400  # 1 million clicks a day
FILTERED = (("bot", "crawler_agent:bot"), ("preview", "link_preview:linkedin"), ("scanner", "head_request"))
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday morning


@dataclass(frozen=True)
class Link:
    code: str
    employee: str
    team: str
    content: str
    network: str


@dataclass(frozen=True)
class Click:
    at: datetime
    link: Link
    kind: str
    reason: str
    visitor: str
    ip: str


def links(rng: random.Random) -> list[Link]:
    teams = [f"team{t:02d}" for t in range(TEAMS)]
    made = []
    for n in range(LINKS):
        employee = rng.randrange(EMPLOYEES)
        made.append(
            Link(
                code=f"L{n:07d}",
                employee=f"emp{employee:05d}",
                team=teams[employee % TEAMS],
                content=f"item{rng.randrange(CONTENT):04d}",
                network=rng.choice(NETWORKS),
            )
        )
    return made


def clicks(seconds: float, *, hot: bool = False, per_second: float = PER_SECOND, seed: int = 7) -> list[Click]:
    """``seconds`` of clicks at ``per_second``, in arrival order."""
    rng = random.Random(seed)
    pool = links(rng)
    weights = [1 / rank for rank in range(1, LINKS + 1)]
    count = int(seconds * per_second)
    chosen = [pool[0]] * count if hot else rng.choices(pool, weights=weights, k=count)
    returning: dict[str, list[tuple[str, str]]] = {}
    networks = [f"{rng.getrandbits(64):016x}" for _ in range(max(count // 3, 1))]
    made = []
    for n, link in enumerate(chosen):
        at = START + timedelta(seconds=n / per_second)
        seen = returning.setdefault(link.code, [])
        if rng.random() < 0.7:
            kind, reason = "human", ""
            if seen and rng.random() < 0.15:
                visitor, ip = rng.choice(seen)
            else:
                visitor, ip = f"{rng.getrandbits(128):032x}", rng.choice(networks)
                seen.append((visitor, ip))
        else:
            kind, reason = rng.choice(FILTERED)
            visitor, ip = f"{rng.getrandbits(128):032x}", rng.choice(networks)
        made.append(Click(at, link, kind, reason, visitor, ip))
    return made
