"""Employee tokens over HTTP (moto): who left is refused everywhere, and an admin can withdraw one person's links."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup

from functions.admin.tokens import AdminTokenStore
from functions.content.store import ContentStore
from functions.digest.preferences import preferences_url, unsubscribe_url
from functions.directory.model import Employee, employee_id_for
from functions.directory.service import deactivate_employee
from functions.directory.store import EmployeeStore
from functions.directory.tokens import employee_token
from functions.shares.service import share_url
from tests.conftest import World


@pytest.fixture
def admin(aws: None) -> dict[str, str]:
    return {"Authorization": f"Bearer {AdminTokenStore().create('it')}", "Content-Type": "application/json"}


@pytest.fixture
def colleague(world: World) -> Employee:
    person = Employee(id=employee_id_for("bo@example.com"), email="bo@example.com", name="Bo", team="Sales")
    EmployeeStore().put(person)
    return person


def as_employee(token: str) -> dict[str, str]:
    return {"Authorization": f"Employee {token}", "Content-Type": "application/json"}


def employee_calls(client: Any, world: World, token: str) -> dict[str, Any]:
    """Every route an employee's token opens, each called once."""
    headers = as_employee(token)
    return {
        "me": client.http.get("/api/me", headers=headers),
        "share links": client.http.get(f"/api/me/share-links?content_ids={world.content_id}", headers=headers),
        "name": client.http.put("/api/me/name-visibility", headers=headers, body=json.dumps({"show_name": False})),
        "suggestion": client.http.post(
            "/api/suggestions", headers=headers, body=json.dumps({"url": "https://example.org/a-good-read"})
        ),
    }


def path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_every_employee_route_refuses_the_token_of_someone_who_left(client: Any, world: World, admin: dict) -> None:
    token = employee_token(world.employee_id)
    deactivate_employee(world.employee_id)

    for route, response in employee_calls(client, world, token).items():
        assert response.status_code == 401, route
        assert response.json_body["fields"] == {
            "Authorization": "this link belongs to someone who is no longer in the programme"
        }
    assert EmployeeStore().get(world.employee_id).show_name is True  # type: ignore[union-attr]
    assert client.http.get("/api/admin/suggestions", headers=admin).json_body["items"] == []  # nothing suggested


def test_an_admin_revokes_one_employees_links_and_the_next_digest_brings_working_ones(
    client: Any, world: World, colleague: Employee, admin: dict
) -> None:
    old = {
        "site token": employee_token(world.employee_id),
        "preferences": preferences_url(world.employee_id),
        "share": share_url(world.employee_id, world.content_id, "linkedin"),
        "unsubscribe": unsubscribe_url(world.employee_id),
    }
    assert all(r.status_code < 300 for r in employee_calls(client, world, old["site token"]).values())

    revoked = client.http.post(f"/api/admin/employees/{world.employee_id}/revoke-tokens", headers=admin)
    assert revoked.status_code == 200 and revoked.json_body["token_version"] == 1

    for route, response in employee_calls(client, world, old["site token"]).items():
        assert response.status_code == 401, route  # the site's script drops the token and says so
        assert "withdrawn" in response.json_body["fields"]["Authorization"]
    page = client.http.get(path(old["preferences"]))
    assert page.status_code == 403 and "withdrawn" in BeautifulSoup(page.body, "html.parser").get_text()
    token = parse_qs(urlsplit(old["preferences"]).query)["token"][0]
    form = urlencode({"token": token, "cadence": "off"})
    posted = client.http.post("/preferences", headers={"Content-Type": "application/x-www-form-urlencoded"}, body=form)
    assert posted.status_code == 403
    shared = client.http.get(path(old["share"]))
    assert shared.status_code == 403 and "withdrawn" in shared.body.decode()
    # Leaving must always be possible: the unsubscribe link of an old email still works.
    assert (
        client.http.post(path(old["unsubscribe"]), headers={"Content-Type": "text/plain"}, body="").status_code == 200
    )
    # Someone else's links are untouched.
    assert client.http.get("/api/me", headers=as_employee(employee_token(colleague.id))).status_code == 200

    # The next digest carries the new version: its site token, preferences and share links work.
    from functions.digest.compose import Composer

    employee = EmployeeStore().get(world.employee_id)
    item = ContentStore().get(world.content_id)
    assert employee is not None and item is not None
    digest = Composer(now=datetime.now(UTC)).digest(employee, "2026-W10", [item])
    fresh = digest.site_url.split("#t=", 1)[1]
    assert client.http.get("/api/me", headers=as_employee(fresh)).status_code == 200
    assert client.http.get(path(digest.preferences_url)).status_code == 200
    assert client.http.get(path(digest.items[0].share_links["linkedin"])).status_code == 302
    links = client.http.get(f"/api/me/share-links?content_ids={world.content_id}", headers=as_employee(fresh))
    assert client.http.get(path(links.json_body["share_links"][world.content_id]["x"])).status_code == 302
    made = client.http.post(
        "/api/admin/share-links",
        headers=admin,
        body=json.dumps({"employee_id": world.employee_id, "content_id": world.content_id}),
    )
    assert client.http.get(path(made.json_body["share_links"]["email"])).status_code == 302


def test_revoking_needs_an_admin_and_an_employee(client: Any, world: World, admin: dict) -> None:
    url = f"/api/admin/employees/{world.employee_id}/revoke-tokens"
    assert client.http.post(url, headers=as_employee(employee_token(world.employee_id))).status_code == 401
    assert client.http.post("/api/admin/employees/nobody/revoke-tokens", headers=admin).status_code == 404
    assert EmployeeStore().get(world.employee_id).token_version == 0  # type: ignore[union-attr]


def test_the_operator_command_revokes_by_email(client: Any, world: World, capsys: Any) -> None:
    from functions import cli

    assert cli.main(["revoke-employee-tokens", "Ada@Example.com"]) == 0
    assert "token version 1" in capsys.readouterr().out
    assert client.http.get("/api/me", headers=as_employee(employee_token(world.employee_id))).status_code == 401
    assert cli.main(["revoke-employee-tokens", "nobody@example.com"]) == 1
