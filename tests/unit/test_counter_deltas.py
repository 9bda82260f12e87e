"""Folding events into counter deltas: the pure part of the stream handler."""

from functions.events import Event
from functions.stats.counters import counter_deltas


def click(kind: str = "human", visitor: str = "v1", day: str = "2026-11-22", employee: str = "e1") -> Event:
    return Event(
        type="click",
        at=f"{day}T10:00:00.000Z",
        employee_id=employee,
        content_id="c1",
        network="linkedin",
        team="Sales",
        code="Abcdefgh",
        kind=kind,
        reason="" if kind == "human" else "why",
        visitor=visitor,
    )


def share(employee: str = "e1") -> Event:
    return Event(
        type="share",
        at="2026-11-22T09:00:00.000Z",
        employee_id=employee,
        content_id="c1",
        network="linkedin",
        team="Sales",
        code="Abcdefgh",
    )


def test_one_event_touches_each_scope_in_each_period() -> None:
    deltas = counter_deltas([click()], unique={0}, points_per_unique=10, points_per_share=1)
    scopes = {pk for pk, _ in deltas}
    periods = {sk for _, sk in deltas}
    assert scopes == {"EMP#e1", "TEAM#Sales", "LINK#Abcdefgh", "CONTENT#c1", "NET#linkedin"}
    assert periods == {"D#2026-11-22", "W#2026-W47", "M#2026-11", "A"}
    assert len(deltas) == 20


def test_a_batch_is_folded_into_one_update_per_counter() -> None:
    events = [share(), click(visitor="a"), click(visitor="b"), click(visitor="a"), click(kind="preview")]
    deltas = counter_deltas(events, unique={1, 2}, points_per_unique=10, points_per_share=1)
    week = deltas[("EMP#e1", "W#2026-W47")]
    assert dict(week.adds) == {
        "shares": 1,
        "human_clicks": 3,
        "unique_human_clicks": 2,
        "filtered_clicks": 1,
        "filtered_preview": 1,
        "points": 21,
    }
    assert week.sets == {"lb": "W#2026-W47", "tlb": "W#2026-W47#Sales", "employee_id": "e1", "team": "Sales"}
    assert "points" not in deltas[("LINK#Abcdefgh", "A")].adds


def test_filtered_clicks_earn_no_points_but_keep_the_employee_on_the_board() -> None:
    deltas = counter_deltas([click(kind="bot")], unique=set(), points_per_unique=10, points_per_share=1)
    week = deltas[("EMP#e1", "W#2026-W47")]
    assert week.adds["points"] == 0 and week.adds["filtered_bot"] == 1
    assert "lb" not in deltas[("EMP#e1", "D#2026-11-22")].sets  # no daily leaderboard index entries


def test_batches_are_cut_into_transactions_within_dynamodbs_100_item_limit() -> None:
    from functions.stats import counters

    events = [
        counters.StreamEvent(str(n), f"id{n}", click(visitor=f"v{n}", employee=f"e{n % 7}")) for n in range(60)
    ]
    chunks = list(counters._chunks(events))
    assert [e for _, chunk in chunks for e in chunk] == events  # every event once, in stream order
    assert [start for start, _ in chunks] == [sum(len(c) for _, c in chunks[:i]) for i in range(len(chunks))]
    sizes = [len(counters._transaction(chunk, set(), "t")[0]) for _, chunk in chunks]
    assert max(sizes) <= 100 and len(chunks) > 1
