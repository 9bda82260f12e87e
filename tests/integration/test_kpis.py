"""The KPIs from facts the real counting run wrote over moto: a fixed set of events, figures computed by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from functions.content.model import new_content
from functions.content.store import ContentStore
from functions.directory.model import Employee
from functions.directory.store import EmployeeStore
from functions.events import Event, EventStore
from functions.kpis.query import KpiFilters, KpiQueryError, kpis
from functions.stats.counting import run_once
from tests.conftest import Clock

DAY = date(2026, 3, 10)
MORNING = datetime(2026, 3, 10, 10, 0, 30, tzinfo=UTC).timestamp()


def at(second: float) -> str:
    moment = datetime.fromtimestamp(MORNING + second, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def click(employee: str, content: str, network: str, visitor: str, second: float, **extra: str) -> Event:
    team = TEAMS[employee]
    return Event(
        "click",
        at(second),
        employee,
        content,
        network,
        team,
        f"{employee}-{content}-{network}",
        kind=extra.get("kind", "human"),
        reason=extra.get("reason", ""),
        visitor=visitor,
        country=extra.get("country"),
        device=extra.get("device"),
        ip=f"ip-{visitor}",
    )


def share(employee: str, content: str, network: str, visitor: str, second: float, source: str = "") -> Event:
    return Event(
        "share",
        at(second),
        employee,
        content,
        network,
        TEAMS[employee],
        f"{employee}-{content}-{network}",
        kind="human",
        visitor=visitor,
        source=source,
        ip=f"ip-{visitor}",
    )


def noted(kind: str, employee: str, second: float) -> Event:
    return Event(kind, at(second), employee, "", "", TEAMS[employee], "")


TEAMS = {"ada": "Marketing", "bob": "Sales", "cy": "Sales", "dan": "Sales"}


@pytest.fixture
def programme(clock: Clock) -> Clock:
    """Four employees (Dan has left), two items, and one 5-minute slice of activity, counted."""
    people = EmployeeStore()
    for employee_id, name in (("ada", "Ada"), ("bob", "Bob"), ("cy", "Cy"), ("dan", "Dan")):
        people.put(
            Employee(
                id=employee_id,
                email=f"{employee_id}@example.com",
                name=name,
                team=TEAMS[employee_id],
                show_name=employee_id != "bob",
            )
        )
    people.deactivate("dan", keep_on_leaderboard=False, at="2026-03-01T00:00:00Z")
    items = ContentStore()
    items.add(
        new_content(
            content_id="launch",
            url="https://example.com/launch",
            title="Our launch",
            campaign="spring",
            topics=["news"],
        )
    )
    items.add(
        new_content(
            content_id="jobs",
            url="https://example.com/jobs",
            title="We are hiring",
            language="pl",
            kind="third_party",
            topics=["Careers"],
        )
    )
    clock.at = MORNING
    log = EventStore()
    for event in (
        share("ada", "launch", "linkedin", "s-ada", 1, source="digest"),
        click("ada", "launch", "linkedin", "v1", 20, country="PL", device="mobile"),
        click("ada", "launch", "linkedin", "v2", 21, country="PL", device="desktop"),
        click("ada", "launch", "linkedin", "v3", 22, country="DE", device="desktop"),
        click("ada", "launch", "linkedin", "v1", 60),  # a repeat visit: a human click, not unique
        click("ada", "launch", "linkedin", "s-ada", 61),  # Ada's own click: a human click without points
        click("ada", "launch", "linkedin", "crawler", 62, kind="bot", reason="crawler"),
        share("bob", "jobs", "x", "s-bob", 30),
        click("bob", "jobs", "x", "v4", 40, country="PL", device="mobile"),
        share("bob", "jobs", "x", "s-bob", 90),  # the same share again that day: not counted
        noted("seen", "cy", 50),  # Cy opened the site with their token
        *(noted("digest", person, 2) for person in ("ada", "bob", "cy")),
        # a mail scanner opening three of Cy's share links within seconds: a burst, nothing counted
        share("cy", "launch", "linkedin", "scan", 100),
        share("cy", "launch", "x", "scan", 101),
        share("cy", "launch", "facebook", "scan", 102),
    ):
        log.add(event)
    clock.close_slice()
    report = run_once()
    assert report.events == 17
    return clock


def test_the_kpis_of_a_fixed_day_are_the_figures_computed_by_hand(programme: Clock) -> None:
    report = kpis(KpiFilters(DAY, DAY), now=datetime(2026, 3, 11, tzinfo=UTC)).as_dict()
    assert set(report) == {
        "range",
        "filters",
        "participation_rate",
        "adoption_rate",
        "shares",
        "human_clicks",
        "unique_human_clicks",
        "filtered_clicks",
        "clicks_per_share",
        "top_contributors",
        "top_content",
        "earned_media_value",
        "referral_clicks",
        "digest_funnel",
        "series",
        "previous",
        "sharers",
        "human_clicks_by_network",
        "team_ranking",
        "surges",
        "enps",
        "programme_satisfaction",
    }
    assert report["sharers"] == 2 and report["human_clicks_by_network"] == {"linkedin": 5, "x": 1}
    assert report["range"] == {"start": "2026-03-10", "end": "2026-03-10"} and report["filters"] == {}
    assert report["participation_rate"] == round(2 / 3, 4)  # Ada and Bob shared; Ada, Bob and Cy are active
    assert report["adoption_rate"] == 0.75  # Ada, Bob (shared), Cy (opened the site) of four in the directory
    assert report["shares"] == {"linkedin": 1, "x": 1, "total": 2}  # the scanner's and the repeated share: none
    assert report["human_clicks"] == 6  # Ada's 3 readers, a repeat, her own click; Bob's reader
    assert report["unique_human_clicks"] == 4
    assert report["filtered_clicks"] == {"crawler": 1}
    assert report["clicks_per_share"] == 3.0
    assert report["referral_clicks"] == 1  # the careers item's click
    assert report["top_contributors"] == [
        {"employee_id": "ada", "name": "Ada", "team": "Marketing", "shares": 1, "unique_human_clicks": 3, "points": 31},
        {"employee_id": "bob", "team": "Sales", "shares": 1, "unique_human_clicks": 1, "points": 11},  # no name shown
    ]
    assert report["top_content"] == [
        {"content_id": "launch", "title": "Our launch", "shares": 1, "human_clicks": 5},
        {"content_id": "jobs", "title": "We are hiring", "shares": 1, "human_clicks": 1},
    ]
    emv = report["earned_media_value"]
    # LinkedIn: 5 clicks × 5.26 + 1 share × 400 ÷ 1000 × 33.80 = 39.82; X: 1 × 0.38 + 1 × 150 ÷ 1000 × 6.46 = 1.35
    assert emv["per_network"] == {"linkedin": 39.82, "x": 1.35} and emv["value"] == 41.17
    assert emv["currency"] == "USD" and "CPC" in emv["formula"] and "linkedin 5.26" in emv["formula"]
    assert report["digest_funnel"] == {
        "digests_sent": 3,
        "sharers_from_digest": 1,
        "human_clicks_from_digest_shares": 5,
    }
    assert report["series"] == {
        "human_clicks": [{"day": "2026-03-10", "value": 6}],
        "unique_human_clicks": [{"day": "2026-03-10", "value": 4}],
        "shares": [{"day": "2026-03-10", "value": 2}],
        "participation": [{"day": "2026-03-10", "value": 2}],
    }
    previous = report["previous"]
    assert previous["range"] == {"start": "2026-03-09", "end": "2026-03-09"}
    assert (previous["shares"], previous["human_clicks"], previous["participation_rate"]) == (0, 0, 0.0)
    assert report["enps"] is None and report["programme_satisfaction"] is None
    assert report["surges"] == []  # 5 human clicks on LinkedIn: far under the 50 a surge needs


def test_teams_are_ranked_by_points_per_active_member_not_by_size(programme: Clock) -> None:
    report = kpis(KpiFilters(DAY, DAY), now=datetime(2026, 3, 11, tzinfo=UTC))
    assert report.team_ranking == [
        # Ada alone: her share (1) and three unique readers (3 × 10)
        {
            "team": "Marketing",
            "active_members": 1,
            "points": 31,
            "points_per_member": 31.0,
            "shares": 1,
            "unique_human_clicks": 3,
        },
        # Bob's share and one reader (11) over Bob and Cy (Dan has left); Cy's scanned shares and Bob's
        # repeated share count nothing
        {
            "team": "Sales",
            "active_members": 2,
            "points": 11,
            "points_per_member": 5.5,
            "shares": 1,
            "unique_human_clicks": 1,
        },
    ]
    [sales] = kpis(KpiFilters(DAY, DAY, team="Sales")).team_ranking
    assert (sales["team"], sales["points_per_member"]) == ("Sales", 5.5)
    quiet = kpis(KpiFilters(date(2026, 3, 11), date(2026, 3, 11)), now=datetime(2026, 3, 12, tzinfo=UTC))
    assert [(row["team"], row["points"], row["points_per_member"]) for row in quiet.team_ranking] == [
        ("Marketing", 0, 0.0),
        ("Sales", 0, 0.0),
    ]  # a day without points: every team with active members, at nothing


def test_a_surge_on_the_counted_day_is_flagged_under_lower_thresholds(
    programme: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.config import settings

    monkeypatch.setenv("SURGE_MINIMUM", "5")
    settings.cache_clear()
    report = kpis(KpiFilters(DAY, DAY), now=datetime(2026, 3, 11, tzinfo=UTC))
    assert report.surges == [
        {
            "day": "2026-03-10",
            "network": "linkedin",
            "value": 5,
            "baseline": 0.0,
            "why": "5 human clicks on linkedin: none on a typical day of the 14 before",
        }
    ]  # X's single click and the crawler's stay under 5


def test_self_clicks_repeats_and_bursts_earn_no_points(programme: Clock) -> None:
    report = kpis(KpiFilters(DAY, DAY, team="Marketing"), now=datetime(2026, 3, 11, tzinfo=UTC))
    [ada] = report.top_contributors
    assert ada["points"] == 1 + 3 * 10  # her share and three unique readers; the repeat and her own click: 0
    assert kpis(KpiFilters(DAY, DAY, network="facebook")).shares == {"total": 0}  # the scanner's share


def test_a_slice_of_the_kpis_counts_only_its_team_network_or_item(programme: Clock) -> None:
    sales = kpis(KpiFilters(DAY, DAY, team="Sales"), now=datetime(2026, 3, 11, tzinfo=UTC))
    assert sales.shares == {"x": 1, "total": 1} and sales.human_clicks == 1
    assert sales.participation_rate == 0.5  # Bob of Bob and Cy (Dan has left)
    assert sales.adoption_rate == round(2 / 3, 4)  # Bob and Cy of the three in Sales
    polish = kpis(KpiFilters(DAY, DAY, country="PL"))
    assert (polish.human_clicks, polish.unique_human_clicks) == (3, 3)
    assert kpis(KpiFilters(DAY, DAY, device="desktop")).human_clicks == 2
    careers = kpis(KpiFilters(DAY, DAY, language="pl", kind="third_party"))
    assert (careers.human_clicks, careers.referral_clicks, careers.shares["total"]) == (1, 1, 1)
    spring = kpis(KpiFilters(DAY, DAY, campaign="spring"))
    assert spring.human_clicks == 5 and spring.top_content[0]["content_id"] == "launch"


def test_a_day_without_events_reads_as_zeros_and_the_next_day_counts_as_the_previous_period(
    programme: Clock,
) -> None:
    next_day = kpis(KpiFilters(date(2026, 3, 11), date(2026, 3, 11)), now=datetime(2026, 3, 12, tzinfo=UTC))
    assert next_day.human_clicks == 0 and next_day.top_contributors == [] and next_day.clicks_per_share is None
    assert next_day.previous["human_clicks"] == 6 and next_day.previous["shares"] == 2


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (KpiFilters(date(2026, 3, 10), date(2026, 3, 9)), "end"),
        (KpiFilters(date(2025, 1, 1), date(2026, 1, 2)), "end"),
        (KpiFilters(DAY, DAY, network="myspace"), "network"),
        (KpiFilters(DAY, DAY, team=""), "team"),
        (KpiFilters(DAY, DAY, kind="blog"), "kind"),
    ],
)
def test_a_range_or_slice_the_kpis_cannot_answer_names_its_field(filters: KpiFilters, field: str) -> None:
    with pytest.raises(KpiQueryError) as refused:
        filters.validate()
    assert refused.value.field == field


def test_a_full_year_is_accepted() -> None:
    assert KpiFilters(date(2024, 1, 1), date(2024, 12, 31)).validate().days == 366
    assert replace(KpiFilters(DAY, DAY), team="Sales").previous().team == "Sales"


def test_the_file_cache_stays_under_its_size_dropping_the_files_used_longest_ago(
    programme: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from functions.config import settings
    from functions.kpis.store import FACTS, KpiFiles

    monkeypatch.setenv("KPI_CACHE_MB", "1")
    settings.cache_clear()
    files = KpiFiles()
    old = []
    for number in range(3):  # what earlier requests left: 1.8 MB
        path = files.cache / "files" / FACTS / f"day=2026-01-0{number + 1}" / "part-1.parquet.etag"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 600_000)
        os.utime(path, (1_000_000 + number, 1_000_000 + number))
        old.append(path)
    assert kpis(KpiFilters(DAY, DAY)).human_clicks == 6  # fetches the day's file, then trims
    assert [path.exists() for path in old] == [False, False, True]  # the oldest went first, until under 1 MB
    assert sum(p.stat().st_size for p in (files.cache / "files").rglob("*") if p.is_file()) <= 1024 * 1024
