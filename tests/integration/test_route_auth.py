"""Every registered route declares who may call it, and the declaration is enforced on every method.

Adding a route without ``@auth.admin_only``, ``@auth.employee_only`` or ``@auth.public`` fails here, and so
does a public route not listed below.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import app
from functions.api.operations import declared
from tests.conftest import World

PUBLIC = {
    ("GET", "/"),
    ("GET", "/admin"),  # the form itself holds no data; it calls the admin API with the admin's token
    ("GET", "/{code}"),
    ("HEAD", "/{code}"),
    ("GET", "/share/{employee_id}/{content_id}/{network}"),  # signed link, checked by the view
    ("HEAD", "/share/{employee_id}/{content_id}/{network}"),
    ("GET", "/api/health"),
    ("GET", "/api/leaderboard"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs"),
    ("GET", "/api/results/summary"),  # the programme's totals: nothing personal
    ("GET", "/api/docs/redoc.standalone.js"),
    ("GET", "/api/feed"),
    ("GET", "/api/content/{content_id}"),
    ("GET", "/media/{name}"),
    ("GET", "/unsubscribe"),  # signed unsubscribe token, checked by the view
    ("POST", "/unsubscribe"),
    ("GET", "/preferences"),  # signed preferences token, checked by the view
    ("POST", "/preferences"),
    (
        "GET",
        "/poll/{poll_id}",
    ),  # signed answer link (employee, poll, value, expiry, token version), checked by the view
    ("POST", "/poll/{poll_id}"),  # the same signed link, posted by its page's form
}
WRONG = {
    "admin": ["Bearer chorus_adm_wrong", "Basic YWRtaW46YWRtaW4=", "Employee not-a-token"],
    "employee": ["Employee not-a-token", "Bearer chorus_adm_wrong", "employee"],
}


def routes() -> list[tuple[str, str, Any]]:
    return sorted(
        (method, path, entry) for path, methods in app.app.routes.items() for method, entry in methods.items()
    )


def auth_of(entry: Any) -> str | None:
    operation = declared(entry.view_function)
    return None if operation is None else operation.auth


def guarded() -> list[tuple[str, str, str]]:
    return [(m, p, auth_of(e) or "") for m, p, e in routes() if (m, p) not in PUBLIC]


def concrete(path: str) -> str:
    """The route's pattern with an id in each placeholder (any id: auth is checked before it is looked up)."""
    return re.sub(r"\{[^}]+\}", "some-id", path)


def call(client: Any, method: str, path: str, authorization: str | None) -> Any:
    content_type = app.app.routes[path][method].content_types[0]
    headers = {"Content-Type": content_type, "Accept": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    body = "{}" if method in {"POST", "PUT"} else None
    return client.http.request(method, concrete(path), headers=headers, body=body)


def test_every_route_declares_its_auth_and_only_the_listed_ones_are_public() -> None:
    declarations = {(m, p): auth_of(e) for m, p, e in routes()}
    assert {route for route, auth in declarations.items() if auth is None} == set()
    assert {route for route, auth in declarations.items() if auth == "public"} == PUBLIC
    assert len(guarded()) == 27  # 23 admin and 4 employee (method, path) pairs: none dropped unnoticed
    assert {auth for *_, auth in guarded()} == {"admin", "employee"}


def test_the_api_document_shows_each_route_s_declared_auth() -> None:
    from functions.api.openapi import document

    paths = document(app.app.routes)["paths"]
    expected = {"admin": [{"adminToken": []}], "employee": [{"employeeToken": []}]}
    for method, path, auth in guarded():
        assert paths[path][method.lower()]["security"] == expected[auth], (method, path)
        assert "401" in paths[path][method.lower()]["responses"], (method, path)
    for method, path in PUBLIC:
        assert "security" not in paths[path][method.lower()], (method, path)


@pytest.mark.parametrize(("method", "path", "auth"), guarded())
def test_no_token_and_a_wrong_token_get_401(client: Any, world: World, method: str, path: str, auth: str) -> None:
    for authorization in [None, *WRONG[auth]]:
        response = call(client, method, path, authorization)
        assert response.status_code == 401, (authorization, response.body)
        assert response.headers["Content-Type"] == "application/json"
        assert "Authorization" in response.json_body["fields"], authorization
        if auth == "admin":
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="chorus-admin"'


@pytest.mark.parametrize(
    ("method", "path"), [(m, p) for m, p, auth in guarded() if auth == "employee"], ids=lambda v: str(v)
)
def test_an_employee_route_refuses_a_genuine_token_once_the_employee_has_left_or_it_was_revoked(
    client: Any, world: World, method: str, path: str
) -> None:
    from functions.admin.tokens import AdminTokenStore
    from functions.directory.tokens import employee_token

    admin = {"Authorization": f"Bearer {AdminTokenStore().create('test')}", "Content-Type": "application/json"}
    token = employee_token(world.employee_id)
    assert call(client, method, path, f"Employee {token}").status_code != 401  # the declaration lets it in
    revoke = f"/api/admin/employees/{world.employee_id}/revoke-tokens"
    assert client.http.post(revoke, headers=admin, body="{}").status_code == 200
    assert call(client, method, path, f"Employee {token}").status_code == 401  # version 0 was withdrawn

    fresh = employee_token(world.employee_id, version=1)
    deactivate = f"/api/admin/employees/{world.employee_id}/deactivate"
    assert client.http.post(deactivate, headers=admin, body="{}").status_code == 200
    response = call(client, method, path, f"Employee {fresh}")
    assert response.status_code == 401
    assert "Authorization" in response.json_body["fields"]


def test_an_admin_token_passes_the_declaration(client: Any, world: World) -> None:
    """The declaration lets a genuine caller through to the view (which then answers on its own terms)."""
    from functions.admin.tokens import AdminTokenStore

    admin = f"Bearer {AdminTokenStore().create('test')}"
    for method, path, auth in guarded():
        if auth == "admin":
            response = call(client, method, path, admin)
            assert response.status_code != 401, (method, path, response.body)


# What each employee route is called with: (query, body). A route added without an entry fails below.
EMPLOYEE_CALLS: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
    ("GET", "/api/me"): ("", None),
    ("GET", "/api/me/share-links"): ("content_ids={content}", None),
    ("PUT", "/api/me/name-visibility"): ("", {"show_name": False}),
    ("POST", "/api/suggestions"): ("", {"url": "https://www.example.com/a-page-worth-sharing", "comment": "Good"}),
}


def employee_call(client: Any, method: str, path: str, token: str, query: str, body: dict[str, Any] | None) -> Any:
    headers = {"Authorization": f"Employee {token}", "Content-Type": "application/json"}
    target = f"{path}?{query}" if query else path
    return client.http.request(method, target, headers=headers, body=None if body is None else json.dumps(body))


def employee_item(employee_id: str) -> dict[str, Any]:
    import os

    import boto3

    key = {"id": {"S": employee_id}}
    return boto3.client("dynamodb").get_item(TableName=os.environ["EMPLOYEES_TABLE"], Key=key, ConsistentRead=True)[
        "Item"
    ]


@pytest.mark.parametrize(("method", "path"), sorted(EMPLOYEE_CALLS), ids=lambda v: str(v))
def test_another_employee_s_token_reads_and_changes_only_its_own_employee(
    client: Any, world: World, method: str, path: str
) -> None:
    """Bob holds his own genuine token and names Ada in every place a request can carry a name: the query,
    the body. The employee comes from the token only: naming someone else is refused, and what Bob does is
    done to Bob, never to Ada."""
    from functions.content.suggestions import moderation_queue
    from functions.directory.model import Employee, employee_id_for
    from functions.directory.store import EmployeeStore
    from functions.directory.tokens import employee_token

    assert {(m, p) for m, p, auth in guarded() if auth == "employee"} == set(EMPLOYEE_CALLS)
    bob = Employee(id=employee_id_for("bob@example.com"), email="bob@example.com", name="Bob Other", team="Sales")
    EmployeeStore().put(bob)
    ada_before = employee_item(world.employee_id)
    query, body = EMPLOYEE_CALLS[(method, path)]
    query = query.format(content=world.content_id)
    token = employee_token(bob.id)

    smuggled_query = "&".join(q for q in (query, f"employee_id={world.employee_id}") if q)
    refused = employee_call(client, method, path, token, smuggled_query, body)
    assert refused.status_code == 400 and "employee_id" in refused.json_body["fields"], refused.body
    if body is not None:
        refused = employee_call(client, method, path, token, query, {**body, "employee_id": world.employee_id})
        assert refused.status_code == 400 and "employee_id" in refused.json_body["fields"], refused.body

    answer = employee_call(client, method, path, token, query, body)
    assert answer.status_code in (200, 201), answer.body
    if path == "/api/me":
        assert answer.json_body["employee"]["name"] == "Bob Other"
    elif path == "/api/me/share-links":
        links = [url for networks in answer.json_body["share_links"].values() for url in networks.values()]
        assert links and all(f"/share/{bob.id}/" in url for url in links)
    elif path == "/api/me/name-visibility":
        assert answer.json_body["id"] == bob.id and employee_item(bob.id)["show_name"] == {"BOOL": False}
    else:
        assert answer.json_body["employee_id"] == bob.id
        [pending], _ = moderation_queue()
        assert pending.employee_id == bob.id
    assert employee_item(world.employee_id) == ada_before  # Ada's record untouched, whatever Bob sent


@pytest.mark.parametrize(("method", "path"), sorted(EMPLOYEE_CALLS), ids=lambda v: str(v))
def test_an_expired_a_re_addressed_or_another_purpose_s_signed_token_gets_401(
    client: Any, world: World, method: str, path: str
) -> None:
    """The employee token (the site's ``#t=``, the digest's links) is signed with its expiry and purpose:
    moving it to another employee, past its expiry or onto another purpose's token opens nothing."""
    import time

    from functions.digest.preferences import unsubscribe_token
    from functions.directory.model import Employee, employee_id_for
    from functions.directory.store import EmployeeStore
    from functions.directory.tokens import employee_token, preferences_token

    bob = Employee(id=employee_id_for("bob@example.com"), email="bob@example.com", name="Bob Other", team="Sales")
    EmployeeStore().put(bob)
    query, body = EMPLOYEE_CALLS[(method, path)]
    query = query.format(content=world.content_id)
    genuine = employee_token(world.employee_id)
    assert employee_call(client, method, path, genuine, query, body).status_code in (200, 201)
    _, expires, signature = genuine.split(".")
    refused = {
        "expired": employee_token(world.employee_id, expires_at=int(time.time()) - 1),
        "moved to Bob": f"{bob.id}.{expires}.{signature}",
        "expiry pushed back": f"{world.employee_id}.{int(expires) + 86400}.{signature}",
        "a version added": f"{world.employee_id}.1.{expires}.{signature}",
        "a preferences token": preferences_token(world.employee_id),
        "an unsubscribe token": unsubscribe_token(world.employee_id),
    }
    for why, token in refused.items():
        response = employee_call(client, method, path, token, query, body)
        assert response.status_code == 401, (why, response.body)
        assert "Authorization" in response.json_body["fields"], why
    assert EmployeeStore().get(bob.id) == bob
