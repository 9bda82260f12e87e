"""What the KPIs learn from the app besides clicks: an employee using their token (adoption) and a share
opened from a digest (the digest funnel), through the real routes and the counting schedule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from functions.directory.tokens import employee_token
from functions.events import EventStore
from functions.kpis.query import KpiFilters, kpis
from functions.shares.service import share_path
from tests.conftest import BROWSER_HEADERS, SHARER_HEADERS, Clock, World, short_code_from_intent


def logged(clock: Clock, kind: str) -> list[Any]:
    now = int(clock.at)
    return [event for event in EventStore().slice(now - 600, now + 60) if event.type == kind]


def test_an_employee_using_their_token_is_seen_once_a_day_and_counts_towards_adoption(
    client: Any, world: World, count_clicks: Any, clock: Clock
) -> None:
    token = {"Authorization": f"Employee {employee_token(world.employee_id)}"}
    assert client.http.get("/api/me?zzz=1", headers=token).status_code == 400
    assert logged(clock, "seen") == []  # a refused request writes nothing, whoever sent it
    for _ in range(3):
        assert client.http.get("/api/me", headers=token).status_code == 200
    [seen] = logged(clock, "seen")
    assert (seen.employee_id, seen.team, seen.visitor, seen.ip) == (world.employee_id, "Marketing", "", "")
    assert client.http.get("/api/me", headers={"Authorization": "Employee forged.1.2"}).status_code == 401
    assert len(logged(clock, "seen")) == 1  # a refused token is nobody
    count_clicks()
    day = datetime.fromtimestamp(clock.at, UTC).date()
    report = kpis(KpiFilters(day, day))
    assert report.adoption_rate == 1.0 and report.participation_rate == 0.0  # seen, but shared nothing


def test_a_share_opened_from_a_digest_and_the_clicks_it_brings_fill_the_digest_funnel(
    client: Any, world: World, count_clicks: Any, clock: Clock
) -> None:
    path = share_path(world.employee_id, world.content_id, "linkedin", via="digest")
    opened = client.http.get(path, headers=SHARER_HEADERS)
    assert opened.status_code == 302
    [shared] = logged(clock, "share")
    assert shared.source == "digest"
    code = short_code_from_intent(opened.headers["Location"])
    reader = {**BROWSER_HEADERS, "X-Forwarded-For": "203.0.113.9"}
    assert client.http.get(f"/{code}", headers=reader).status_code == 302
    plain = share_path(world.employee_id, world.content_id, "x", 0)  # from the site: no via
    assert "via=" not in plain
    forged = share_path(world.employee_id, world.content_id, "x") + "&via=newsletter"
    assert client.http.get(forged, headers=SHARER_HEADERS).status_code == 302  # an unknown source is no source
    count_clicks()
    day = datetime.fromtimestamp(clock.at, UTC).date()
    funnel = kpis(KpiFilters(day, day)).digest_funnel
    assert funnel == {"digests_sent": 0, "sharers_from_digest": 1, "human_clicks_from_digest_shares": 1}
    assert sorted(e.source for e in logged(clock, "share")) == ["", "digest"]
