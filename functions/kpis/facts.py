"""The KPI facts: what the counting run decided, summed at the grain every KPI and slice needs. Pure.

A fact row is one combination of (day, employee, team, item and its campaign, language, kind and whether
it is a referral item, network, country, device, event type, source, outcome) with how many events had
it, how many of them were unique human clicks, and the points they earned. ``outcome`` is the decision's
reason, or ``unique`` (a unique human click), ``counted`` (a counted share), ``seen`` and ``sent`` (a
digest). A revision (an earlier slice's event decided otherwise) is a row of -1 under what it was and
one of +1 under what it is, so the rows of every slice of a day add up to the day's facts.

The item's attributes are written with the facts (as they were when counted), so no query joins DynamoDB.
The raw events go to the archive with the same attributes (``event_rows``), one row per event and one per
revision, from which ``functions/kpis/recompute.py`` rebuilds a day's facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from functions.events import Event
    from functions.stats.decide import Credit, Decision, Revision

# Column name -> DuckDB type, in file order. ``day`` is also the partition (facts/day=…/) Athena projects.
FACT_DIMENSIONS: dict[str, str] = {
    "day": "VARCHAR",
    "employee_id": "VARCHAR",
    "team": "VARCHAR",
    "content_id": "VARCHAR",
    "campaign": "VARCHAR",
    "language": "VARCHAR",
    "kind": "VARCHAR",
    "referral": "BOOLEAN",
    "network": "VARCHAR",
    "country": "VARCHAR",
    "device": "VARCHAR",
    "type": "VARCHAR",
    "source": "VARCHAR",
    "outcome": "VARCHAR",
    "counted": "BOOLEAN",
}
FACT_MEASURES: dict[str, str] = {"events": "BIGINT", "unique_human_clicks": "BIGINT", "points": "BIGINT"}
FACT_COLUMNS: dict[str, str] = {**FACT_DIMENSIONS, **FACT_MEASURES}

# The archive in Parquet: each event as the log held it, how it was decided, the item's attributes, and
# which slice decided it (``revision`` 0); a revision row repeats the id and day with the new decision.
EVENT_COLUMNS: dict[str, str] = {
    "id": "VARCHAR",
    "day": "VARCHAR",
    "at": "VARCHAR",
    "type": "VARCHAR",
    "employee_id": "VARCHAR",
    "team": "VARCHAR",
    "content_id": "VARCHAR",
    "network": "VARCHAR",
    "code": "VARCHAR",
    "kind": "VARCHAR",  # the visitor's kind (human, bot, preview, scanner); the item's is ``content_kind``
    "reason": "VARCHAR",
    "visitor": "VARCHAR",
    "ip": "VARCHAR",  # the daily-salted hash of the address, never the address
    "referrer_host": "VARCHAR",
    "country": "VARCHAR",
    "device": "VARCHAR",
    "method": "VARCHAR",
    "late": "BOOLEAN",
    "source": "VARCHAR",
    "campaign": "VARCHAR",
    "language": "VARCHAR",
    "content_kind": "VARCHAR",
    "referral": "BOOLEAN",
    "slice": "BIGINT",
    "revision": "INTEGER",
    "outcome": "VARCHAR",
    "counted": "BOOLEAN",
    "unique_click": "BOOLEAN",
    "points": "BIGINT",
}

_OUTCOME_WITHOUT_REASON = {"click": "unique", "share": "counted", "seen": "seen", "digest": "sent"}


@dataclass(frozen=True)
class ContentFacets:
    """What the KPIs slice an item by, as it was when its events were counted."""

    campaign: str = ""
    language: str = ""
    kind: str = ""
    referral: bool = False


NO_CONTENT = ContentFacets()


def outcome(event_type: str, decision: Decision) -> str:
    return decision.reason or _OUTCOME_WITHOUT_REASON.get(event_type, "counted")


class FactSheet:
    """A slice's fact rows, summed by their dimensions as events and revisions are added."""

    def __init__(self) -> None:
        self._rows: dict[tuple[Any, ...], list[int]] = {}

    def add(self, dimensions: tuple[Any, ...], events: int, unique: int, points: int) -> None:
        sums = self._rows.setdefault(dimensions, [0, 0, 0])
        sums[0] += events
        sums[1] += unique
        sums[2] += points

    def rows(self) -> list[dict[str, Any]]:
        """The rows, sorted, without those a revision brought back to nothing."""
        names = list(FACT_COLUMNS)
        return [
            dict(zip(names, (*dimensions, *sums), strict=True))
            for dimensions, sums in sorted(self._rows.items(), key=lambda row: _sort_key(row[0]))
            if any(sums)
        ]

    def __len__(self) -> int:
        return len(self._rows)


def _sort_key(dimensions: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(str(value) for value in dimensions)


def _dimensions(
    day: str,
    event_type: str,
    employee_id: str,
    team: str,
    content_id: str,
    facets: ContentFacets,
    network: str,
    country: str,
    device: str,
    source: str,
    decision: Decision,
) -> tuple[Any, ...]:
    return (
        *(day, employee_id, team, content_id, facets.campaign, facets.language, facets.kind, facets.referral),
        *(network, country, device, event_type, source, outcome(event_type, decision), decision.counted),
    )


def slice_facts(
    events: Sequence[Event],
    decisions: Sequence[Decision],
    credits: Iterable[Credit],
    revisions: Iterable[Revision],
    facets: Mapping[str, ContentFacets],
    into: FactSheet | None = None,
) -> FactSheet:
    """The facts of a slice's events (as decided) and of its revisions, added to ``into``."""
    sheet = FactSheet() if into is None else into
    earned = _earned(credits)
    for event, decision in zip(events, decisions, strict=True):
        credit = earned.get(event.id) if decision.counted else None
        sheet.add(
            _dimensions(
                *(event.day, event.type, event.employee_id, event.team, event.content_id),
                facets.get(event.content_id, NO_CONTENT),
                *(event.network, event.country or "", event.device or "", event.source, decision),
            ),
            1,
            credit.unique_human_clicks if credit else 0,
            credit.points if credit else 0,
        )
    for revision in revisions:
        for decision, sign, points in (
            (revision.before, -1, revision.points_before),
            (revision.after, 1, revision.points_after),
        ):
            sheet.add(
                _dimensions(
                    *(revision.day, revision.type, revision.employee_id, revision.team, revision.content_id),
                    facets.get(revision.content_id, NO_CONTENT),
                    *(revision.network, revision.country, revision.device, revision.source, decision),
                ),
                sign,
                sign * int(decision.unique),
                sign * points,
            )
    return sheet


def event_rows(
    events: Sequence[Event],
    decisions: Sequence[Decision],
    credits: Iterable[Credit],
    revisions: Sequence[Revision],
    facets: Mapping[str, ContentFacets],
    slice_end: int,
    first_revision: int = 1,
) -> list[dict[str, Any]]:
    """The slice's archive rows: one per event as decided, then one per revision, numbered in the order they
    were made from ``first_revision`` (the newest wins when a day is recomputed)."""
    earned = _earned(credits)
    rows = []
    for event, decision in zip(events, decisions, strict=True):
        item = facets.get(event.content_id, NO_CONTENT)
        credit = earned.get(event.id) if decision.counted else None
        rows.append(
            {
                **{name: getattr(event, name) for name in _RAW_FIELDS},
                **{name: getattr(event, name) or "" for name in _OPTIONAL_FIELDS},
                "late": event.late,
                **_item_columns(item),
                "slice": slice_end,
                "revision": 0,
                **_decision_columns(event.type, decision, credit.points if credit else 0),
            }
        )
    for number, revision in enumerate(revisions, start=first_revision):
        item = facets.get(revision.content_id, NO_CONTENT)
        rows.append(
            {
                **dict.fromkeys((*_RAW_FIELDS, *_OPTIONAL_FIELDS), ""),
                "id": revision.event_id,
                "day": revision.day,
                "type": revision.type,
                "employee_id": revision.employee_id,
                "team": revision.team,
                "content_id": revision.content_id,
                "network": revision.network,
                "country": revision.country,
                "device": revision.device,
                "source": revision.source,
                "late": False,
                **_item_columns(item),
                "slice": slice_end,
                "revision": number,
                **_decision_columns(revision.type, revision.after, revision.points_after),
            }
        )
    return rows


_RAW_FIELDS: tuple[str, ...] = ("id", "day", "at", "type", "employee_id", "team", "content_id", "network", "code")
_RAW_FIELDS += ("kind", "reason", "visitor", "ip", "source")
_OPTIONAL_FIELDS = ("referrer_host", "country", "device", "method")


def _earned(credits: Iterable[Credit]) -> dict[str, Credit]:
    """Each event's own credit: the slice's events come first, then adjustments of earlier ones (left out)."""
    earned: dict[str, Credit] = {}
    for credit in credits:
        earned.setdefault(credit.event_id, credit)
    return earned


def _item_columns(item: ContentFacets) -> dict[str, Any]:
    return {"campaign": item.campaign, "language": item.language, "content_kind": item.kind, "referral": item.referral}


def _decision_columns(event_type: str, decision: Decision, points: int) -> dict[str, Any]:
    return {
        "outcome": outcome(event_type, decision),
        "counted": decision.counted,
        "unique_click": decision.unique,
        "points": points,
    }
