"""GET /{code}: the public redirect, through Chalice's test client over moto."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from tests.conftest import (
    BROWSER_HEADERS,
    SHARER_HEADERS,
    World,
    parse_page,
    short_code_from_intent,
    signed_share_path,
)
from tests.front_door import ORIGIN_SECRET, FrontDoorClient


@pytest.fixture(params=["api_gateway", "function_url"])
def visits(request: pytest.FixtureRequest, client: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The visitor's way in: the Chalice route behind API Gateway, or the lean front door behind CloudFront
    (functions/links/front_door.py). Every redirect test runs through both: they must answer the same."""
    if request.param == "api_gateway":
        yield client.http
        return
    from functions.links import front_door

    monkeypatch.setenv("FRONT_DOOR_ORIGIN_SECRET", ORIGIN_SECRET)
    front_door.reset()
    yield FrontDoorClient()
    front_door.reset()


def share_and_get_code(client: Any, world: World, network: str = "linkedin") -> str:
    response = client.http.get(signed_share_path(world.employee_id, world.content_id, network), headers=SHARER_HEADERS)
    assert response.status_code == 302
    return short_code_from_intent(response.headers["Location"])


def stored_clicks() -> list[dict[str, Any]]:
    import os

    items = boto3.client("dynamodb").scan(TableName=os.environ["EVENTS_TABLE"])["Items"]
    return [item for item in items if item["pk"]["S"].startswith("T#") and item["type"]["S"] == "click"]  # the log


def test_a_short_link_redirects_to_the_registered_destination_with_utm_tags(
    client: Any, visits: Any, world: World
) -> None:
    code = share_and_get_code(client, world)
    response = visits.get(f"/{code}", headers=BROWSER_HEADERS)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path, location.fragment) == (
        "https",
        "www.example.com",
        "/news/launch",
        "top",
    )
    assert parse_qs(location.query) == {
        "ref": ["home"],
        "utm_source": ["linkedin"],
        "utm_medium": ["employee_advocacy"],
        "utm_campaign": ["autumn"],
    }
    assert "no-store" in response.headers["Cache-Control"]


def test_the_click_is_recorded_with_attribution_and_without_the_ip(client: Any, visits: Any, world: World) -> None:
    code = share_and_get_code(client, world, "x")
    headers = {**BROWSER_HEADERS, "Referer": "https://t.co/abc", "CloudFront-Viewer-Country": "PL"}
    visits.get(f"/{code}", headers=headers)
    [click] = stored_clicks()
    assert {
        k: click[k]["S"]
        for k in ("employee_id", "content_id", "network", "team", "code", "kind", "country", "referrer_host", "device")
    } == {
        "employee_id": world.employee_id,
        "content_id": "launch",
        "network": "x",
        "team": "Marketing",
        "code": code,
        "kind": "human",
        "country": "PL",
        "referrer_host": "t.co",
        "device": "desktop",
    }
    assert "127.0.0.1" not in str(click)
    assert len(click["visitor"]["S"]) == 32
    assert re.fullmatch(r"[0-9a-f]{16}", click["id"]["S"])  # the event's own id, for counting each once
    assert re.fullmatch(r"[0-9a-f]{16}", click["ip"]["S"])  # the daily-salted network, for the address cap


def test_visitors_rotating_their_agent_from_one_address_share_the_address_hash(
    client: Any, visits: Any, world: World
) -> None:
    code = share_and_get_code(client, world)
    for n in range(3):
        visits.get(f"/{code}", headers={**BROWSER_HEADERS, "User-Agent": f"{BROWSER_HEADERS['User-Agent']} {n}"})
    clicks = stored_clicks()
    assert len({c["visitor"]["S"] for c in clicks}) == 3
    assert len({c["ip"]["S"] for c in clicks}) == 1
    assert len({c["id"]["S"] for c in clicks}) == 3


def test_raw_events_expire_after_the_configured_days(client: Any, visits: Any, world: World, monkeypatch: Any) -> None:
    from functions.config import settings
    from functions.links import redirect

    monkeypatch.setenv("EVENT_TTL_DAYS", "30")
    settings.cache_clear()
    redirect.reset()
    code = share_and_get_code(client, world)
    visits.get(f"/{code}", headers=BROWSER_HEADERS)
    [click] = stored_clicks()
    import time

    assert abs(int(click["expires_at"]["N"]) - (time.time() + 30 * 86400)) < 120


@pytest.mark.parametrize("path", ["/Zz9Zz9Zz", "/abc", "/not-a-code!", "/" + "a" * 40, "/%3Cscript%3E"])
def test_unknown_and_malformed_codes_get_a_small_404_page(client: Any, visits: Any, aws: None, path: str) -> None:
    response = visits.get(path, headers=BROWSER_HEADERS)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    body = response.body.decode()
    page = parse_page(body)
    assert page.h1 == ["Link not found"] and page.lang == "en"
    assert "<script" not in body
    assert len(body) < 4000


def test_head_requests_redirect_but_never_count_as_human(client: Any, visits: Any, world: World) -> None:
    code = share_and_get_code(client, world)
    response = visits.request("HEAD", f"/{code}", headers=BROWSER_HEADERS)
    assert response.status_code == 302
    [click] = stored_clicks()
    assert (click["kind"]["S"], click["reason"]["S"]) == ("scanner", "head_request")


def test_preview_bots_are_redirected_but_filtered_with_the_reason(client: Any, visits: Any, world: World) -> None:
    code = share_and_get_code(client, world)
    response = visits.get(f"/{code}", headers={"User-Agent": "LinkedInBot/1.0 (compatible; Mozilla/5.0)"})
    assert response.status_code == 302
    [click] = stored_clicks()
    assert (click["kind"]["S"], click["reason"]["S"]) == ("preview", "link_preview:linkedin")


def test_oversized_and_garbage_headers_still_redirect(client: Any, visits: Any, world: World) -> None:
    code = share_and_get_code(client, world)
    headers = {
        "User-Agent": "x" * 8000,
        "Referer": "::::" * 500,
        "CloudFront-Viewer-Country": "ZZZZ",
        "Accept-Language": "en",
    }
    response = visits.get(f"/{code}", headers=headers)
    assert response.status_code == 302
    [click] = stored_clicks()
    assert click["kind"]["S"] == "bot" and "country" not in click and "referrer_host" not in click


def test_a_click_the_events_table_cannot_take_is_queued_and_written_when_the_table_is_back(
    visits: Any, client: Any, world: World, caplog: Any
) -> None:
    import os

    from functions.config import settings
    from infra.local.queues import QueuePump
    from infra.resources import create_all

    code = share_and_get_code(client, world)
    dynamodb = boto3.client("dynamodb")
    dynamodb.delete_table(TableName=os.environ["EVENTS_TABLE"])
    response = visits.get(f"/{code}", headers=BROWSER_HEADERS)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://www.example.com/news/launch")
    assert not [r for r in caplog.records if r.getMessage() == "click_tracking_failed"]

    def worker(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return client.lambda_.invoke("write_backlog_clicks", event).payload

    pump = QueuePump(boto3.client("sqs"), settings().click_backlog_queue_name, worker, "write_backlog_clicks", 10, 0)
    assert pump.pump(rounds=3) == 0  # the table is still gone: the click stays queued
    create_all(dynamodb)  # the table is back
    assert pump.pump() == 1
    [click] = stored_clicks()
    assert (click["code"]["S"], click["kind"]["S"], click["late"]["BOOL"]) == (code, "human", True)
    assert pump.pump() == 0


def test_tracking_failure_never_blocks_the_redirect_and_is_logged_for_replay_when_the_queue_fails_too(
    visits: Any, client: Any, world: World, caplog: Any
) -> None:
    import os

    from functions.config import settings

    code = share_and_get_code(client, world)
    boto3.client("dynamodb").delete_table(TableName=os.environ["EVENTS_TABLE"])
    sqs = boto3.client("sqs")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=settings().click_backlog_queue_name)["QueueUrl"])
    response = visits.get(f"/{code}", headers=BROWSER_HEADERS)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://www.example.com/news/launch")
    [record] = [r for r in caplog.records if r.getMessage() == "click_tracking_failed"]
    replay = record.replay_item  # the exact item to put back once the table is healthy
    assert (replay["code"]["S"], replay["kind"]["S"], record.table) == (code, "human", os.environ["EVENTS_TABLE"])


def test_a_redirect_costs_one_read_when_cold_and_none_when_warm_plus_one_write(
    client: Any, visits: Any, world: World
) -> None:
    from functions import aws as chorus_aws

    code = share_and_get_code(client, world)
    from functions.links import redirect

    redirect.reset()
    calls: list[str] = []
    chorus_aws.dynamodb().meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    visits.get(f"/{code}", headers=BROWSER_HEADERS)
    assert calls == ["GetItem", "PutItem"]
    calls.clear()
    for _ in range(3):
        visits.get(f"/{code}", headers=BROWSER_HEADERS)
    assert calls == ["PutItem"] * 3


def test_the_same_visitor_twice_is_one_unique_human_click(
    client: Any, visits: Any, world: World, count_clicks: Any
) -> None:
    from functions.stats.leaderboard import leaderboard

    code = share_and_get_code(client, world)
    for _ in range(2):
        visits.get(f"/{code}", headers=BROWSER_HEADERS)
    other = {**BROWSER_HEADERS, "User-Agent": BROWSER_HEADERS["User-Agent"].replace("130", "131")}
    visits.get(f"/{code}", headers=other)
    count_clicks()
    [me] = leaderboard("week")
    assert (me.shares, me.human_clicks, me.unique_human_clicks) == (1, 3, 2)


def test_a_known_link_keeps_redirecting_when_dynamodb_cannot_be_read(
    visits: Any, client: Any, world: World, monkeypatch: Any
) -> None:
    from functions.links import redirect

    code = share_and_get_code(client, world)
    assert visits.get(f"/{code}", headers=BROWSER_HEADERS).status_code == 302  # this Lambda has seen it
    redirect._cache().clear()  # the fresh copy expired

    def throttled(code: str) -> None:
        raise ConnectionError("throttled")

    monkeypatch.setattr(redirect._links(), "get", throttled)
    response = visits.get(f"/{code}", headers=BROWSER_HEADERS)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://www.example.com/news/launch")

    redirect.reset()  # a new Lambda that never saw the link
    monkeypatch.setattr(redirect._links(), "get", throttled)
    response = visits.get(f"/{code}", headers=BROWSER_HEADERS)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "Please try again" in response.body.decode()


def test_the_root_page_says_what_to_open(client: Any) -> None:
    response = client.http.get("/")
    assert response.status_code == 200
    page = parse_page(response.body.decode())
    assert page.h1 == ["Chorus is running"]
    assert "api/leaderboard?period=week" in page.links
