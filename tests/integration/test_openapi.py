"""GET /api/openapi.json is built from the routes' declarations, and every answer keeps to its declaration."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice import Blueprint, Chalice, Response

import app
from functions.api.openapi import UndeclaredRouteError, document, operations
from functions.api.operations import Operations


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
    assert {"201", "400", "401", "409", "413", "415"} == set(create["responses"])


def test_query_parameters_are_the_validating_models(client: Any) -> None:
    """The document's parameters come from the model that refuses the request: change one, the other follows."""
    paths = client.http.get("/api/openapi.json").json_body["paths"]
    limit = next(p for p in paths["/api/leaderboard"]["get"]["parameters"] if p["name"] == "limit")
    assert (limit["in"], limit["schema"]["minimum"], limit["schema"]["maximum"]) == ("query", 1, 100)
    assert client.http.get("/api/leaderboard?limit=100").status_code == 200
    refused = client.http.get("/api/leaderboard?limit=101")
    assert refused.status_code == 400 and "limit" in refused.json_body["fields"]
    team = next(p for p in paths["/api/leaderboard"]["get"]["parameters"] if p["name"] == "team")
    assert team["schema"] == {"type": "string", "minLength": 1, "maxLength": 100}  # no null in a URL
    unknown = client.http.get("/api/leaderboard?period=week&zzz=1")
    assert unknown.status_code == 400
    assert unknown.json_body == {"error": "unknown query parameter", "fields": {"zzz": "is not a known parameter"}}
    content = paths["/api/admin/content/{content_id}"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in content] == [("content_id", "path", True)]


def test_operation_ids_are_unique() -> None:
    ids = [op["operationId"] for ops in document(app.app.routes)["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)) == len(operations(app.app.routes))


def test_a_route_without_a_declaration_cannot_be_documented() -> None:
    bare = Chalice("bare")

    @bare.route("/api/things", methods=["GET"])
    def things() -> dict[str, Any]:
        return {}

    with pytest.raises(UndeclaredRouteError, match="GET /api/things"):
        document(bare.routes)


def test_a_path_parameter_the_declaration_does_not_model_cannot_be_documented() -> None:
    bare = Chalice("bare")
    api = Operations(bare)

    @bare.route("/api/things/{thing_id}", methods=["GET"])
    @api.public("A thing", tag="meta", response="HealthOut")
    def thing(thing_id: str) -> dict[str, Any]:
        return {"status": "ok"}

    with pytest.raises(UndeclaredRouteError, match="no path model for thing_id"):
        document(bare.routes)


# --- every answer keeps to its declaration ------------------------------------------------------------


def contract_app(answer: Any, **declaration: Any) -> Chalice:
    """An app with one route declared like Chorus's, answering whatever ``answer`` returns."""
    contract = Chalice("contract")
    bp = Blueprint(__name__)
    api = Operations(bp)

    @bp.route("/api/probe", methods=["GET"])
    @api.public("A probe", tag="meta", **declaration)
    def probe(**arguments: Any) -> Any:
        return answer(arguments)

    contract.register_blueprint(bp)
    contract.debug = True  # a broken contract's 500 carries the error, as the log would
    return contract


def broken(client: Any, match: str) -> None:
    response = client.http.get("/api/probe")
    assert response.status_code == 500
    assert "ContractError" in response.body.decode() and match in response.body.decode()


def test_a_field_the_handler_adds_and_the_model_does_not_name_fails_the_contract() -> None:
    from chalice.test import Client

    kept = contract_app(lambda _: {"status": "ok"}, response="HealthOut")
    with Client(kept) as client:
        assert client.http.get("/api/probe").json_body == {"status": "ok"}
    drifted = contract_app(lambda _: {"status": "ok", "version": "1.2"}, response="HealthOut")
    with Client(drifted) as client:
        broken(client, "outside HealthOut")
    wrong_type = contract_app(lambda _: {"status": "fine"}, response="HealthOut")
    with Client(wrong_type) as client:
        broken(client, "outside HealthOut")


def test_a_status_the_operation_does_not_declare_fails_the_contract() -> None:
    from chalice.test import Client

    from functions.api import http

    missing = contract_app(lambda _: http.error(404, "no such thing", {"id": "is unknown"}), response="HealthOut")
    with Client(missing) as client:
        broken(client, "answered 404, which it does not declare")
    declared = contract_app(
        lambda _: http.error(404, "no such thing", {"id": "is unknown"}), response="HealthOut", errors=(404,)
    )
    with Client(declared) as client:
        assert client.http.get("/api/probe").status_code == 404
    unshaped = contract_app(
        lambda _: Response(body={"message": "gone"}, status_code=404), response="HealthOut", errors=(404,)
    )
    with Client(unshaped) as client:
        broken(client, "outside ErrorOut")


def test_the_query_model_reaches_the_view_validated() -> None:
    from chalice.test import Client

    seen: list[Any] = []

    def answer(arguments: dict[str, Any]) -> dict[str, Any]:
        seen.append(arguments["query"])
        return {"status": "ok"}

    with Client(contract_app(answer, query="LeaderboardQuery", response="HealthOut")) as client:
        assert client.http.get("/api/probe?limit=7&period=month").status_code == 200
        assert client.http.get("/api/probe?limit=seven").status_code == 400
    assert [(q.period, q.limit, q.team) for q in seen] == [("month", 7, None)]


def test_every_api_answer_the_document_names_is_its_model(client: Any, world: Any) -> None:
    """The real routes, answered for real: each JSON answer parses as the model its status names."""
    from pydantic import TypeAdapter

    from functions.api.operations import model

    paths = client.http.get("/api/openapi.json").json_body["paths"]
    for url, path in (
        ("/api/health", "/api/health"),
        ("/api/leaderboard", "/api/leaderboard"),
        ("/api/feed?limit=5", "/api/feed"),
        (f"/api/content/{world.content_id}", "/api/content/{content_id}"),
        ("/api/content/nothing-here", "/api/content/{content_id}"),
    ):
        response = client.http.get(url)
        schema = paths[path]["get"]["responses"][str(response.status_code)]["content"]["application/json"]["schema"]
        TypeAdapter(model(schema["$ref"].rsplit("/", 1)[1])).validate_python(json.loads(response.body))


def test_every_operation_s_tag_is_described() -> None:
    document_ = document(app.app.routes)
    described = [tag["name"] for tag in document_["tags"]]
    used = {op["tags"][0] for ops in document_["paths"].values() for op in ops.values()}
    assert used == set(described)
