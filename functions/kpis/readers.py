"""Every employee's items' readers, all time: the exact count behind the ``story_100`` badge.

The counting run keeps each item's unique human clicks per ISO week on the employee's item (the ``R#``
figures, functions/stats/periods.py), which earns the badge within the slice when a story brings 100
readers in this and the previous week. A story read slowly, over more weeks, is found here, once a day:

- when a day closes its facts are final (a later event of it is ``too_late``, functions/stats/decide.py),
  so its unique human clicks per (employee, item) are added to the snapshot of every pair's readers so
  far, ``readers/through=<day>.parquet`` (functions/kpis/store.py), by one query
  (functions/kpis/sql/story_readers.sql);
- every employee with a pair that crossed ``READERS_FOR_STORY`` earns the badge: one UpdateItem each.

So a badge is never earned from a decision a later slice could still revise (a scanner burst). The run
reads the snapshot and the new days' fact files and writes one object: history is read once, by the first
run (a deployment from before this, or after the snapshots were deleted to rebuild them after a
``recompute-kpis``), never again. Badges are added first (adding a badge held already changes nothing),
then the new snapshot is written, then the old one deleted: a run that dies anywhere is simply run again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from functions.kpis import engine, queries
from functions.kpis.facts import FACT_COLUMNS
from functions.kpis.store import FACTS, KpiFiles
from functions.stats.badges import READERS_FOR_STORY

READER_COLUMNS: dict[str, str] = {"employee_id": "VARCHAR", "content_id": "VARCHAR", "readers": "BIGINT"}


@dataclass
class StoryFold:
    through: str | None = None  # the last day the snapshot holds
    days: list[str] = field(default_factory=list)  # days with facts folded in by this run
    earned: list[str] = field(default_factory=list)  # employees whose story crossed the threshold


def fold_closed_days(
    files: KpiFiles,
    first_open: str,
    award: Callable[[Sequence[str]], None],
    threshold: int = READERS_FOR_STORY,
) -> StoryFold:
    """Add the days closed since the last snapshot (every day before ``first_open``) to the readers all
    time; ``award`` the employees whose item crossed ``threshold``. Nothing to do until another day closes."""
    last_closed = (date.fromisoformat(first_open) - timedelta(days=1)).isoformat()
    snapshots = files.readers()
    newest = snapshots[-1] if snapshots else None
    if newest is not None and newest.day >= last_closed:
        return StoryFold(newest.day)
    start = (date.fromisoformat(newest.day) + timedelta(days=1)).isoformat() if newest else ""
    days = files.days(FACTS, start, last_closed)
    facts = files.fetch([f for day in days.values() for f in day.current()])
    held = files.fetch([newest]) if newest else []
    fold = StoryFold(last_closed, sorted(days))
    connection = engine.connect(files.cache / "work")
    try:
        engine.register(connection, "fact_rows", facts, FACT_COLUMNS)
        engine.register(connection, "story_readers", held, READER_COLUMNS)
        connection.execute(f"CREATE TEMP TABLE folded AS {queries.sql('story_readers')}")
        crossed = "SELECT DISTINCT employee_id FROM folded WHERE readers >= ? AND before < ? ORDER BY employee_id"
        fold.earned = [row["employee_id"] for row in engine.read_rows(connection, crossed, [threshold, threshold])]
        if fold.earned:
            award(fold.earned)
        kept = "SELECT employee_id, content_id, readers FROM folded WHERE readers <> 0 ORDER BY ALL"
        files.put_readers(last_closed, lambda path: _write(connection, kept, path))
    finally:
        connection.close()
    for replaced in snapshots:
        files.delete(replaced)
    return fold


def _write(connection: object, query: str, path: Path) -> int:
    engine.copy(connection, query, path)
    return path.stat().st_size
