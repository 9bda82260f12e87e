"""The counting run's KPI side: each slice's facts and archived events as Parquet, and day compaction.

``SliceKpis`` collects a slice's decided events bucket by bucket (the facts summed as they come, the
archive rows streamed to a local file) and writes them per day of the events; ``compact_days`` folds the
slice files of a day into one part when the day is closed, or hourly while it is open. Item attributes
(campaign, language, kind, referral topics) are read with one BatchGetItem per run for the items a slice
names that the run has not read yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.config import settings
from functions.content.store import ContentStore
from functions.events import Event
from functions.kpis import engine
from functions.kpis.facts import EVENT_COLUMNS, NO_CONTENT, ContentFacets, FactSheet, event_rows, slice_facts
from functions.kpis.store import EVENTS, FACTS, KpiFiles
from functions.stats.decide import SliceDecisions

FACET_ATTRIBUTES = ("campaign", "language", "kind", "topics")
OPEN_DAY_FILES = 12  # an open day's slice files are compacted once this many wait (hourly at 5-minute slices)


class ContentFacetCache:
    """Item attributes for the facts, read once per run (an item missing from the library has none)."""

    def __init__(self, store: ContentStore | None = None, referral_topics: Iterable[str] | None = None) -> None:
        self.store = store or ContentStore()
        self.referral = frozenset(referral_topics if referral_topics is not None else settings().referral_topics)
        self.known: dict[str, ContentFacets] = {"": NO_CONTENT}

    def facets(self, content_ids: Iterable[str]) -> dict[str, ContentFacets]:
        wanted = set(content_ids)
        missing = sorted(wanted - set(self.known))
        if missing:
            found = self.store.get_many(missing, FACET_ATTRIBUTES)
            for content_id in missing:
                item = found.get(content_id)
                self.known[content_id] = (
                    ContentFacets(
                        item.campaign or "",
                        item.language,
                        item.kind,
                        any(topic.lower() in self.referral for topic in item.topics),
                    )
                    if item
                    else NO_CONTENT
                )
        return {content_id: self.known[content_id] for content_id in wanted}


class SliceKpis:
    """One slice's facts and archive rows, per day of the events."""

    def __init__(self, slice_end: int, facets: ContentFacetCache, files: KpiFiles) -> None:
        self.slice_end = slice_end
        self.facets = facets
        self.files = files
        self.sheets: dict[str, FactSheet] = {}
        self.archive: dict[str, engine.RowFile] = {}
        self.revisions = 0  # numbered across the slice's buckets: an event revised twice keeps their order

    def add(self, events: Sequence[Event], decided: SliceDecisions) -> None:
        """One bucket's events as ``decide_slice`` decided them, and the revisions it made."""
        ids = [event.content_id for event in events] + [revision.content_id for revision in decided.revisions]
        facets = self.facets.facets(ids)
        by_day = _by_day(events, decided)
        for day in sorted(set(by_day) | {revision.day for revision in decided.revisions}):
            day_events, day_decisions = by_day.get(day, ([], []))
            revisions = [revision for revision in decided.revisions if revision.day == day]
            sheet = self.sheets.setdefault(day, FactSheet())
            slice_facts(day_events, day_decisions, decided.credits, revisions, facets, into=sheet)
            if day not in self.archive:
                self.archive[day] = engine.RowFile(EVENT_COLUMNS, self.files.cache / "work")
            rows = event_rows(
                day_events, day_decisions, decided.credits, revisions, facets, self.slice_end, self.revisions + 1
            )
            self.archive[day].add(rows)
            self.revisions += len(revisions)

    def write(self) -> dict[str, int]:
        """Every day's fact and archive file of the slice (the same keys if the slice is counted again)."""
        written: dict[str, int] = {}
        try:
            for day, sheet in sorted(self.sheets.items()):
                written[f"{FACTS}{day}"] = self.files.put_slice(FACTS, day, self.slice_end, sheet.rows())
            for day, rows in sorted(self.archive.items()):
                if rows.count:
                    written[f"{EVENTS}{day}"] = self.files.put_file(EVENTS, day, self.slice_end, rows.write_parquet)
        finally:
            self.close()
        return written

    def close(self) -> None:
        for rows in self.archive.values():
            rows.close()
        self.archive.clear()

    @property
    def days(self) -> set[str]:
        return set(self.sheets)


def _by_day(events: Sequence[Event], decided: SliceDecisions) -> dict[str, tuple[list[Event], list[Any]]]:
    days: dict[str, tuple[list[Event], list[Any]]] = {}
    for event, decision in zip(events, decided.decisions, strict=True):
        day_events, day_decisions = days.setdefault(event.day, ([], []))
        day_events.append(event)
        day_decisions.append(decision)
    return days


def closed_before(counted_through: int) -> str:
    """The first day still open when every slice up to ``counted_through`` (epoch seconds) is counted: the
    decisions keep the latest day and the one before, so a day closes once two later days have begun."""
    today = datetime.fromtimestamp(counted_through - 1, UTC).date()
    return (today - timedelta(days=1)).isoformat()


def compact_days(files: KpiFiles, days: Iterable[str], counted_through: int) -> list[str]:
    """Compact the facts and archive of these days (closed ones fully, open ones when enough wait)."""
    first_open = closed_before(counted_through)
    compacted = []
    for day in sorted(set(days)):
        closed = day < first_open
        for prefix in (FACTS, EVENTS):
            if files.compact(prefix, day, closed=closed, at_least=OPEN_DAY_FILES):
                compacted.append(f"{prefix}{day}")
    return compacted
