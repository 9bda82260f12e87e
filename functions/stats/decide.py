"""How each event of the log counts: the rules of honest counting as one pure function (issue 11).

``decide(events, state)`` takes one slice of the event log and the day state the previous slice left, and
returns how each event was counted, the credits to add to each employee's figures (negative ones reverse
what an earlier slice credited) and the state for the next slice. It reads no clock and does no I/O: a
re-run of a slice with the same inputs gets the same answer, and cutting the same events into other slices
never changes the summed credits (tests/unit/test_decide_slices.py checks it with hypothesis).

The rules, in the order they apply to an event:
1. The state covers the latest day it has seen and the day before (UTC). An event older than that (a
   backlog delivered more than a day late) cannot be judged against its day and is kept uncounted:
   ``too_late``.
2. A late event (written from the click backlog) whose id was already decided that day:
   ``duplicate_event``.
3. Not a person (the classifier's kind on the event): kept with the classifier's reason, never counted.
4. Scanner burst: one visitor opening 3 or more different targets of one employee (short links, or share
   links: item + network) within 10 s. Every event of that visitor and employee in such a window is
   ``scanner_burst``, retroactively: what an earlier slice credited is reversed, so the state keeps the
   last 10 s of events. People open one link at a time; mail scanners open every link of a digest at once.
5. Shares: one per employee, item, network and day among the shares that are not a burst
   (``duplicate_share``). When the day's first turns out to be a scanner's, the next one within its
   10 s takes its place; a real share later that day is simply the first.
6. Clicks from the visitor who opened one of that employee's share links that day are the sharer's own:
   a human click and a ``self_click``, no unique, no points. Otherwise the first click of a visitor on a
   link that day is a unique human click (``repeat_visit`` after that), but at most 3 visitors per link
   and network address a day are (``address_cap``): a script rotating user agents from one address
   cannot mint unique clicks. Repeat visits and capped clicks still count as human clicks.
7. An approved suggestion (an event the approval writes once, its id derived from the suggestion's) earns
   its employee the suggestion points; the same id again within the state's two days is a
   ``duplicate_event``.
Points come only from shares, unique human clicks and approved suggestions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from functions.clock import parse_utc
from functions.stats.daystate import CAP_BITS, DayState, DayStateError, DayTables, RecentEvent
from functions.stats.keysets import PackedKeys, key_of

if TYPE_CHECKING:
    from functions.events import Event

__all__ = ["Credit", "DayState", "DayStateError", "Decision", "Revision", "SliceDecisions", "decide", "decide_slice"]

BURST_TARGETS = 3
BURST_WINDOW_MS = 10_000
UNIQUES_PER_ADDRESS = 3

SCANNER_BURST = "scanner_burst"
SELF_CLICK = "self_click"
ADDRESS_CAP = "address_cap"
REPEAT_VISIT = "repeat_visit"
DUPLICATE_SHARE = "duplicate_share"
DUPLICATE_EVENT = "duplicate_event"
TOO_LATE = "too_late"
SUGGESTION = "suggestion"  # the event type of an approved suggestion (functions/content/suggestions.py)
# Events that only note something for the KPIs: an employee opened the site or a share link with their token
# ("seen"), a digest was sent to them ("digest"). Kept as they are, never credited.
NOTED = ("seen", "digest")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Credit:
    """What one event adds to its employee's figures; negative in a reversal."""

    event_id: str
    employee_id: str
    team: str
    day: str  # YYYY-MM-DD of the event: the periods it counts in
    shares: int = 0
    human_clicks: int = 0
    unique_human_clicks: int = 0
    self_clicks: int = 0
    points: int = 0
    content_id: str = ""  # the item a click was on (the badges' per-item counts); "" for other credits

    def reversed(self) -> Credit:
        return replace(
            self,
            shares=-self.shares,
            human_clicks=-self.human_clicks,
            unique_human_clicks=-self.unique_human_clicks,
            self_clicks=-self.self_clicks,
            points=-self.points,
        )


@dataclass(frozen=True)
class Decision:
    """How one event was counted (for the archive, the tests and the KPIs)."""

    event_id: str
    counted: bool  # False: kept with its reason, earns nothing
    reason: str  # "" | classifier reason | scanner_burst | self_click | address_cap | repeat_visit
    #              | duplicate_share | duplicate_event | too_late
    unique: bool = False


@dataclass(frozen=True)
class Revision:
    """An event an earlier slice decided, decided otherwise by this one: a scanner burst found later reached it,
    or it is the duplicate share that takes a scanner's place. What the KPI facts need to move it."""

    event_id: str
    day: str
    type: str
    employee_id: str
    team: str
    content_id: str
    network: str
    country: str
    device: str
    source: str
    before: Decision
    after: Decision
    points_before: int
    points_after: int


@dataclass(frozen=True)
class SliceDecisions:
    decisions: list[Decision]  # one per event of the slice, in (at, id) order
    credits: list[Credit]
    revisions: list[Revision]  # earlier slices' events decided otherwise, in the order it happened
    state: DayState


def decide(
    events: Iterable[Event],
    state: DayState | None,
    *,
    points_per_unique: int,
    points_per_share: int,
    points_per_suggestion: int = 0,
) -> tuple[list[Decision], list[Credit], DayState]:
    """Decide one slice of events (sorted here by ``(at, id)``); ``state`` is left untouched."""
    decided = decide_slice(
        events,
        state,
        points_per_unique=points_per_unique,
        points_per_share=points_per_share,
        points_per_suggestion=points_per_suggestion,
    )
    return decided.decisions, decided.credits, decided.state


def decide_slice(
    events: Iterable[Event],
    state: DayState | None,
    *,
    points_per_unique: int,
    points_per_share: int,
    points_per_suggestion: int = 0,
) -> SliceDecisions:
    """``decide``, and the earlier slices' events this slice decided otherwise."""
    run = _Slice(state or DayState(), points_per_unique, points_per_share, points_per_suggestion)
    ordered = sorted(events, key=lambda event: (event.at, event.id))
    for index, event in enumerate(ordered):
        run.decide(index, event)
    return run.finish()


@dataclass
class _Pair:
    """The visible recent events of one visitor on one employee's links, in time order."""

    entries: list[RecentEvent] = field(default_factory=list)
    targets: Counter = field(default_factory=Counter)
    pending: list[RecentEvent] = field(default_factory=list)  # not (yet) part of a burst

    def prune(self, floor_ms: int) -> list[RecentEvent]:
        """Forget what is older than the window can ever reach again (both lists are in time order)."""
        dropped = 0
        while dropped < len(self.entries) and self.entries[dropped].at_ms < floor_ms:
            entry = self.entries[dropped]
            self.targets[entry.target] -= 1
            if not self.targets[entry.target]:
                del self.targets[entry.target]
            dropped += 1
        if not dropped:
            return []
        gone = self.entries[:dropped]
        del self.entries[:dropped]
        stale = 0
        while stale < len(self.pending) and self.pending[stale].at_ms < floor_ms:
            stale += 1
        del self.pending[:stale]
        return gone

    def add(self, entry: RecentEvent) -> None:
        _insort(self.entries, entry)
        self.targets[entry.target] += 1
        if not entry.burst:
            _insort(self.pending, entry)

    def bursts_with(self, entry: RecentEvent) -> list[RecentEvent]:
        """The events (``entry`` included) that a burst window containing ``entry`` reaches."""
        if not self.entries or self.entries[-1].order <= entry.order:
            # In time order, every visible event lies within 10 s before this one: one window.
            if len(self.targets) + (entry.target not in self.targets) < BURST_TARGETS:
                return []
            return [*self.pending, entry]
        # An event older than some already seen (from the backlog): every 10-s window containing it.
        timeline = sorted([*self.entries, entry], key=lambda e: e.order)
        starts = [
            start.at_ms
            for start in timeline
            if start.at_ms <= entry.at_ms <= start.at_ms + BURST_WINDOW_MS
            and len({e.target for e in timeline if start.at_ms <= e.at_ms <= start.at_ms + BURST_WINDOW_MS})
            >= BURST_TARGETS
        ]
        if not starts:
            return []
        first, last = min(starts), max(starts) + BURST_WINDOW_MS  # the windows overlap: their union is one span
        return [e for e in timeline if first <= e.at_ms <= last and not e.burst]


class _Slice:
    def __init__(
        self, state: DayState, points_per_unique: int, points_per_share: int, points_per_suggestion: int
    ) -> None:
        self.points_per_unique = points_per_unique
        self.points_per_share = points_per_share
        self.points_per_suggestion = points_per_suggestion
        self.latest_ms = state.latest_ms
        self.days = {day: tables.map(PackedKeys.copy) for day, tables in state.days.items()}
        self.pairs: dict[tuple[str, str], _Pair] = {}
        self.ids: dict[str, RecentEvent] = {}
        self.waiting: dict[tuple[str, int], list[RecentEvent]] = {}
        for stored in state.recent:
            self._remember(replace(stored))
        self.decisions: list[Decision] = []
        self.credits: dict[int, Credit] = {}  # this slice's events
        self.adjustments: list[Credit] = []  # reversals and take-overs of earlier slices' credits
        self.revisions: list[Revision] = []

    def decide(self, index: int, event: Event) -> None:
        self.decisions.append(Decision(event.id, False, ""))
        decision, credit = self._judge(index, event)
        self.decisions[index] = decision
        if credit is not None:
            self.credits[index] = credit

    def finish(self) -> SliceDecisions:
        state = DayState()
        state.latest_ms = self.latest_ms
        state.days = {day: tables.map(PackedKeys.compacted) for day, tables in self.days.items()}
        floor = self.latest_ms - BURST_WINDOW_MS
        for pair in self.pairs.values():
            pair.prune(floor)
            state.recent.extend(replace(entry, index=-1, reason=self._reason(entry)) for entry in pair.entries)
        state.recent.sort(key=lambda entry: entry.order)
        credits = [self.credits[index] for index in sorted(self.credits)] + self.adjustments
        return SliceDecisions(self.decisions, credits, self.revisions, state)

    def _reason(self, entry: RecentEvent) -> str:
        """The reason of an entry's decision as it stands (this slice's own were decided in ``decisions``)."""
        return self.decisions[entry.index].reason if entry.index >= 0 else entry.reason

    def _judge(self, index: int, event: Event) -> tuple[Decision, Credit | None]:
        at_ms = (parse_utc(event.at) - _EPOCH) // _MILLISECOND
        day = self._day(event.day)
        if day is None:
            return Decision(event.id, False, TOO_LATE), None
        self.latest_ms = max(self.latest_ms, at_ms)
        if event.late:
            late_key = key_of(event.id)
            earlier = self.ids.get(event.id)
            if late_key in day.late_ids or (earlier is not None and self._visible(earlier)):
                return Decision(event.id, False, DUPLICATE_EVENT), None
            day.late_ids.set(late_key)
        if event.type == SUGGESTION:
            return self._suggestion(event, day)
        human = event.kind == "human" or (event.type == "share" and not event.kind)
        entry = None
        if event.visitor:
            entry = RecentEvent(
                event.id, at_ms, event.visitor, event.employee_id, event.team, event.day, _target(event), human
            )
            entry.index = index
            entry.content_id, entry.network, entry.source = event.content_id, event.network, event.source
            entry.country, entry.device = event.country or "", event.device or ""
            if human and event.type == "share":  # the sharer's browser: their clicks that day are their own
                day.sharers.set(key_of(event.employee_id, event.visitor))
            self._observe(entry)
        if event.type in NOTED:
            return Decision(event.id, True, ""), None
        if not human:
            return Decision(event.id, False, event.reason or event.kind or "not_human"), None
        if entry is not None and entry.burst:
            return Decision(event.id, False, SCANNER_BURST), None
        if event.type == "share":
            return self._share(event, day, entry)
        if event.type == "click":
            return self._click(event, day, entry)
        return Decision(event.id, False, f"unknown_type:{event.type}"[:40]), None

    def _share(self, event: Event, day: DayTables, entry: RecentEvent | None) -> tuple[Decision, Credit | None]:
        key = key_of(event.employee_id, event.content_id, event.network)
        if key in day.shares:
            if entry is not None:
                entry.waits_share = key
                self.waiting.setdefault((event.day, key), []).append(entry)
            return Decision(event.id, False, DUPLICATE_SHARE), None
        day.shares.set(key)
        credit = self._share_credit(event.id, event.employee_id, event.team, event.day)
        if entry is not None:
            entry.holds_share, entry.amounts = key, _amounts(credit)
        return Decision(event.id, True, ""), credit

    def _suggestion(self, event: Event, day: DayTables) -> tuple[Decision, Credit | None]:
        key = key_of(SUGGESTION, event.id)
        if any(key in tables.late_ids for tables in self.days.values()):  # both days the state holds
            return Decision(event.id, False, DUPLICATE_EVENT), None
        day.late_ids.set(key)
        credit = Credit(event.id, event.employee_id, event.team, event.day, points=self.points_per_suggestion)
        return Decision(event.id, True, ""), credit

    def _click(self, event: Event, day: DayTables, entry: RecentEvent | None) -> tuple[Decision, Credit | None]:
        credit = Credit(event.id, event.employee_id, event.team, event.day, human_clicks=1, content_id=event.content_id)
        if event.visitor and key_of(event.employee_id, event.visitor) in day.sharers:
            decision, credit = Decision(event.id, True, SELF_CLICK), replace(credit, self_clicks=1)
        elif (seen := key_of(event.code, event.visitor)) in day.seen:
            decision = Decision(event.id, True, REPEAT_VISIT)
        else:
            day.seen.set(seen)
            cap_key = key_of(event.code, event.ip, value_bits=CAP_BITS) if event.ip else 0
            if cap_key and day.cap.get(cap_key) >= UNIQUES_PER_ADDRESS:
                decision = Decision(event.id, True, ADDRESS_CAP)
            else:
                if cap_key:
                    day.cap.set(cap_key, day.cap.get(cap_key) + 1)
                    if entry is not None:
                        entry.cap_key = cap_key
                decision = Decision(event.id, True, "", unique=True)
                credit = replace(credit, unique_human_clicks=1, points=self.points_per_unique)
        if entry is not None:
            entry.amounts = _amounts(credit)
        return decision, credit

    def _share_credit(self, event_id: str, employee_id: str, team: str, day: str) -> Credit:
        return Credit(event_id, employee_id, team, day, shares=1, points=self.points_per_share)

    def _day(self, day: str) -> DayTables | None:
        """The day's tables; a new day moves the window (the day before stays, older days go)."""
        if day in self.days:
            return self.days[day]
        latest = max([*self.days, day])
        yesterday = (date.fromisoformat(latest) - timedelta(days=1)).isoformat()
        if day < yesterday:
            return None
        for old in [kept for kept in self.days if kept < yesterday]:
            del self.days[old]
        self.days[day] = DayTables()
        return self.days[day]

    def _visible(self, entry: RecentEvent) -> bool:
        return entry.at_ms >= self.latest_ms - BURST_WINDOW_MS

    def _remember(self, entry: RecentEvent) -> None:
        self.pairs.setdefault((entry.visitor, entry.employee_id), _Pair()).add(entry)
        self.ids[entry.event_id] = entry
        if entry.waits_share:
            self.waiting.setdefault((entry.day, entry.waits_share), []).append(entry)

    def _observe(self, entry: RecentEvent) -> None:
        """Add the event to its visitor's recent events and mark any burst it completes."""
        pair = self.pairs.setdefault((entry.visitor, entry.employee_id), _Pair())
        for gone in pair.prune(self.latest_ms - BURST_WINDOW_MS):
            if self.ids.get(gone.event_id) is gone:
                del self.ids[gone.event_id]
        reached = pair.bursts_with(entry)
        for member in reached:
            self._mark_burst(member)
        if pair.pending and reached:
            marked = {id(member) for member in reached}
            pair.pending = [e for e in pair.pending if id(e) not in marked]
        if self._visible(entry):
            self._remember(entry)

    def _mark_burst(self, entry: RecentEvent) -> None:
        if entry.burst:
            return
        entry.burst = True
        if entry.index >= 0:
            self.credits.pop(entry.index, None)
            if entry.human and entry.index < len(self.decisions):
                self.decisions[entry.index] = Decision(entry.event_id, False, SCANNER_BURST)
        else:
            if entry.amounts is not None:
                self.adjustments.append(_credit_of(entry).reversed())
            if entry.human:
                points = entry.amounts[4] if entry.amounts is not None else 0
                self._revise(entry, Decision(entry.event_id, False, SCANNER_BURST), points, 0)
        entry.amounts = None
        day = self.days.get(entry.day)
        if day is None:
            return
        if entry.cap_key:  # a scanner's unique click gives its place under the address cap back
            day.cap.set(entry.cap_key, max(0, day.cap.get(entry.cap_key) - 1))
            entry.cap_key = 0
        if entry.holds_share:
            self._release_share(entry, day)

    def _release_share(self, holder: RecentEvent, day: DayTables) -> None:
        """A scanner's share gives the day's place back: to the next real share within its window, if any."""
        key, holder.holds_share = holder.holds_share, 0
        waiting = [
            e for e in self.waiting.get((holder.day, key), []) if e.waits_share and not e.burst and self._visible(e)
        ]
        if not waiting:
            day.shares.set(key, 0)
            return
        heir = min(waiting, key=lambda e: e.order)
        heir.waits_share, heir.holds_share = 0, key
        credit = self._share_credit(heir.event_id, heir.employee_id, heir.team, heir.day)
        heir.amounts = _amounts(credit)
        if heir.index >= 0:
            self.credits[heir.index] = credit
            self.decisions[heir.index] = Decision(heir.event_id, True, "")
        else:
            self.adjustments.append(credit)
            self._revise(heir, Decision(heir.event_id, True, ""), 0, credit.points)

    def _revise(self, entry: RecentEvent, after: Decision, points_before: int, points_after: int) -> None:
        """Note that an earlier slice's event is now decided ``after`` (what it was: ``entry.reason``)."""
        click = entry.target.startswith("c:")
        before = Decision(
            entry.event_id,
            entry.reason not in (DUPLICATE_SHARE, SCANNER_BURST),
            entry.reason,
            unique=click and not entry.reason,
        )
        self.revisions.append(
            Revision(
                *(entry.event_id, entry.day, "click" if click else "share", entry.employee_id, entry.team),
                *(entry.content_id, entry.network, entry.country, entry.device, entry.source),
                before,
                after,
                points_before,
                points_after,
            )
        )
        entry.reason = after.reason


def _amounts(credit: Credit) -> tuple[int, int, int, int, int]:
    return credit.shares, credit.human_clicks, credit.unique_human_clicks, credit.self_clicks, credit.points


def _credit_of(entry: RecentEvent) -> Credit:
    assert entry.amounts is not None
    content_id = entry.content_id if entry.target.startswith("c:") else ""
    return Credit(entry.event_id, entry.employee_id, entry.team, entry.day, *entry.amounts, content_id=content_id)


def _insort(entries: list[RecentEvent], entry: RecentEvent) -> None:
    """Insert in time order; events come in order but for the backlog's, so search from the end."""
    position = len(entries)
    while position and entries[position - 1].order > entry.order:
        position -= 1
    entries.insert(position, entry)


def _target(event: Event) -> str:
    return f"c:{event.code}" if event.type == "click" else f"s:{event.content_id}/{event.network}"
