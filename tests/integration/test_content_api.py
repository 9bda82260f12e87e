"""The content library over HTTP: admin CRUD, the public feed, items, ETags and cursors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.admin.tokens import AdminTokenStore
from tests.conftest import BROWSER_HEADERS, short_code_from_intent, signed_share_path


@pytest.fixture
def admin(client: Any) -> Any:
    token = AdminTokenStore().create("comms")

    class Admin:
        def send(self, method: str, path: str, body: object = None) -> Any:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            return client.http.request(method, path, headers=headers, body=json.dumps(body) if body else b"")

    return Admin()


def item(**overrides: Any) -> dict[str, Any]:
    return {"url": "https://example.com/article", "title": "An article", "status": "published", **overrides}


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat(timespec="seconds")


def test_an_admin_creates_an_item_and_sees_who_and_when(admin: Any) -> None:
    response = admin.send(
        "POST",
        "/api/admin/content",
        item(
            id="spring-launch",
            title="Spring launch",
            topics=["Product", "product"],
            important=True,
            share_texts={"linkedin": ["Proud of this!", "Have a look."], "x": ["Spring launch:"]},
        ),
    )
    assert response.status_code == 201
    body = response.json_body
    assert (body["id"], body["slug"], body["status"], body["topics"]) == (
        "spring-launch",
        "spring-launch",
        "published",
        ["product"],
    )
    assert body["created_by"] == "admin:comms" and body["created_at"] == body["updated_at"]
    assert admin.send("GET", "/api/admin/content/spring-launch").json_body == body


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"url", "title"}),
        (item(url="javascript:alert(1)"), {"url"}),
        (item(url="http://192.168.1.10/"), {"url"}),
        (item(colour="blue"), {"colour"}),
        (item(title=5), {"title"}),
        (item(language="de"), {"language"}),
        (item(status="scheduled"), {"status"}),
        (item(share_texts={"x": ["x" * 257]}), {"share_texts.x[0]"}),
        (item(share_texts={"myspace": ["hi"]}), {"share_texts.myspace"}),
        (item(publish_start=iso(timedelta(days=2)), publish_end=iso(timedelta(days=1))), {"publish_end"}),
        (item(publish_start="next tuesday"), {"publish_start"}),
    ],
)
def test_bad_items_get_400_naming_each_field_and_nothing_is_written(admin: Any, body: dict, fields: set) -> None:
    response = admin.send("POST", "/api/admin/content", body)
    assert response.status_code == 400
    assert set(response.json_body["fields"]) == fields
    assert admin.send("GET", "/api/admin/content?status=published").json_body["items"] == []


def test_x_counts_links_as_23_characters(admin: Any) -> None:
    text = "a" * 200 + " https://example.com/" + "p" * 100  # 321 typed, 200 + 1 + 23 counted
    assert admin.send("POST", "/api/admin/content", item(share_texts={"x": [text]})).status_code == 201


def test_a_duplicate_id_is_409_and_the_first_item_is_kept(admin: Any) -> None:
    assert admin.send("POST", "/api/admin/content", item(id="dup-1")).status_code == 201
    response = admin.send("POST", "/api/admin/content", item(id="dup-1", title="Other"))
    assert response.status_code == 409
    assert admin.send("GET", "/api/admin/content/dup-1").json_body["title"] == "An article"


def test_admin_endpoints_refuse_without_a_token(client: Any) -> None:
    for method, path in [
        ("POST", "/api/admin/content"),
        ("GET", "/api/admin/content"),
        ("PUT", "/api/admin/content/x"),
        ("DELETE", "/api/admin/content/x"),
        ("POST", "/api/admin/content/import-url"),
    ]:
        response = client.http.request(method, path, body=b"{}")
        assert response.status_code == 401, (method, path)


def test_editing_the_destination_retargets_links_already_shared(admin: Any, client: Any, world: Any) -> None:
    location = client.http.get(signed_share_path(world.employee_id, world.content_id, "x")).headers["Location"]
    code = short_code_from_intent(location)
    response = admin.send("PUT", f"/api/admin/content/{world.content_id}", {"url": "https://example.com/v2"})
    assert response.status_code == 200 and response.json_body["url"] == "https://example.com/v2"
    assert response.json_body["title"] == "Our autumn launch"  # fields not given are kept
    from functions.links import redirect

    redirect.reset()  # a Lambda whose cached copy expired
    target = client.http.get(f"/{code}", headers=BROWSER_HEADERS).headers["Location"]
    assert target.startswith("https://example.com/v2?utm_source=x&utm_medium=employee_advocacy")


def test_archiving_takes_an_item_out_of_the_feed_but_its_links_keep_working(
    admin: Any, client: Any, world: Any
) -> None:
    location = client.http.get(signed_share_path(world.employee_id, world.content_id, "x")).headers["Location"]
    code = short_code_from_intent(location)
    assert admin.send("DELETE", f"/api/admin/content/{world.content_id}").json_body["status"] == "archived"
    assert client.http.get("/api/feed").json_body["items"] == []
    assert client.http.get(f"/api/content/{world.content_id}").status_code == 404
    assert client.http.get(f"/{code}", headers=BROWSER_HEADERS).status_code == 302
    assert admin.send("PUT", "/api/admin/content/nope", {"title": "x"}).status_code == 404


def test_the_feed_shows_live_items_important_first_then_newest(admin: Any, client: Any) -> None:
    day = timedelta(days=1)
    for key, extra in {
        "old": {"publish_start": iso(-3 * day)},
        "new": {"publish_start": iso(-1 * day)},
        "pinned": {"publish_start": iso(-5 * day), "important": True},
        "future": {"publish_start": iso(day)},
        "over": {"publish_start": iso(-5 * day), "publish_end": iso(-day)},
        "draft": {"status": "draft"},
        "polish": {"publish_start": iso(-2 * day), "language": "pl", "topics": ["kultura"]},
    }.items():
        assert admin.send("POST", "/api/admin/content", item(id=f"item-{key}", title=key, **extra)).status_code == 201
    ids = [i["id"] for i in client.http.get("/api/feed").json_body["items"]]
    assert ids == ["item-pinned", "item-new", "item-polish", "item-old"]
    assert [i["id"] for i in client.http.get("/api/feed?lang=pl").json_body["items"]] == ["item-polish"]
    assert [i["id"] for i in client.http.get("/api/feed?topic=kultura").json_body["items"]] == ["item-polish"]
    statuses = {
        s: [i["id"] for i in admin.send("GET", f"/api/admin/content?status={s}").json_body["items"]]
        for s in ("scheduled", "expired", "draft")
    }
    assert statuses == {"scheduled": ["item-future"], "expired": ["item-over"], "draft": ["item-draft"]}
    assert client.http.get("/api/content/item-future").status_code == 404
    assert client.http.get("/api/content/item-new").json_body["title"] == "new"


def test_the_feed_pages_with_an_opaque_cursor_and_refuses_a_tampered_one(admin: Any, client: Any) -> None:
    for n in range(5):
        admin.send("POST", "/api/admin/content", item(id=f"page-{n}", publish_start=iso(timedelta(hours=-n - 1))))
    first = client.http.get("/api/feed?limit=2").json_body
    second = client.http.get(f"/api/feed?limit=2&cursor={first['next_cursor']}").json_body
    third = client.http.get(f"/api/feed?limit=2&cursor={second['next_cursor']}").json_body
    seen = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert seen == [f"page-{n}" for n in range(5)]
    payload, expires, signature = first["next_cursor"].split(".")
    forged = f"{payload[:-2]}AA.{expires}.{signature}"
    for cursor, query in [(forged, "limit=2"), (first["next_cursor"], "limit=3"), ("garbage", "limit=2")]:
        response = client.http.get(f"/api/feed?{query}&cursor={cursor}")
        assert response.status_code == 400 and set(response.json_body["fields"]) == {"cursor"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lang=de", "lang"),
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("sort=new", "sort"),
        ("topic=" + "t" * 41, "topic"),
    ],
)
def test_bad_feed_parameters_get_400_naming_them(client: Any, query: str, field: str) -> None:
    response = client.http.get(f"/api/feed?{query}")
    assert response.status_code == 400 and set(response.json_body["fields"]) == {field}


def test_the_feed_has_an_etag_and_answers_304_until_it_changes(admin: Any, client: Any) -> None:
    admin.send("POST", "/api/admin/content", item(id="etag-1"))
    first = client.http.get("/api/feed")
    etag = first.headers["ETag"]
    assert client.http.get("/api/feed", headers={"If-None-Match": etag}).status_code == 304
    admin.send("POST", "/api/admin/content", item(id="etag-2"))
    changed = client.http.get("/api/feed", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_bodies_over_a_megabyte_are_refused(admin: Any) -> None:
    response = admin.send("POST", "/api/admin/content", item(summary="x" * 1_100_000))
    assert response.status_code == 413 and set(response.json_body["fields"]) == {"body"}


def test_a_topic_feed_fills_its_pages_and_loses_nothing_between_them(admin: Any, client: Any) -> None:
    for n in range(12):
        topics = ["rare"] if n % 3 == 0 else ["common"]
        admin.send(
            "POST",
            "/api/admin/content",
            item(id=f"topic-{n:02d}", topics=topics, publish_start=iso(timedelta(hours=-n - 1))),
        )
    seen, cursor, pages = [], None, 0
    while True:
        query = "/api/feed?topic=common&limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.http.get(query).json_body
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"topic-{n:02d}" for n in range(12) if n % 3]
    assert pages <= 4  # 8 items in pages of 3, not one per item
