"""Cutting the log into slices never changes what it counts: the same events decided in one slice and in
any consecutive slices (the state carried through its stored bytes) give every employee the same figures."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.events import Event
from functions.stats.decide import Credit, DayState, decide

PPU, PPS = 10, 1
START = datetime(2026, 11, 23, 23, 58, 30, tzinfo=UTC)  # the stream crosses midnight
FIGURES = ("shares", "human_clicks", "unique_human_clicks", "self_clicks", "points")

raw_event = st.fixed_dictionaries(
    {
        "gap_ms": st.integers(0, 2_500),  # bursts and repeats
        "jump_ms": st.sampled_from(
            [0] * 60  # mostly none: a day holds enough clicks for the address cap
            + [5_000, 9_999, 10_000, 10_001]  # the 10-s window's edges
            + [60_000, 3_600_000, 86_400_000, 2 * 86_400_000]  # later, the next days
        ),
        "type": st.sampled_from(["click", "click", "click", "share"]),
        "employee": st.sampled_from(["ada", "bob"]),
        "link": st.integers(0, 2),
        "network": st.sampled_from(["linkedin", "x"]),
        "visitor": st.sampled_from([*(f"v{n}" for n in range(1, 13)), "ada-phone", "scanner"]),
        "ip": st.sampled_from(["office", "office", "office", "home", ""]),
        "kind": st.sampled_from(["human"] * 5 + ["bot", "scanner"]),
        "late": st.booleans(),
        "same_id_as": st.one_of(st.none(), st.integers(0, 80)),  # a late event delivered again
        "same_visitor": st.sampled_from([True, False, False]),  # the previous visitor and employee: bursts
    }
)


def build(raws: list[dict]) -> list[Event]:
    events: list[Event] = []
    moment = START
    for n, raw in enumerate(raws):
        moment += timedelta(milliseconds=raw["gap_ms"] + raw["jump_ms"])
        event_id = f"{n:016x}"
        if raw["same_id_as"] is not None and raw["late"] and raw["same_id_as"] < n:
            earlier = events[raw["same_id_as"]]
            event_id = earlier.id
        if raw["same_visitor"] and events:
            raw = {**raw, "visitor": events[-1].visitor, "employee": events[-1].employee_id}
        if raw["type"] == "share" and raw["visitor"] not in ("v1", "ada-phone", "scanner"):
            raw = {**raw, "visitor": "ada-phone"}  # few sharers, so most visitors' clicks are not their own
        content = f"item{raw['link'] % 2}"
        events.append(
            Event(
                type=raw["type"],
                at=moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                employee_id=raw["employee"],
                content_id=content,
                network=raw["network"],
                team="T",
                code=f"{raw['employee']}-{raw['link']}",
                kind=raw["kind"],
                reason="" if raw["kind"] == "human" else "some_reason",
                visitor=raw["visitor"],
                id=event_id,
                ip=raw["ip"],
                late=raw["late"],
            )
        )
    return sorted(events, key=lambda e: (e.at, e.id))


def decided_in(slices: list[list[Event]]) -> tuple[dict[tuple[str, str], Counter], bytes]:
    state: DayState | None = None
    credits: list[Credit] = []
    for events in slices:
        stored = DayState.from_bytes(state.to_bytes()) if state is not None else None
        _, given, state = decide(events, stored, points_per_unique=PPU, points_per_share=PPS)
        credits += given
    summed: dict[tuple[str, str], Counter] = {}
    for credit in credits:
        figures = summed.setdefault((credit.employee_id, credit.day), Counter())
        for name in FIGURES:
            figures[name] += getattr(credit, name)
    assert state is not None
    return {key: +figures for key, figures in summed.items() if +figures}, state.to_bytes()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raws=st.lists(raw_event, min_size=20, max_size=120),
    cuts=st.one_of(st.sets(st.integers(1, 119)), st.lists(st.booleans(), min_size=120, max_size=120)),
)
def test_any_consecutive_slices_count_exactly_what_one_slice_counts(raws: list[dict], cuts: Any) -> None:
    events = build(raws)
    if isinstance(cuts, list):  # a cut after each event that says so: many slices
        cuts = {n for n, cut in enumerate(cuts) if cut}
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(events)), len(events)]
    slices = [events[a:b] for a, b in itertools.pairwise(bounds)]
    whole, whole_state = decided_in([events])
    sliced, sliced_state = decided_in(slices)
    assert sliced == whole
    assert sliced_state == whole_state  # and the state left for the next slice is the same too
    for figures in whole.values():
        assert all(value >= 0 for value in figures.values())
        assert figures["points"] == PPS * figures["shares"] + PPU * figures["unique_human_clicks"]
        assert figures["unique_human_clicks"] + figures["self_clicks"] <= figures["human_clicks"]
