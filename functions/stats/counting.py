"""The counting run: the event log, one closed slice at a time, into employees' figures and leaderboards.

One run at a time (a lease), each slice exactly once:

1. read the checkpoint (none yet: start one slice and its grace before now);
2. while the next slice ended ``COUNT_GRACE_SECONDS`` ago and the time budget lasts: read its events
   (bucket by bucket, every shard), decide each one (functions/stats/decide.py) from the state the last
   slice left, store the new state and archive the raw events in S3, write the slice's KPI facts and
   its events as Parquet (functions/kpis/live.py), add each employee's credits to their one item, apply
   the moves to each board touched, and move the checkpoint;
3. compact the KPI files of the days written and of the day just closed (one part per day), and add a
   newly closed day's readers to each employee's items' readers all time (functions/kpis/readers.py): a
   story that crossed 100 earns its badge.

Every write carries the slice as a watermark, so a run that dies anywhere is simply run again: the same
events and the same starting state give the same credits, and whatever was already written is skipped.
A slice with no events costs its Queries and nothing else.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from functions import aws, events
from functions.config import settings
from functions.content.store import ContentStore
from functions.events import EventStore
from functions.kpis.live import ContentFacetCache, SliceKpis, closed_before, compact_days
from functions.kpis.readers import fold_closed_days
from functions.kpis.store import KpiFiles
from functions.stats.aggregates import AggregateStore, Checkpoint
from functions.stats.archive import CountingArchive, SliceRecord
from functions.stats.badges import STORY_100, settled
from functions.stats.decide import DayState, decide_slice
from functions.stats.folding import EmployeeDelta, EmployeeTotals, board_changes, fold
from functions.stats.meter import Metered, Usage, item_size
from functions.stats.periods import dropped_keys, kept_keys

LEASE_MARGIN_SECONDS = 60  # a run may overrun its budget by one slice's work
DEFAULT_BUDGET_SECONDS = 60.0
RESERVE_SECONDS = 30.0  # kept back from Lambda's remaining time: one slice's work after the last check


@dataclass
class CountingReport:
    slices: int = 0  # slices counted (with or without events)
    events: int = 0
    credits: int = 0
    employees: int = 0  # employee items written
    boards: int = 0  # board items written
    checkpoint: int | None = None  # the end of the last slice counted
    busy: bool = False  # another run held the lease: this one did nothing
    compacted: list[str] = field(default_factory=list)  # KPI files' days folded into one part
    stories: list[str] = field(default_factory=list)  # employees whose story reached 100 readers all time
    seconds: float = 0.0
    usage: Usage = field(default_factory=Usage)

    @property
    def operations(self) -> dict[str, int]:
        return dict(self.usage.operations)

    def summary(self) -> dict[str, Any]:
        return {
            "slices": self.slices,
            "events": self.events,
            "employees": self.employees,
            "boards": self.boards,
            "checkpoint": self.checkpoint,
            "busy": self.busy,
            "compacted": self.compacted,
            "stories": self.stories,
            "seconds": round(self.seconds, 3),
            "write_units": self.usage.write_units,
            "read_units": self.usage.read_units,
        }


def budget_for(context: Any) -> float:
    """Seconds a run may start new slices for within this Lambda invocation."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return DEFAULT_BUDGET_SECONDS
    seconds = remaining() / 1000
    return max(seconds - min(RESERVE_SECONDS, seconds / 5), 0.5)  # a short invocation keeps back a fifth


def run_once(
    at: float | None = None,
    *,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    client: Any = None,
    s3: Any = None,
    clock: Callable[[], float] = time.monotonic,
) -> CountingReport:
    """Count every closed slice the budget allows; the report tells what was read and written."""
    started = clock()
    report = CountingReport()
    moment = events.now() if at is None else at
    dynamodb = Metered(client or aws.dynamodb(), report.usage)
    store = AggregateStore(client=dynamodb)
    owner = uuid.uuid4().hex
    if not store.take_lease(owner, moment, budget_seconds + LEASE_MARGIN_SECONDS):
        report.busy = True
        return report
    try:
        _count(report, moment, started + budget_seconds, clock, store, dynamodb, s3)
    finally:
        store.release_lease(owner)
        report.seconds = clock() - started
    return report


def _count(
    report: CountingReport,
    moment: float,
    deadline: float,
    clock: Callable[[], float],
    store: AggregateStore,
    dynamodb: Any,
    s3: Any,
) -> None:
    s = settings()
    log = EventStore(client=dynamodb)
    s3_client = Metered(s3 or aws.client("s3"), report.usage)
    archive = CountingArchive(s3=s3_client)
    kpi_files = KpiFiles(s3=s3_client)
    facets = ContentFacetCache(ContentStore(client=dynamodb))
    kpi_days: set[str] = set()
    checkpoint = store.checkpoint()
    if checkpoint is None:
        first = int((moment - s.count_slice_seconds - s.count_grace_seconds) // s.count_slice_seconds)
        checkpoint = Checkpoint(first * s.count_slice_seconds, "")
        store.move_checkpoint(None, checkpoint)
    stored = position = checkpoint
    state: DayState | None = None  # read from S3 when a slice first holds events
    while position.slice_end + s.count_slice_seconds + s.count_grace_seconds <= moment and clock() < deadline:
        start, end = position.slice_end, position.slice_end + s.count_slice_seconds
        report.slices += 1
        day = datetime.fromtimestamp(end - 1, UTC).date().isoformat()  # the slice's own day
        record = SliceRecord()
        kpis = SliceKpis(end, facets, kpi_files)
        deltas: dict[str, EmployeeDelta] = {}
        for bucket in log.buckets(start, end):  # bucket by bucket: a viral slice is never all in memory
            found = sorted(log.bucket(bucket), key=lambda e: (e.at, e.id))
            if not found:
                continue
            if state is None:
                state = archive.load_state(position.state_key, moment)
            decided = decide_slice(
                found,
                state,
                points_per_unique=s.points_per_unique_human_click,
                points_per_share=s.points_per_share,
                points_per_suggestion=s.points_per_approved_suggestion,
            )
            state = decided.state
            record.add(found, decided.decisions)
            kpis.add(found, decided)
            fold(decided.credits, day, into=deltas)
            report.events += len(found)
            report.credits += len(decided.credits)
        if state is None or record.empty:  # nothing to keep or write: the checkpoint moves with the next write
            kpis.close()
            position = Checkpoint(end, position.state_key)
            continue
        key, _ = archive.save_state(end, state)
        archive.archive(end, record)
        kpi_days |= kpis.days
        kpis.write()
        _fold_in(report, deltas, day, end, store)
        position = Checkpoint(end, key)
        store.move_checkpoint(stored, position)
        stored = position
    if position != stored:
        store.move_checkpoint(stored, position)
    report.checkpoint = position.slice_end
    first_open = closed_before(position.slice_end)
    just_closed = (date.fromisoformat(first_open) - timedelta(days=1)).isoformat()
    report.compacted = compact_days(kpi_files, kpi_days | {just_closed}, position.slice_end)
    stories = fold_closed_days(kpi_files, first_open, lambda found: _award_story(found, store))
    report.stories = stories.earned


def _award_story(employees: Sequence[str], store: AggregateStore) -> None:
    for employee_id in employees:
        store.award(employee_id, {STORY_100})


def _fold_in(
    report: CountingReport, deltas: dict[str, EmployeeDelta], day: str, end: int, store: AggregateStore
) -> None:
    """Add each employee's credits to their item, then move them on every board touched, each write once."""
    kept = set(kept_keys(day).values())
    applied = []
    for delta in deltas.values():
        totals, item = store.add_to_employee(delta.employee_id, delta.team, delta.periods, end, dropped_keys(day))
        report.employees += 1
        report.usage.wrote("employee", item_size(item))
        leftover = {period: list(totals.figures[period]) for period in totals.figures if period not in kept}
        if leftover:  # figures of a period long past, on an item not updated since: dropped once seen
            store.drop_periods(delta.employee_id, leftover, end)
        _note_progress(delta, totals, end, store)
        applied.append((delta, totals))
    for (period, scope), changes in sorted(board_changes(applied, kept).items()):
        board = store.board(period, scope, consistent=True)
        if board.applied is not None and board.applied >= end:
            continue  # an interrupted run wrote it already
        board.apply(changes)
        written, item = store.put_board(board, end)
        if written:
            report.boards += 1
            report.usage.wrote("board", item_size(item))


def _note_progress(delta: EmployeeDelta, totals: EmployeeTotals, end: int, store: AggregateStore) -> None:
    """The badges and streak after this slice (functions/stats/badges.py), from the employee's totals after
    it: a second write to their item only when something changed. Re-run, it finds the same. A week whose
    shares a revision (a scanner burst found in this slice) brought back to none is taken off the streak."""
    badges = settled(totals.badges, totals.figures.get("A", {}))
    streak = totals.streak
    for period, credited in sorted(delta.periods.items()):
        if not period.startswith("W#"):
            continue
        week, shares = period.removeprefix("W#"), totals.figures.get(period, {}).get("shares", 0)
        if credited["shares"] > 0 and shares > 0:
            streak = streak.with_share_in(week)
        elif credited["shares"] < 0 and shares <= 0:
            streak = streak.without_share_in(week)
    store.note_progress(
        delta.employee_id,
        badges if badges != totals.badges else None,
        streak if streak != totals.streak else None,
        end,
    )
