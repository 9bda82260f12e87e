"""What the counting run remembers between slices (``functions/stats/decide.py`` owns the rules).

Per day, today's and yesterday's (UTC), five tables of 8-byte keys (``keysets.PackedKeys``), and the events
of the last 10 s, which a scanner burst found later may still reach. Stored as JSON: the tables as base64
of their sorted little-endian keys, so at a million clicks a day (about 600,000 visitor-and-link keys and
as many link-and-address keys a day) a day weighs about 13 MB and loads in well under a second
(``python -m bench.day_state`` measures it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from functions.stats.keysets import PackedKeys

STATE_FORMAT = 2  # 2: recent events carry what the KPI facts need to revise them (1 is still read)
CAP_BITS = 2  # the address cap's count (up to 3) sits in the low bits of its key


class DayStateError(ValueError):
    """The stored day state cannot be read (damaged, or written in an unknown format)."""


@dataclass
class DayTables:
    """What one day has seen, as 8-byte keys."""

    seen: PackedKeys = field(default_factory=PackedKeys)  # (link, visitor): opened that day
    cap: PackedKeys = field(default_factory=lambda: PackedKeys(value_bits=CAP_BITS))  # (link, address): uniques
    shares: PackedKeys = field(default_factory=PackedKeys)  # (employee, item, network): shared that day
    sharers: PackedKeys = field(default_factory=PackedKeys)  # (employee, visitor): opened their share link
    late_ids: PackedKeys = field(default_factory=PackedKeys)  # ids of late events decided that day

    NAMES = ("seen", "cap", "shares", "sharers", "late_ids")

    def map(self, change: Any) -> DayTables:
        return DayTables(**{name: change(getattr(self, name)) for name in self.NAMES})

    def encode(self) -> dict[str, str]:
        return {name: getattr(self, name).encode() for name in self.NAMES}

    @classmethod
    def decode(cls, tables: dict[str, str]) -> DayTables:
        return cls(**{name: PackedKeys.decode(tables[name], CAP_BITS if name == "cap" else 0) for name in cls.NAMES})


_FORMAT_1_FIELDS = 13  # a recent event's stored fields before format 2 added the KPI facts' own
Amounts = tuple[int, int, int, int, int]  # shares, human clicks, unique human clicks, self clicks, points


@dataclass(eq=False)
class RecentEvent:
    """An event of the last 10 s of one visitor on one employee's links: a burst found later reaches it."""

    event_id: str
    at_ms: int
    visitor: str
    employee_id: str
    team: str
    day: str
    target: str  # "c:<code>" for a click, "s:<item>/<network>" for a share
    human: bool
    burst: bool = False
    amounts: Amounts | None = None  # what it was credited, to reverse
    holds_share: int = 0  # the day's share key it holds
    waits_share: int = 0  # a duplicate share's key, taken over if the holder turns out to be a scanner
    cap_key: int = 0  # the (link, address) key whose count it took
    index: int = -1  # its place in the slice being decided; -1: an earlier slice (never stored)
    # What the KPI facts need when a later slice revises the event's decision (functions/kpis/facts.py):
    reason: str = ""  # its decision's reason as it stands ("" for a unique click or a counted share)
    content_id: str = ""
    network: str = ""
    country: str = ""
    device: str = ""
    source: str = ""

    @property
    def order(self) -> tuple[int, str]:
        return self.at_ms, self.event_id

    def to_json(self) -> list[Any]:
        amounts = list(self.amounts) if self.amounts is not None else None
        return [
            *(self.event_id, self.at_ms, self.visitor, self.employee_id, self.team, self.day, self.target),
            *(self.human, self.burst, amounts, self.holds_share, self.waits_share, self.cap_key),
            *(self.reason, self.content_id, self.network, self.country, self.device, self.source),
        ]

    @classmethod
    def from_json(cls, row: list[Any]) -> RecentEvent:
        facts = row[_FORMAT_1_FIELDS:]  # empty in a format-1 state
        *fields, amounts, holds_share, waits_share, cap_key = row[:_FORMAT_1_FIELDS]
        amounts = tuple(amounts) if amounts is not None else None
        # one list: mypy cannot count `fields`
        return cls(*[*fields, amounts, holds_share, waits_share, cap_key, -1, *facts])


class DayState:
    """Today's and yesterday's tables, the last 10 s of events, and the latest event time decided."""

    def __init__(self) -> None:
        self.days: dict[str, DayTables] = {}
        self.recent: list[RecentEvent] = []
        self.latest_ms = 0

    def to_bytes(self) -> bytes:
        document = {
            "format": STATE_FORMAT,
            "latest_ms": self.latest_ms,
            "days": {day: tables.encode() for day, tables in self.days.items()},
            "recent": [entry.to_json() for entry in self.recent],
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> DayState:
        try:
            document = json.loads(data)
            if document.get("format") not in (1, STATE_FORMAT):
                raise DayStateError(f"unknown day state format: {document.get('format')!r}")
            state = cls()
            state.latest_ms = int(document["latest_ms"])
            state.days = {day: DayTables.decode(tables) for day, tables in document["days"].items()}
            state.recent = [RecentEvent.from_json(row) for row in document["recent"]]
        except DayStateError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DayStateError(f"the day state cannot be read: {exc}") from exc
        return state

    def figures(self) -> dict[str, int]:
        """How many keys each table holds over the days kept, and the recent events (logs, the benchmark)."""
        totals = {name: sum(len(getattr(t, name)) for t in self.days.values()) for name in DayTables.NAMES}
        return {**totals, "recent": len(self.recent)}
