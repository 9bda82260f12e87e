"""The rules of honest counting (functions/stats/decide.py), one by one, on hand-made slices of events."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from functions.clicks.visitor import Visitor
from functions.events import Event
from functions.stats.decide import Credit, DayState, DayStateError, Decision, decide
from tests.conftest import CORPORA

POINTS = {"points_per_unique": 10, "points_per_share": 1}
TOTALS = ("shares", "human_clicks", "unique_human_clicks", "self_clicks", "points")
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
_ids = itertools.count()


def at(seconds: float, day: int = 0) -> str:
    moment = START + timedelta(days=day, seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def click(seconds: float, code: str = "L1", visitor: str = "v1", *, employee: str = "ada", **fields: Any) -> Event:
    values = {"kind": "human", "ip": "a1", "id": f"{next(_ids):016x}", "day": 0} | fields
    return Event(
        type="click",
        at=at(seconds, values.pop("day")),
        employee_id=employee,
        content_id=f"item-{code}",
        network="linkedin",
        team="Sales",
        code=code,
        visitor=visitor,
        **values,
    )


def share(
    seconds: float, content: str = "c1", network: str = "linkedin", visitor: str = "ada-phone", **fields: Any
) -> Event:
    values = {"kind": "human", "ip": "home", "id": f"{next(_ids):016x}", "employee_id": "ada", "day": 0} | fields
    return Event(
        type="share",
        at=at(seconds, values.pop("day")),
        content_id=content,
        network=network,
        team="Sales",
        code=f"{content}-{network}",
        visitor=visitor,
        **values,
    )


def run(*slices: list[Event], state: DayState | None = None) -> tuple[list[Decision], list[Credit], DayState]:
    """Decide each slice in turn, the state carried through its stored form, as the counting run does."""
    decisions: list[Decision] = []
    credits: list[Credit] = []
    for events in slices:
        stored = DayState.from_bytes(state.to_bytes()) if state is not None else None
        made, given, state = decide(events, stored, **POINTS)
        decisions += made
        credits += given
    assert state is not None
    return decisions, credits, state


def totals(credits: list[Credit], employee: str = "ada") -> dict[str, int]:
    summed: Counter[str] = Counter()
    for credit in credits:
        if credit.employee_id == employee:
            for name in TOTALS:
                summed[name] += getattr(credit, name)
    return {name: summed[name] for name in TOTALS}


def reasons(decisions: list[Decision]) -> list[str]:
    return [d.reason if d.reason or not d.counted else ("unique" if d.unique else "counted") for d in decisions]


def figures(shares: int = 0, human: int = 0, unique: int = 0, own: int = 0, points: int = 0) -> dict[str, int]:
    return dict(zip(TOTALS, (shares, human, unique, own, points), strict=True))


# --- who is a person ----------------------------------------------------------------------------------


def test_previews_scanners_and_bots_are_kept_with_their_reason_and_earn_nothing() -> None:
    events = [
        click(0, visitor="p", kind="preview", reason="link_preview:linkedin"),
        click(1, visitor="s", kind="scanner", reason="head_request"),
        click(2, visitor="b", kind="bot", reason="no_accept_language"),
    ]
    decisions, credits, _ = run(events)
    assert [(d.counted, d.reason) for d in decisions] == [
        (False, "link_preview:linkedin"),
        (False, "head_request"),
        (False, "no_accept_language"),
    ]
    assert credits == []


# --- unique human clicks ------------------------------------------------------------------------------


def test_the_first_click_of_a_visitor_on_a_link_that_day_is_unique_and_repeats_are_human_clicks_only() -> None:
    decisions, credits, _ = run([click(0), click(60), click(120, code="L2")], [click(3600)])
    assert reasons(decisions) == ["unique", "repeat_visit", "unique", "repeat_visit"]
    assert totals(credits) == figures(human=4, unique=2, points=20)
    # the next day the visitor is new to the link again
    decisions, credits, _ = run([click(0)], [click(0, day=1)])
    assert reasons(decisions) == ["unique", "unique"]


def realistic_browser_agents(count: int) -> list[str]:
    corpus = yaml.safe_load((CORPORA / "isbot-browsers.yml").read_text())
    agents = [
        agent
        for agent in itertools.chain.from_iterable(corpus.values())
        if agent.startswith("Mozilla/5.0 (") and any(engine in agent for engine in ("Chrome/", "Firefox/", "Safari/"))
    ]
    return list(dict.fromkeys(agents))[:count]


def visits(agents: list[str], address: str, code: str, first_second: int) -> list[Event]:
    """Clicks as the redirect records them: visitor and address hashes from the real Visitor."""
    events = []
    for n, agent in enumerate(agents):
        headers = {"User-Agent": agent, "Accept-Language": "en-GB,en;q=0.9"}
        visitor = Visitor.from_request("GET", headers, address, b"k" * 32, "2026-11-23")
        assert visitor.classification.is_human, agent
        events.append(
            click(first_second + n, code=code, visitor=visitor.visitor_hash, ip=visitor.ip_hash, kind="human")
        )
    return events


def test_a_script_rotating_100_browser_agents_from_one_address_earns_3_unique_clicks_per_link_a_day() -> None:
    agents = realistic_browser_agents(100)
    assert len(agents) == 100
    script = visits(agents, "203.0.113.9", "L1", 0) + visits(agents, "203.0.113.9", "L2", 200)
    colleague = visits(agents[:1], "198.51.100.20", "L1", 400)  # someone on another network
    decisions, credits, _ = run(script[:150], script[150:] + colleague)
    assert len({e.visitor for e in script[:100]}) == 100 and len({e.ip for e in script}) == 1
    assert Counter(reasons(decisions)) == {"unique": 7, "address_cap": 194}
    assert totals(credits) == figures(human=201, unique=7, points=70)
    # the next day the address starts again
    tomorrow = [replace_day(event, 1) for event in script[:5]]
    decisions, _, _ = run(script[:5], tomorrow)
    assert reasons(decisions) == ["unique"] * 3 + ["address_cap"] * 2 + ["unique"] * 3 + ["address_cap"] * 2


def replace_day(event: Event, days: int) -> Event:
    moment = datetime.fromisoformat(event.at) + timedelta(days=days)
    return replace(event, at=moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"))


# --- scanner bursts -----------------------------------------------------------------------------------


def test_one_visitor_opening_three_links_of_one_employee_within_10_s_is_a_scanner_burst() -> None:
    scanner = [click(0, "L1", "scan"), click(2, "L2", "scan"), click(4, "L3", "scan"), click(5, "L1", "scan")]
    person = [click(1, "L1", "reader")]
    decisions, credits, _ = run(sorted(scanner + person, key=lambda e: e.at))
    assert reasons(decisions) == ["scanner_burst", "unique", "scanner_burst", "scanner_burst", "scanner_burst"]
    assert totals(credits) == figures(human=1, unique=1, points=10)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # two links within 10 s: a person going back and forth
        ([click(0, "L1"), click(3, "L2"), click(6, "L1"), click(9, "L2")], ["unique", "unique", "rv", "rv"]),
        # three links, but never three within 10 s
        ([click(0, "L1"), click(6, "L2"), click(12, "L3")], ["unique"] * 3),
        # three links of three different employees
        (
            [click(0, "L1", employee="ada"), click(1, "L2", employee="bob"), click(2, "L3", employee="cy")],
            ["unique"] * 3,
        ),
    ],
)
def test_people_clicking_one_link_at_a_time_are_no_burst(events: list[Event], expected: list[str]) -> None:
    decisions, _, _ = run(events)
    assert reasons(decisions) == [r.replace("rv", "repeat_visit") for r in expected]


def test_a_burst_reaches_back_into_earlier_slices_and_reverses_what_they_credited() -> None:
    first = [click(0, "L1", "scan"), click(4, "L2", "scan")]
    decisions, credits, _ = run(first)
    assert totals(credits) == figures(human=2, unique=2, points=20)
    decisions, credits, state = run(first, [click(9, "L3", "scan")])
    assert reasons(decisions) == ["unique", "unique", "scanner_burst"]  # the first slice's decisions stood
    assert [c.points for c in credits] == [10, 10, -10, -10]  # and are reversed by the second slice
    assert {c.event_id for c in credits[2:]} == {e.id for e in first}
    assert totals(credits) == figures()
    # a later click of the scanner making 3 targets within 10 s again is part of the burst too
    decisions, more, _ = decide([click(12, "L4", "scan")], state, **POINTS)
    assert reasons(decisions) == ["scanner_burst"] and more == []


def test_a_scanner_burst_gives_its_places_under_the_address_cap_back() -> None:
    office = "office-nat"
    scanner = [click(n, f"L{n}", "gateway", ip=office) for n in (1, 2, 3)]  # an on-site mail gateway
    colleagues = [click(30 + n, "L1", f"colleague-{n}", ip=office) for n in range(4)]
    decisions, credits, _ = run(scanner[:2], scanner[2:] + colleagues)
    assert reasons(decisions)[3:] == ["unique", "unique", "unique", "address_cap"]
    assert totals(credits) == figures(human=4, unique=3, points=30)


def test_a_mail_scanner_opening_a_digests_share_links_blocks_nothing_and_the_real_share_counts() -> None:
    scanner = [share(n, content, visitor="safe-links", ip="eop") for n, content in enumerate(("c1", "c2", "c3"))]
    real = share(3600, "c1", visitor="ada-phone")
    decisions, credits, _ = run(scanner[:1], scanner[1:], [real])
    assert reasons(decisions) == ["counted", "scanner_burst", "scanner_burst", "counted"]
    assert totals(credits) == figures(shares=1, points=1)


def test_a_real_share_made_while_a_scanner_held_the_day_takes_its_place() -> None:
    scanner_first = share(0, "c1", visitor="safe-links")
    real = share(1, "c1", visitor="ada-phone")
    rest = [share(2, "c2", visitor="safe-links"), share(3, "c3", visitor="safe-links")]
    decisions, credits, _ = run([scanner_first, real], rest)
    assert reasons(decisions) == ["counted", "duplicate_share", "scanner_burst", "scanner_burst"]
    assert totals(credits) == figures(shares=1, points=1)
    assert [c.event_id for c in credits if c.shares > 0][-1] == real.id
    # decided in one slice, the real share's own decision says it counted
    decisions, credits, _ = run([scanner_first, real, *rest])
    assert reasons(decisions) == ["scanner_burst", "counted", "scanner_burst", "scanner_burst"]
    assert totals(credits) == figures(shares=1, points=1)


def test_a_late_event_from_the_backlog_can_complete_a_burst_with_events_already_decided() -> None:
    decided = [click(0, "L1", "scan"), click(5, "L2", "scan")]
    late = click(3, "L3", "scan", late=True)  # queued when its write failed, written afterwards
    decisions, credits, _ = run(decided, [late])
    assert reasons(decisions) == ["unique", "unique", "scanner_burst"]
    assert totals(credits) == figures()


# --- shares and the sharer's own clicks ---------------------------------------------------------------


def test_one_share_per_employee_item_network_and_day() -> None:
    events = [share(0), share(60), share(120, network="x"), share(180, "c2"), share(240, employee_id="bob")]
    decisions, credits, _ = run(events[:2], events[2:], [share(0, day=1)])
    assert reasons(decisions) == ["counted", "duplicate_share", "counted", "counted", "counted", "counted"]
    assert totals(credits) == figures(shares=4, points=4)
    assert totals(credits, "bob") == figures(shares=1, points=1)


def test_clicks_of_the_visitor_who_opened_the_share_link_are_self_clicks_without_points() -> None:
    events = [
        share(0, "c1", visitor="ada-laptop"),
        click(30, "L1", "ada-laptop"),
        click(40, "L1", "reader"),
        click(50, "B1", "ada-laptop", employee="bob"),  # Ada reading Bob's post is a reader like any other
    ]
    decisions, credits, _ = run(events[:2], events[2:], [click(9_000, "L2", "ada-laptop")])
    assert reasons(decisions) == ["counted", "self_click", "unique", "unique", "self_click"]
    assert totals(credits) == figures(shares=1, human=3, unique=1, own=2, points=11)
    assert totals(credits, "bob") == figures(human=1, unique=1, points=10)


# --- late events and days -----------------------------------------------------------------------------


def test_a_late_event_delivered_twice_is_counted_once() -> None:
    late = click(10, "L1", "reader", late=True)
    decisions, credits, _ = run([late], [click(20, "L2", "other"), late])
    assert reasons(decisions) == ["unique", "duplicate_event", "unique"]  # each slice in time order
    assert totals(credits) == figures(human=2, unique=2, points=20)
    decisions, _, _ = run([late, late])
    assert reasons(decisions) == ["unique", "duplicate_event"]


def test_the_state_keeps_today_and_yesterday_and_judges_older_events_too_late() -> None:
    decisions, _, state = run([click(0, "L1", "v")], [click(0, "L1", "v", day=1)])
    assert sorted(state.days) == ["2026-11-23", "2026-11-24"]
    late_yesterday = click(5, "L1", "v", day=1, late=True)
    decisions, _, state = run([click(0, "L1", "v", day=2)], [late_yesterday], state=state)
    assert reasons(decisions) == ["unique", "repeat_visit"]  # judged against what the 24th saw
    assert sorted(state.days) == ["2026-11-24", "2026-11-25"]
    decisions, credits, _ = run([click(50, "L9", "v", late=True)], state=state)  # the 23rd: forgotten
    assert reasons(decisions) == ["too_late"] and credits == []


# --- points, purity and the stored state --------------------------------------------------------------


def test_points_come_only_from_shares_and_unique_human_clicks() -> None:
    events = [
        share(0, visitor="ada-phone"),
        click(10, "L1", "ada-phone"),
        click(20, "L1", "r1"),
        click(30, "L1", "r1"),
        click(40, "L1", "r2", kind="bot", reason="crawler_agent:curl"),
        share(50, visitor="ada-phone"),
    ]
    _, credits, _ = run(events)
    assert totals(credits) == figures(shares=1, human=3, unique=1, own=1, points=11)
    _, credits, _ = decide(events, None, points_per_unique=7, points_per_share=3)
    assert totals(credits)["points"] == 10


def test_deciding_leaves_the_given_state_untouched_and_a_rerun_gets_the_same_answer() -> None:
    _, _, state = run([share(0), click(1, "L1", "a"), click(2, "L2", "scan")])
    before = state.to_bytes()
    slice_ = [click(5, "L1", "a"), click(6, "L3", "scan"), click(7, "L4", "scan"), click(8, "L5", "b")]
    first = decide(slice_, state, **POINTS)
    assert state.to_bytes() == before
    second = decide(slice_, state, **POINTS)
    assert first[:2] == second[:2] and first[2].to_bytes() == second[2].to_bytes()


def test_the_stored_state_round_trips_and_damage_is_a_clear_error() -> None:
    _, _, state = run([share(0), click(1, "L1", "a", late=True), click(2, "L2", "b")])
    stored = state.to_bytes()
    assert DayState.from_bytes(stored).to_bytes() == stored
    assert state.figures() == {"seen": 2, "cap": 2, "shares": 1, "sharers": 1, "late_ids": 1, "recent": 3}
    for damaged in (b"", b"{}", b'{"format": 99}', stored[:-5], stored.replace(b'"seen":"', b'"seen":"!')):
        with pytest.raises(DayStateError):
            DayState.from_bytes(damaged)


def approved(seconds: float, suggestion: str = "s1", employee: str = "ada", **fields: Any) -> Event:
    """The event an approval writes (functions/content/suggestions.py): its id is the suggestion's."""
    from functions.content.suggestions import approval_event_id

    values = {"id": approval_event_id(suggestion), "day": 0} | fields
    return Event(
        type="suggestion",
        at=at(seconds, values.pop("day")),
        employee_id=employee,
        content_id="article",
        network="",
        team="Sales",
        code="",
        **values,
    )


def test_an_approved_suggestion_earns_its_points_once_whatever_slice_or_day_its_copy_comes_in() -> None:
    rules = {**POINTS, "points_per_suggestion": 5}
    decisions, credits, state = decide([approved(0), approved(1)], None, **rules)
    assert reasons(decisions) == ["counted", "duplicate_event"] and totals(credits)["points"] == 5
    for copy in (approved(300), approved(40, day=1), approved(50, day=1, late=True)):
        decisions, credits, state = decide([copy], DayState.from_bytes(state.to_bytes()), **rules)
        assert reasons(decisions) == ["duplicate_event"] and credits == []
    decisions, credits, _ = decide([approved(60, "s2", day=1)], state, **rules)
    assert reasons(decisions) == ["counted"] and totals(credits) == figures(points=5)


def test_points_follow_the_rules_given_and_self_repeat_and_burst_clicks_still_earn_nothing() -> None:
    rules = {"points_per_unique": 7, "points_per_share": 3, "points_per_suggestion": 2}
    events = [
        share(0, visitor="ada-phone"),
        click(10, "L1", "ada-phone"),  # her own
        click(20, "L1", "r1"),  # unique: 7
        click(30, "L1", "r1"),  # repeat
        *(click(100 + n, f"B{n}", "scanner") for n in range(3)),  # a burst
        approved(200),
    ]
    decisions, credits, _ = decide(events, None, **rules)
    assert reasons(decisions) == ["counted", "self_click", "unique", "repeat_visit", *["scanner_burst"] * 3, "counted"]
    assert totals(credits) == figures(shares=1, human=3, unique=1, own=1, points=3 + 7 + 2)
