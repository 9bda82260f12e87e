"""Mapping between Chalice requests/responses and the domain: authentication, bodies, errors, caching.

Only handlers import this (it imports Chalice, never the domain's rules); pydantic is loaded lazily.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalice import Response

NO_STORE = "private, no-store, max-age=0"


def error(status: int, message: str, fields: dict[str, str]) -> Response:
    return Response(
        body={"error": message, "fields": fields},
        status_code=status,
        headers={"Content-Type": "application/json", "Cache-Control": NO_STORE},
    )


def html(status: int, page: str) -> Response:
    return Response(
        body=page, status_code=status, headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": NO_STORE}
    )


def json_response(status: int, body: Any) -> Response:
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json"})


def admin(request: Any) -> tuple[str, Response | None]:
    """Who acts (the admin token's label), or a 401 response."""
    from functions.admin.tokens import AdminAuthError, AdminTokenStore

    try:
        token = AdminTokenStore().verify(request.headers.get("authorization"))
    except AdminAuthError as exc:
        response = error(401, str(exc), {"Authorization": str(exc)})
        response.headers["WWW-Authenticate"] = 'Bearer realm="chorus-admin"'
        return "", response
    return f"admin:{token.label}", None


def employee(request: Any) -> tuple[Any, Response | None]:
    """The employee ``Authorization: Employee <token>`` names, if still in the programme and the token not
    revoked; else a 401 (the site's script then drops the token). Every employee route asks this first."""
    from functions.directory.tokens import current_employee
    from functions.signing import SignatureError

    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    try:
        if scheme.lower() != "employee":
            raise SignatureError("missing", "an employee token is required: Authorization: Employee <token>")
        return current_employee(token), None
    except SignatureError as exc:
        return None, error(401, str(exc), {"Authorization": str(exc)})


def body(request: Any, model: Any) -> tuple[Any, Response | None]:
    """The JSON body validated against ``model``, or a 400/413 naming the fields."""
    from functions.api.bodies import BodyError, parse_body

    try:
        return parse_body(model, request.raw_body), None
    except BodyError as exc:
        return None, error(exc.status, str(exc), exc.fields)


def admin_body(request: Any, model: Any) -> tuple[str, Any, Response | None]:
    """Authenticate first, then validate the body."""
    actor, denied = admin(request)
    if denied:
        return actor, None, denied
    parsed, problem = body(request, model)
    return actor, parsed, problem


def query(request: Any, allowed: set[str]) -> tuple[dict[str, str], Response | None]:
    params = dict(request.query_params or {})
    unknown = sorted(set(params) - allowed)
    if unknown:
        return params, error(400, "unknown query parameter", dict.fromkeys(unknown, "is not a known parameter"))
    return params, None


def whole_number(params: dict[str, str], name: str, default: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not text.isdigit() or len(text) > 6:
        raise ValueError(f"{name} must be a whole number")
    return int(text)


def cacheable(request: Any, payload_body: Any, max_age: int) -> Response:
    """A JSON body with an ETag; a matching If-None-Match gets 304 Not Modified with no body."""
    payload = json.dumps(payload_body, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    etag = '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Accept-Encoding"}
    if etag in (request.headers.get("if-none-match") or "").replace("W/", "").split(", "):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=payload, status_code=200, headers={**headers, "Content-Type": "application/json"})
