"""GET /share/…: the employee's signed share link."""

from __future__ import annotations

import os
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from tests.conftest import BROWSER_HEADERS, SHARER_HEADERS, World, parse_page, short_code_from_intent, signed_share_path


def shares_recorded() -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=os.environ["EVENTS_TABLE"])["Items"]
    return [item for item in items if item["pk"]["S"].startswith("T#") and item["type"]["S"] == "share"]  # the log


def test_share_records_the_share_and_redirects_to_the_network_with_link_and_text(client: Any, world: World) -> None:
    response = client.http.get(signed_share_path(world.employee_id, world.content_id, "x"), headers=SHARER_HEADERS)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc == "x.com" and location.path == "/intent/post"
    query = parse_qs(location.query)
    assert query["text"] == ["Launch day, have a look:"]
    assert query["url"][0].startswith("https://go.example.org/")
    [share] = shares_recorded()
    assert (share["employee_id"]["S"], share["content_id"]["S"], share["network"]["S"]) == (
        world.employee_id,
        "launch",
        "x",
    )


def test_the_recorded_share_carries_its_id_and_the_visitor_and_address_hashes_never_the_address(
    client: Any, world: World
) -> None:
    client.http.get(signed_share_path(world.employee_id, world.content_id, "linkedin"), headers=SHARER_HEADERS)
    [share] = shares_recorded()
    fields = {k: v.get("S") for k, v in share.items()}
    assert (fields["kind"], fields.get("reason", "")) == ("human", "")
    assert re.fullmatch(r"[0-9a-f]{16}", fields["id"])
    assert re.fullmatch(r"[0-9a-f]{32}", fields["visitor"])
    assert re.fullmatch(r"[0-9a-f]{16}", fields["ip"])
    assert "127.0.0.1" not in str(share)
    # the employee's browser is one visitor: clicking from it later is recognisable as their own click
    client.http.get(signed_share_path(world.employee_id, world.content_id, "x"), headers=SHARER_HEADERS)
    visitors = {(s["visitor"]["S"], s["ip"]["S"]) for s in shares_recorded()}
    assert len(visitors) == 1


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("HEAD", SHARER_HEADERS),  # link checkers and scanners probe with HEAD
        (
            "GET",
            {"User-Agent": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"},
        ),
        ("GET", {"User-Agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"}),
        ("GET", {**BROWSER_HEADERS, "Sec-Purpose": "prefetch"}),
        ("GET", {"User-Agent": "Mozilla/5.0 (compatible; Mimecast URL Protect)", "Accept-Language": "en"}),
        ("GET", {"User-Agent": BROWSER_HEADERS["User-Agent"]}),  # a browser's agent without Accept-Language
        ("GET", {}),
    ],
)
def test_previews_scanners_and_bots_are_redirected_but_record_no_share(
    client: Any, world: World, method: str, headers: dict[str, str]
) -> None:
    path = signed_share_path(world.employee_id, world.content_id, "linkedin")
    response = client.http.request(method, path, headers=headers)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).netloc == "www.linkedin.com"
    assert shares_recorded() == []
    # the person opening the same link afterwards is redirected to the same intent and recorded
    person = client.http.get(path, headers=SHARER_HEADERS)
    assert person.headers["Location"] == response.headers["Location"]
    assert len(shares_recorded()) == 1


def test_the_same_employee_item_and_network_always_get_the_same_link(client: Any, world: World) -> None:
    codes = {
        short_code_from_intent(
            client.http.get(signed_share_path(world.employee_id, world.content_id, n), headers=SHARER_HEADERS).headers[
                "Location"
            ]
        )
        for n in ("linkedin", "linkedin", "linkedin")
    }
    assert len(codes) == 1
    other = short_code_from_intent(
        client.http.get(
            signed_share_path(world.employee_id, world.content_id, "whatsapp"), headers=SHARER_HEADERS
        ).headers["Location"]
    )
    assert other not in codes
    assert len(shares_recorded()) == 4  # every tap is a share event


@pytest.mark.parametrize("network", ["linkedin", "facebook", "whatsapp", "email"])
def test_every_network_gets_its_intent(client: Any, world: World, network: str) -> None:
    location = client.http.get(signed_share_path(world.employee_id, world.content_id, network)).headers["Location"]
    assert short_code_from_intent(location)


def test_a_tampered_link_is_refused_with_403_and_records_nothing(client: Any, world: World) -> None:
    path = signed_share_path(world.employee_id, world.content_id, "linkedin")
    tampered = path.replace("/linkedin?", "/x?")
    response = client.http.get(tampered, headers=SHARER_HEADERS)
    assert response.status_code == 403
    assert "signature is not valid" in parse_page(response.body.decode()).text
    assert shares_recorded() == []


def test_a_forged_signature_is_refused(client: Any, world: World) -> None:
    expires = int(time.time()) + 999
    path = f"/share/{world.employee_id}/{world.content_id}/linkedin?exp={expires}&sig=AAAAAAAAAAAAAAAAAAAAAA"
    assert client.http.get(path).status_code == 403


def test_an_unsigned_link_is_refused(client: Any, world: World) -> None:
    response = client.http.get(f"/share/{world.employee_id}/{world.content_id}/linkedin")
    assert response.status_code == 403
    assert "not signed" in response.body.decode()


def test_an_expired_link_is_refused_with_a_clear_message(client: Any, world: World) -> None:
    path = signed_share_path(world.employee_id, world.content_id, "linkedin", expires_at=int(time.time()) - 5)
    response = client.http.get(path)
    assert response.status_code == 403
    assert "expired" in response.body.decode()


def test_an_unknown_employee_or_item_is_404(client: Any, world: World) -> None:
    for path in (
        signed_share_path("nobody", world.content_id, "linkedin"),
        signed_share_path(world.employee_id, "nothing", "linkedin"),
    ):
        assert client.http.get(path, headers=SHARER_HEADERS).status_code == 404
    assert shares_recorded() == []


def test_a_deactivated_employee_or_archived_item_is_404(client: Any, world: World) -> None:
    from dataclasses import replace

    from functions.directory.store import EmployeeStore

    store = EmployeeStore()
    store.put(replace(store.get(world.employee_id), active=False))
    response = client.http.get(
        signed_share_path(world.employee_id, world.content_id, "linkedin"), headers=SHARER_HEADERS
    )
    assert response.status_code == 404
    assert "no longer part of the programme" in response.body.decode()
    store.put(replace(store.get(world.employee_id), active=True))
    boto3.client("dynamodb").update_item(
        TableName=os.environ["CONTENT_TABLE"],
        Key={"id": {"S": world.content_id}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "archived"}},
    )
    response = client.http.get(
        signed_share_path(world.employee_id, world.content_id, "linkedin"), headers=SHARER_HEADERS
    )
    assert response.status_code == 404
    assert "no longer available" in response.body.decode()
    assert shares_recorded() == []


def test_an_unknown_network_is_404(client: Any, world: World) -> None:
    from functions.secrets import derived_key
    from functions.signing import sign

    expires = int(time.time()) + 60
    sig = sign(derived_key("share"), "share", (world.employee_id, world.content_id, "myspace"), expires)
    response = client.http.get(f"/share/{world.employee_id}/{world.content_id}/myspace?exp={expires}&sig={sig}")
    assert response.status_code == 404


def test_suggested_text_with_markup_is_escaped_on_error_pages_and_encoded_in_intents(client: Any, aws: None) -> None:
    from functions.content.model import new_content
    from functions.content.store import ContentStore
    from functions.directory.model import Employee
    from functions.directory.store import EmployeeStore

    EmployeeStore().put(Employee(id="e1", email="e1@example.com", name="<b>E</b>", team="T"))
    ContentStore().add(
        new_content(
            content_id="c1",
            url="https://example.com/",
            title="<script>alert(1)</script>",
            share_texts={"default": ['"><script>alert(1)</script>']},
        )
    )
    location = client.http.get(signed_share_path("e1", "c1", "whatsapp")).headers["Location"]
    assert "<script>" not in location
    assert parse_qs(urlsplit(location).query)["text"][0].startswith('"><script>alert(1)</script> https://go.')
