"""The KPI facts of a slice, pure: as decided, and moved by a later slice's revisions."""

from __future__ import annotations

from collections import Counter
from typing import Any

from functions.events import Event
from functions.kpis.facts import ContentFacets, FactSheet, event_rows, slice_facts
from functions.stats.decide import DayState, decide_slice

FACETS = {"launch": ContentFacets("spring", "en", "company", False)}


def click(event_id: str, second: int, visitor: str, code: str, **extra: Any) -> Event:
    return Event(
        "click",
        f"2026-03-10T10:00:{second:02d}.000Z",
        "ada",
        "launch",
        "linkedin",
        "North",
        code,
        kind="human",
        visitor=visitor,
        id=event_id,
        ip=f"ip-{visitor}",
        country="PL",
        **extra,
    )


def decided(events: list[Event], state: DayState | None) -> Any:
    return decide_slice(events, state, points_per_unique=10, points_per_share=1)


def totals(sheet: FactSheet) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for row in sheet.rows():
        found[(row["outcome"], "points")] += row["points"]
        found[(row["outcome"], "events")] += row["events"]
        found[(row["outcome"], "unique")] += row["unique_human_clicks"]
    return +found


def test_a_burst_completed_in_the_next_slice_moves_the_earlier_clicks_to_scanner_burst() -> None:
    first = [click("a1", 55, "scan", "c1"), click("a2", 56, "scan", "c2"), click("a3", 57, "reader", "c1")]
    one = decided(first, None)
    assert [d.reason for d in one.decisions] == ["", "", ""] and one.revisions == []
    sheet = slice_facts(first, one.decisions, one.credits, one.revisions, FACETS)
    assert totals(sheet) == {("unique", "events"): 3, ("unique", "unique"): 3, ("unique", "points"): 30}

    second = [click("b1", 58, "scan", "c3")]  # the scanner's third link within 10 s: a burst, reaching back
    two = decided(second, one.state)
    assert [(r.event_id, r.before.reason, r.after.reason) for r in two.revisions] == [
        ("a1", "", "scanner_burst"),
        ("a2", "", "scanner_burst"),
    ]
    assert {(r.points_before, r.points_after, r.country, r.content_id) for r in two.revisions} == {
        (10, 0, "PL", "launch")
    }
    slice_facts(second, two.decisions, two.credits, two.revisions, FACETS, into=sheet)
    # the day's facts: the reader's unique click, and three scanner clicks that earn nothing
    assert totals(sheet) == {
        ("unique", "events"): 1,
        ("unique", "unique"): 1,
        ("unique", "points"): 10,
        ("scanner_burst", "events"): 3,
    }


def test_the_archive_rows_of_a_slice_carry_each_decision_and_each_revision_after_it() -> None:
    first = [click("a1", 55, "scan", "c1"), click("a2", 56, "scan", "c2")]
    one = decided(first, None)
    second = [click("b1", 58, "scan", "c3")]
    two = decided(second, one.state)
    rows = event_rows(second, two.decisions, two.credits, two.revisions, FACETS, slice_end=300)
    assert [(r["id"], r["revision"], r["outcome"], r["points"], r["slice"]) for r in rows] == [
        ("b1", 0, "scanner_burst", 0, 300),
        ("a1", 1, "scanner_burst", 0, 300),
        ("a2", 2, "scanner_burst", 0, 300),
    ]
    assert rows[1]["campaign"] == "spring" and rows[1]["visitor"] == "" and rows[0]["visitor"] == "scan"


def test_a_state_written_before_format_2_is_still_read() -> None:
    one = decided([click("a1", 55, "scan", "c1")], None)
    format_2 = one.state.to_bytes()
    document = format_2.replace(b'"format":2', b'"format":1').replace(b',"","launch","linkedin","PL","",""]', b"]")
    assert document != format_2
    state = DayState.from_bytes(document)
    assert state.recent[0].event_id == "a1" and state.recent[0].content_id == ""
