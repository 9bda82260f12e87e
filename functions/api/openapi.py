"""/api/openapi.json, built from the route table and each view's declared operation; /api/docs shows it.

Nothing is listed twice: paths and methods come from the routes Chalice registered, and everything else
from the operation each view declares (functions/api/operations.py) — auth, summary, the query and path
models (the ones that validate the request), the body, and every status with its model (the ones every
answer is checked against). A route without a declaration cannot be documented, and says so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from chalice import Response
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from functions.api.operations import Operation, declared, model

REDOC = Path(__file__).resolve().parents[2] / "site" / "vendor" / "redoc" / "redoc.standalone.js"
_SECURITY: dict[str, list[dict[str, list[str]]]] = {"admin": [{"adminToken": []}], "employee": [{"employeeToken": []}]}
_documents: dict[int, dict[str, Any]] = {}
TAGS = {  # in the order a reader meets them
    "content": "The published library: the feed and its items",
    "leaderboards": "Who brings the most readers",
    "employees": "What an employee does with the token from their digest",
    "links": "Short links and signed share links",
    "digests": "The digest email's own links: unsubscribe, preferences and the poll's answers",
    "admin": "Curating the library, the directory and the feeds (admin token)",
    "results": "The programme's KPIs, charts and exports (admin token); its public totals",
    "site": "Pages for people",
    "meta": "Health and this document",
}


class UndeclaredRouteError(LookupError):
    """A registered route whose view declares no operation (or a path model that misses its parameters)."""


def document(routes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a route table (``app.routes``), built once per table."""
    if id(routes) not in _documents:
        _documents[id(routes)] = _build(routes)
    return _documents[id(routes)]


def operations(routes: dict[str, dict[str, Any]]) -> dict[tuple[str, str], Operation]:
    """Each (method, path) of the route table with the operation its view declares (the deployed ones)."""
    found: dict[tuple[str, str], Operation] = {}
    for path, methods in routes.items():
        for method, entry in methods.items():
            operation = declared(entry.view_function)
            if operation is None:
                raise UndeclaredRouteError(f"{method} {path}: its view declares no operation")
            if operation.deployed:
                found[(method, path)] = operation
    return found


def _build(routes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    declared_ops = operations(routes)
    requests = {op.body for op in declared_ops.values() if op.body}
    answers = {name for op in declared_ops.values() for name in op.statuses().values() if name}
    _, definitions = models_json_schema(
        [(model(name), "validation" if name in requests else "serialization") for name in sorted(requests | answers)],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), op in sorted(declared_ops.items(), key=lambda item: (item[0][1], item[0][0])):
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chorus API",
            "version": "0.1.0",
            "description": "Employee advocacy: tracked share links, honest click counts, the content library.",
        },
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "adminToken": {"type": "http", "scheme": "bearer"},
                "employeeToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "Employee <token> from the employee's digest link",
                },
            },
        },
    }


def _operation(method: str, path: str, op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "summary": op.summary_of(method),
        "tags": [op.tag],
        "operationId": _operation_id(method, path),
        "responses": {str(status): _response(method, op, status, name) for status, name in op.statuses().items()},
    }
    if method in ("POST", "PUT"):  # Chalice refuses another Content-Type before any view (http.in_our_words)
        out["responses"]["415"] = {
            "description": "The body's Content-Type is not one this operation takes",
            "content": {"application/json": {"schema": _ref("ErrorOut")}},
        }
    parameters = _parameters(path, op)
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        body: type[BaseModel] = model(op.body)
        out["requestBody"] = {
            # A body whose every field has a default may be left out (it means the defaults).
            "required": any(field.is_required() for field in body.model_fields.values()),
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    elif op.accepts is not None:
        out["requestBody"] = {"required": True, "content": {op.accepts: {"schema": {"type": "string"}}}}
    if op.auth in _SECURITY:
        out["security"] = _SECURITY[op.auth]
    return out


def _parameters(path: str, op: Operation) -> list[dict[str, Any]]:
    names = re.findall(r"\{(\w+)\}", path)
    if names and op.path is None:
        raise UndeclaredRouteError(f"{path}: its operation declares no path model for {', '.join(names)}")
    found: list[dict[str, Any]] = []
    for where, name in (("path", op.path), ("query", op.query)):
        if name is None:
            continue
        schema = model(name).model_json_schema()
        if where == "path" and set(schema["properties"]) != set(names):
            raise UndeclaredRouteError(f"{path}: {name} names {sorted(schema['properties'])}, the route {names}")
        required = set(schema.get("required", ()))
        for parameter, spec in schema["properties"].items():
            spec = _one_value({k: v for k, v in spec.items() if k != "title"})
            found.append(
                {
                    "name": parameter,
                    "in": where,
                    "required": parameter in required or where == "path",
                    "description": spec.pop("description", ""),
                    "schema": spec,
                }
            )
    return found


def _one_value(spec: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema as a URL holds it: a parameter left out is the model's None, never a null."""
    choices = [choice for choice in spec.get("anyOf", ()) if choice != {"type": "null"}]
    if len(choices) == 1 and len(spec["anyOf"]) == 2:
        spec = {**{k: v for k, v in spec.items() if k != "anyOf"}, **choices[0]}
    if spec.get("default", 0) is None:
        del spec["default"]
    return spec


def _response(method: str, op: Operation, status: int, name: str | None) -> dict[str, Any]:
    if status == op.status:
        description = op.summary_of(method)
    elif status == 304:
        description = "Not modified since the ETag given in If-None-Match"
    else:
        description = "See error and fields" if name == "ErrorOut" else "See the body"
    out: dict[str, Any] = {"description": description}
    if name is not None:
        out["content"] = {"application/json": {"schema": _ref(name)}}
    elif status == op.status and status in (200, 302):
        out["content"] = {op.produces: {}}
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _operation_id(method: str, path: str) -> str:
    words = path.strip("/").replace("{", "").replace("}", "").replace(".", "_").replace("-", "_").split("/")
    return "_".join([method.lower(), *[w for w in words if w]]) if path != "/" else "get_home"


# --- /api/docs --------------------------------------------------------------------------------------

_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chorus API</title>
<link rel="icon" href="data:,">
<style>body { margin: 0; }</style>
</head>
<body>
<redoc spec-url="openapi.json"></redoc>
<script src="docs/redoc.standalone.js"></script>
</body>
</html>
"""
# Redoc styles itself with inline <style> elements and runs its search in a worker made from a blob.
_DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; worker-src blob:; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def docs_page() -> Response:
    """The document for people (Redoc reads /api/openapi.json): the same page on every stage."""
    return Response(
        body=_DOCS_PAGE,
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "public, max-age=300",
            "Content-Security-Policy": _DOCS_POLICY,
            "Referrer-Policy": "no-referrer",
        },
    )


def docs_script() -> Response:
    """Redoc's bundle, from the repository (site/vendor/redoc: version, licence, checksum)."""
    return Response(
        body=REDOC.read_text(encoding="utf-8"),
        status_code=200,
        headers={"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=86400"},
    )
