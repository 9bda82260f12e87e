"""GET /api/openapi.json: every route documented, bodies described by the models that validate them."""

from __future__ import annotations

from typing import Any

import app
from functions.api.openapi import OPERATIONS


def app_routes() -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app.app.routes.items() for method in methods}


def test_every_route_is_in_the_document_and_nothing_else(client: Any) -> None:
    document = client.http.get("/api/openapi.json").json_body
    assert document["openapi"] == "3.1.0"
    documented = {(m.upper(), path) for path, ops in document["paths"].items() for m in ops}
    assert documented == app_routes()


def test_request_bodies_are_the_validating_models(client: Any) -> None:
    document = client.http.get("/api/openapi.json").json_body
    create = document["paths"]["/api/admin/content"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"url", "title"} <= set(schema["required"])
    assert schema["additionalProperties"] is False  # unknown fields are refused, as the API does
    assert create["security"] == [{"adminToken": []}]
    assert "400" in create["responses"] and "401" in create["responses"]


def test_operation_ids_are_unique() -> None:
    from functions.api.openapi import document

    ids = [op["operationId"] for ops in document()["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)) == len(OPERATIONS)
