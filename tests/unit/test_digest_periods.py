"""Digest planning without I/O: when each zone is due, period keys, queue messages, and the item selection rules."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.content.model import ContentItem
from functions.digest.plan import (
    DueEmployee,
    daily_period,
    delivery_instant,
    due_zones,
    encode_batch,
    period_days,
    run_hour,
    weekly_period,
)
from functions.digest.select import MAX_ITEMS, choose_items, is_complete, quotas
from functions.directory.model import Employee

# Whole-hour, half-hour and 45-minute offsets; northern and southern DST; a 30-minute DST (Lord Howe);
# a DST change at midnight (Santiago, Havana); the date line (Kiritimati +14, Pago Pago -11).
ZONES = (
    "UTC",
    "Europe/Warsaw",
    "America/New_York",
    "America/St_Johns",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tehran",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Santiago",
    "America/Havana",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
)
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)


def hourly_runs(start: datetime, hours: int) -> list[datetime]:
    return [start + timedelta(hours=n) for n in range(hours)]


def test_a_year_of_hourly_runs_finds_every_zone_once_per_local_day_at_eight_local() -> None:
    found: Counter[tuple[str, date]] = Counter()
    for run in hourly_runs(YEAR_START - timedelta(days=1), 24 * 367):
        for due in due_zones(run, 8, ZONES):
            found[(due.zone, due.local_date)] += 1
            local = run.astimezone(ZoneInfo(due.zone))
            # 08:00 sharp in whole-hour zones, 08:30 / 08:45 where the offset has minutes.
            assert local.date() == due.local_date and local.hour == 8, (due, local)
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    assert all(found[(zone, day)] == 1 for zone in ZONES for day in days)
    assert max(found.values()) == 1


@pytest.mark.parametrize("hour", [0, 1, 2, 3, 23])
def test_hours_near_midnight_and_dst_changes_are_caught_once(hour: int) -> None:
    # Around each zone's DST changes (March/April and October/November 2026, both hemispheres).
    windows = (datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=UTC))
    windows += (datetime(2026, 10, 22, tzinfo=UTC),)
    found: Counter[tuple[str, date]] = Counter()
    for start in windows:
        for run in hourly_runs(start, 24 * 14):
            for due in due_zones(run, hour, ZONES):
                found[(due.zone, due.local_date)] += 1
    assert set(found.values()) == {1}
    for start in windows:
        for day in (start.date() + timedelta(days=n) for n in range(2, 12)):
            assert all(found[(zone, day)] == 1 for zone in ZONES), day


def test_half_and_quarter_hour_zones_are_due_in_the_run_after_their_local_eight() -> None:
    run = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)  # 08:30 in Kolkata, 08:45 in Kathmandu
    zones = {due.zone for due in due_zones(run, 8, ZONES)}
    assert {"Asia/Kolkata", "Asia/Kathmandu"} <= zones
    assert "Asia/Kolkata" not in {due.zone for due in due_zones(run - timedelta(hours=1), 8, ZONES)}
    # Adelaide: +10:30 in January (summer time) and +9:30 in June.
    assert ("Australia/Adelaide", date(2026, 1, 15)) in _due(datetime(2026, 1, 14, 22, tzinfo=UTC))
    assert ("Australia/Adelaide", date(2026, 6, 15)) in _due(datetime(2026, 6, 14, 23, tzinfo=UTC))


def _due(run: datetime, hour: int = 8) -> set[tuple[str, date]]:
    return {(due.zone, due.local_date) for due in due_zones(run, hour, ZONES)}


def test_a_delivery_hour_lost_to_spring_forward_is_delivered_when_the_clock_passes_it() -> None:
    # New York skips 02:00-03:00 on 8 March 2026: the 02:00 digest goes out at 03:00 EDT (07:00 UTC).
    assert delivery_instant("America/New_York", date(2026, 3, 8), 2) == datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert ("America/New_York", date(2026, 3, 8)) in _due(datetime(2026, 3, 8, 7, tzinfo=UTC), 2)


def test_a_repeated_hour_at_fall_back_is_delivered_at_its_first_occurrence_only() -> None:
    # New York has 01:00-02:00 twice on 1 November 2026: 05:00 UTC (EDT) and 06:00 UTC (EST).
    assert ("America/New_York", date(2026, 11, 1)) in _due(datetime(2026, 11, 1, 5, tzinfo=UTC), 1)
    assert ("America/New_York", date(2026, 11, 1)) not in _due(datetime(2026, 11, 1, 6, tzinfo=UTC), 1)


def test_a_date_the_zone_skipped_gets_nothing() -> None:
    assert delivery_instant("Pacific/Apia", date(2011, 12, 30)) is None  # Samoa jumped from the 29th to the 31st
    assert delivery_instant("Pacific/Apia", date(2011, 12, 31)) is not None


def test_a_late_run_plans_the_same_hour_and_naive_times_are_utc() -> None:
    on_time = _due(datetime(2026, 5, 4, 6, tzinfo=UTC))
    assert on_time == _due(datetime(2026, 5, 4, 6, 59, 59, tzinfo=UTC)) == _due(datetime(2026, 5, 4, 6, 0, 17))
    assert ("Europe/Warsaw", date(2026, 5, 4)) in on_time
    warsaw = datetime(2026, 5, 4, 8, 30, tzinfo=ZoneInfo("Europe/Warsaw"))
    assert run_hour(warsaw) == datetime(2026, 5, 4, 6, tzinfo=UTC)


def test_every_known_zone_is_due_once_a_day() -> None:
    found: Counter[str] = Counter()
    for run in hourly_runs(datetime(2026, 7, 1, tzinfo=UTC), 24):
        found.update(due.zone for due in due_zones(run))
    assert len(found) > 400 and set(found.values()) == {1}


def test_delivery_hour_must_be_a_clock_hour() -> None:
    with pytest.raises(ValueError, match="0 to 23"):
        due_zones(YEAR_START, 24, ZONES)


def test_periods_are_local_dates_and_iso_weeks_across_the_new_year() -> None:
    assert daily_period(date(2026, 11, 22)) == "2026-11-22"
    assert weekly_period(date(2026, 11, 22)) == "2026-W47"
    assert weekly_period(date(2027, 1, 1)) == "2026-W53"
    assert weekly_period(date(2024, 12, 30)) == "2025-W01"
    assert period_days("2026-W53") == (date(2026, 12, 28), date(2027, 1, 3))
    assert period_days("2026-11-22") == (date(2026, 11, 22), date(2026, 11, 22))
    with pytest.raises(ValueError):
        period_days("2026-W54")


def test_queue_messages_are_what_the_sender_reads() -> None:
    from functions.digest.deliver import parse_batch

    due = [DueEmployee("e1", "2026-11-22", "UTC", date(2026, 11, 22)), DueEmployee("e2", "2026-W47", "UTC", date.min)]
    assert parse_batch(encode_batch(due)) == [("e1", "2026-11-22"), ("e2", "2026-W47")]


# --- selection -----------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ANNA = Employee(id="anna", email="anna@example.com", name="Anna", team="T", locale="pl", topics=("cloud",))


def item(
    n: int,
    *,
    kind: str = "third_party",
    language: str = "pl",
    important: bool = False,
    topics: tuple[str, ...] = (),
    age_hours: int | None = None,
    status: str = "published",
    start: str | None = None,
    end: str | None = None,
) -> ContentItem:
    published = NOW - timedelta(hours=n if age_hours is None else age_hours)
    return ContentItem(
        id=f"c{n}",
        url=f"https://example.com/{n}",
        title=f"Item {n}",
        slug=f"item-{n}",
        language=language,
        kind=kind,
        important=important,
        topics=topics,
        status=status,
        publish_start=start or published.isoformat().replace("+00:00", "Z"),
        publish_end=end,
    )


def test_important_first_then_language_then_topics_then_newest() -> None:
    candidates = [
        item(1, language="en"),
        item(2),
        item(3, topics=("cloud",)),
        item(4, important=True, language="en"),
        item(5, language="en", topics=("cloud",)),
        item(6, important=True),
    ]
    chosen = choose_items(candidates, ANNA, NOW, set(), set(), limit=6, company_share=0)
    assert [c.id for c in chosen] == ["c6", "c4", "c3", "c2", "c5", "c1"]


def test_eight_items_mix_two_company_and_six_third_party() -> None:
    candidates = [item(n, kind="company") for n in range(10)] + [item(n, kind="third_party") for n in range(10, 20)]
    chosen = choose_items(candidates, ANNA, NOW, set(), set())
    assert Counter(c.kind for c in chosen) == {"company": 2, "third_party": 6}
    assert quotas(8, 0.2) == {"company": 2, "third_party": 6}
    assert quotas(10, 0.25) == {"company": 3, "third_party": 7}  # rounded half up


def test_one_kind_running_out_is_filled_from_the_other() -> None:
    only_company = [item(n, kind="company") for n in range(12)]
    assert len(choose_items(only_company, ANNA, NOW, set(), set())) == 8
    one_third_party = [*only_company, item(30)]
    assert Counter(c.kind for c in choose_items(one_third_party, ANNA, NOW, set(), set())) == {
        "company": 7,
        "third_party": 1,
    }


def test_never_shared_received_unpublished_expired_or_in_another_language() -> None:
    candidates = [
        item(1),
        item(2),
        item(3),
        item(4, status="draft"),
        item(5, status="archived"),
        item(6, start="2026-12-01T00:00:00Z"),  # scheduled
        item(7, end="2026-11-23T07:59:59Z"),  # expired a second before
        item(8, language="lt"),
        item(9, language="ru"),
    ]
    chosen = choose_items(candidates, ANNA, NOW, received={"c1"}, shared={"c2"})
    assert [c.id for c in chosen] == ["c3"]
    assert choose_items(candidates, ANNA, NOW, received={"c1", "c3"}, shared={"c2"}) == []


def test_english_readers_get_english_only_and_limits_are_capped_at_ten() -> None:
    ben = Employee(id="ben", email="ben@example.com", name="Ben", team="T", locale="en")
    candidates = [item(n, language=("en", "pl")[n % 2]) for n in range(40)]
    chosen = choose_items(candidates, ben, NOW, set(), set(), limit=25)
    assert len(chosen) == MAX_ITEMS and {c.language for c in chosen} == {"en"}
    assert choose_items(candidates, ben, NOW, set(), set(), limit=0) == []
    with pytest.raises(ValueError, match="company_share"):
        choose_items(candidates, ben, NOW, set(), set(), company_share=1.5)


def test_important_items_are_never_dropped_for_the_ratio() -> None:
    candidates = [item(n, kind="company", important=True) for n in range(4)] + [item(n) for n in range(10, 20)]
    chosen = choose_items(candidates, ANNA, NOW, set(), set())
    assert [c.id for c in chosen[:4]] == ["c0", "c1", "c2", "c3"]
    assert Counter(c.kind for c in chosen) == {"company": 4, "third_party": 4}
    assert is_complete(chosen, 8, 0.2)


items_strategy = st.builds(
    lambda n, kind, language, important, topic, age, state: item(
        n,
        kind=kind,
        language=language,
        important=important,
        topics=(topic,) if topic else (),
        age_hours=age,
        status="draft" if state == 1 else "published",
        end="2026-11-01T00:00:00Z" if state == 2 else None,
    ),
    st.integers(0, 60),
    st.sampled_from(["company", "third_party"]),
    st.sampled_from(["pl", "en", "lt"]),
    st.booleans(),
    st.sampled_from([None, "cloud", "sales"]),
    st.integers(-5, 500),  # negative: scheduled in the future
    st.sampled_from([0, 0, 0, 1, 2]),
)


@settings(max_examples=300, deadline=None)
@given(
    candidates=st.lists(items_strategy, max_size=40),
    seen=st.sets(st.integers(0, 60).map(lambda n: f"c{n}"), max_size=10),
    limit=st.integers(-2, 14),
    share=st.sampled_from([0.0, 0.2, 0.25, 0.5, 1.0]),
)
def test_selection_invariants(candidates: list[ContentItem], seen: set[str], limit: int, share: float) -> None:
    chosen = choose_items(candidates, ANNA, NOW, received=seen, shared=set(), limit=limit, company_share=share)
    cap = max(0, min(limit, MAX_ITEMS))
    ids = [c.id for c in chosen]
    eligible: dict[str, ContentItem] = {}
    for c in candidates:  # a repeated id is one item: the first published one
        if c.id not in seen and c.language in ("pl", "en") and c.status_at(NOW) == "published":
            eligible.setdefault(c.id, c)
    assert len(chosen) <= cap and len(set(ids)) == len(ids)
    assert all(c.id in eligible for c in chosen)
    # Full unless everything eligible was taken.
    assert len(chosen) == min(cap, len(eligible))
    # Important first; no important item left out while a regular one is in.
    flags = [c.important for c in chosen]
    assert flags == sorted(flags, reverse=True)
    if any(not c.important for c in chosen):
        assert all(c.id in ids for c in eligible.values() if c.important)
    # The ratio holds unless a kind ran out or important items took its slots.
    wanted = quotas(cap, share)
    for kind in ("company", "third_party"):
        have = sum(c.kind == kind for c in chosen)
        other_important = sum(c.kind != kind and c.important for c in chosen)
        if have < wanted[kind] and other_important <= cap - wanted[kind]:
            assert all(c.id in ids for c in eligible.values() if c.kind == kind)
    # Within the regular items of one language, topic matches come before the rest.
    regular = [c for c in chosen if not c.important and c.language == "pl"]
    matches = [bool(set(c.topics) & {"cloud"}) for c in regular]
    assert matches == sorted(matches, reverse=True)
