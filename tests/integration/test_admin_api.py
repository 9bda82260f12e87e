"""Admin tokens and the first admin endpoint (signed share links on demand)."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest

from functions.admin.tokens import AdminTokenStore
from tests.conftest import World


def post(client: Any, body: object, token: str | None = None, raw: bytes | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.http.post(
        "/api/admin/share-links", headers=headers, body=raw if raw is not None else json.dumps(body)
    )


@pytest.mark.parametrize("token", [None, "chorus_adm_wrong", "Basic abc", "chorus_adm_" + "x" * 300])
def test_admin_endpoints_need_a_valid_token(client: Any, world: World, token: str | None) -> None:
    response = post(client, {"employee_id": world.employee_id, "content_id": world.content_id}, token)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization" in response.json_body["fields"]


def test_a_valid_token_gets_signed_share_links_that_work(client: Any, world: World) -> None:
    token = AdminTokenStore().create("test")
    response = post(client, {"employee_id": world.employee_id, "content_id": world.content_id}, token)
    assert response.status_code == 201
    links = response.json_body["share_links"]
    assert set(links) == {"linkedin", "x", "facebook", "whatsapp", "email"}
    path = links["linkedin"].removeprefix("https://chorus.example.org")
    assert client.http.get(path).status_code == 302


def test_tokens_are_stored_only_as_hashes_and_can_be_revoked(client: Any, world: World) -> None:
    store = AdminTokenStore()
    token = store.create("ops")
    table = boto3.client("dynamodb").scan(TableName=os.environ["ADMIN_TOKENS_TABLE"])["Items"]
    assert token not in json.dumps(table)
    assert store.revoke(token)
    assert post(client, {"employee_id": "a", "content_id": "b"}, token).status_code == 401


@pytest.mark.parametrize(
    ("body", "raw", "status", "fields"),
    [
        ({}, None, 400, {"employee_id", "content_id"}),
        ({"employee_id": "a", "content_id": 5}, None, 400, {"content_id"}),
        ({"employee_id": "a", "content_id": "b", "extra": 1}, None, 400, {"extra"}),
        (None, b"{not json", 400, {"body"}),
        (None, b"[1, 2]", 400, {"body"}),
        (None, b'{"employee_id": "' + b"a" * 1_000_001 + b'"}', 413, {"body"}),
    ],
)
def test_bad_bodies_get_a_4xx_naming_the_field(
    client: Any, aws: None, body: object, raw: bytes | None, status: int, fields: set[str]
) -> None:
    token = AdminTokenStore().create("test")
    response = post(client, body, token, raw)
    assert response.status_code == status
    assert set(response.json_body["fields"]) == fields
