"""Rebuild a day's KPI facts from its archived events (``events-parquet/day=…``), with the same SQL source.

The archive holds every event of the day as it was decided, and one row for each later revision of a
decision (a scanner burst found in the next slice, a duplicate share taking a scanner's place), so the
day's facts are a function of the archive alone: recompute_facts.sql counts each event as its newest
decision says. Deciding the events again instead would not reproduce the live decisions exactly: what
was too late, and which events a burst could still reach, depend on the order the events arrived in,
across days, which the decisions already record.

``recompute(day)`` answers the rows; ``write=True`` also stores them as the day's newest part (the live
facts it replaces are deleted by the next compaction), for a day whose fact files were lost or written
by a faulty release, and deletes the readers snapshot (functions/kpis/readers.py), which the next counting
run rebuilds from every day's facts. tests/integration/test_kpi_recompute.py checks it equals the live path.
"""

from __future__ import annotations

from typing import Any

from functions.kpis import engine, queries
from functions.kpis.facts import EVENT_COLUMNS, FACT_COLUMNS
from functions.kpis.store import EVENTS, FACTS, KpiFiles


def recompute(day: str, *, files: KpiFiles | None = None, write: bool = False) -> list[dict[str, Any]]:
    """The facts of ``day`` (YYYY-MM-DD) from its archived events, ordered by every dimension."""
    files = files or KpiFiles()
    stored = files.day(EVENTS, day)
    paths = files.fetch(stored.current())
    connection = engine.connect(files.cache / "work")
    try:
        engine.register(connection, "events", paths, EVENT_COLUMNS)
        rows = engine.read_rows(connection, queries.sql("recompute_facts"))
    finally:
        connection.close()
    if write and stored.files:
        through = max(f.end for f in stored.current())
        files.put_part(FACTS, day, through, rows)
        for snapshot in files.readers():  # it may hold the day as it was: rebuilt by the next counting run
            files.delete(snapshot)
    return rows


def live(day: str, *, files: KpiFiles | None = None) -> list[dict[str, Any]]:
    """The facts of ``day`` as the counting run wrote them (its files summed), in the same order."""
    files = files or KpiFiles()
    paths = files.fetch(files.day(FACTS, day).current())
    connection = engine.connect(files.cache / "work")
    try:
        engine.register(connection, "fact_rows", paths, FACT_COLUMNS)
        return engine.read_rows(connection, queries.sql("compact_facts"))
    finally:
        connection.close()
