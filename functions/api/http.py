"""Mapping between Chalice requests/responses and the domain: authentication, bodies, errors, caching.

Only handlers import this (it imports Chalice, never the domain's rules); pydantic is loaded lazily.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalice import CORSConfig, Response
from chalice.app import Request

from functions.pages import HTML, MAX_PATH_PARAMETER, NO_STORE

# The static site may live on its own domain: its scripts call the API with a token in Authorization (never a
# cookie), so any origin may ask; nothing is answered without the token but what is public anyway.
SITE_CORS = CORSConfig(allow_origin="*", allow_headers=["Authorization"], max_age=600)


def error(status: int, message: str, fields: dict[str, str]) -> Response:
    return Response(
        body={"error": message, "fields": fields},
        status_code=status,
        headers={"Content-Type": "application/json", "Cache-Control": NO_STORE},
    )


def html(status: int, page: str) -> Response:
    return Response(body=page, status_code=status, headers={"Content-Type": HTML, "Cache-Control": NO_STORE})


def query_param(request: Request, name: str) -> str | None:
    """A query parameter's value (the last, if it is repeated), or None."""
    return None if request.query_params is None else request.query_params.get(name)


def json_response(status: int, body: Any) -> Response:
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json"})


def admin(request: Any) -> tuple[str, Response | None]:
    """Who acts (the admin token's label), or a 401 response (``auth.admin_only`` asks it first)."""
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
    revoked; else a 401 (the site's script then drops the token). ``auth.employee_only`` asks it first."""
    from functions.directory.tokens import current_employee
    from functions.signing import SignatureError

    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    try:
        if scheme.lower() != "employee":
            raise SignatureError("missing", "an employee token is required: Authorization: Employee <token>")
        person = current_employee(token)
    except SignatureError as exc:
        return None, error(401, str(exc), {"Authorization": str(exc)})
    return person, None


def body(request: Any, model: Any) -> tuple[Any, Response | None]:
    """The JSON body validated against ``model``, or a 400/413 naming the fields."""
    from functions.api.bodies import BodyError, parse_body

    try:
        return parse_body(model, request.raw_body), None
    except BodyError as exc:
        return None, error(exc.status, str(exc), exc.fields)


def cacheable(request: Any, payload_body: Any, max_age: int) -> Response:
    """A JSON body with an ETag; a matching If-None-Match gets 304 Not Modified with no body."""
    payload = json.dumps(payload_body, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    etag = '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'
    headers: dict[str, str | list[str]] = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if etag in (request.headers.get("if-none-match") or "").replace("W/", "").split(", "):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=payload, status_code=200, headers={**headers, "Content-Type": "application/json"})


def guard(request: Any, get_response: Any, routes: dict[str, dict[str, Any]]) -> Response:
    """Around every route: a path parameter too long to be an id never reaches a store, Chalice's own
    refusals (405 method, 415 Content-Type, 400 Accept) answer in the API's ``{"error", "fields"}`` shape, and
    every answer of 500 or more is counted (``ServerErrors``: Chalice turns a route's exception into a 500,
    which Lambda's own Errors metric never sees; the template's ApiServerErrorsAlarm watches it)."""
    too_long = {
        name: f"is too long to name anything (at most {MAX_PATH_PARAMETER} characters)"
        for name, value in (request.uri_params or {}).items()
        if len(value) > MAX_PATH_PARAMETER
    }
    if too_long:
        if request.path.startswith("/api/"):
            return error(404, "not found", too_long)
        from functions.pages import nothing_here_page

        return html(404, nothing_here_page())
    response = in_our_words(request, get_response(request), routes)
    if response.status_code >= 500:
        from functions import observability

        observability.count("ServerErrors")
    return response


def in_our_words(request: Any, response: Response, routes: dict[str, dict[str, Any]]) -> Response:
    """Chalice's own error bodies (``{"Code", "Message"}``) rewritten as ``{"error", "fields"}``."""
    body = response.body if isinstance(response.body, dict) else {}
    code, message = body.get("Code"), body.get("Message", "")
    if code == "MethodNotAllowedError":
        allowed = ", ".join(sorted(str(response.headers.get("Allow", "")).split(", ")))
        response.headers["Allow"] = allowed
        fields = {"method": f"{request.method} is not allowed here; use {allowed}"}
    elif code == "UnsupportedMediaType":
        route = routes.get(request.path, {}).get(request.method)
        expected = " or ".join(route.content_types) if route else "application/json"
        fields = {"Content-Type": f"must be {expected}"}
    elif code == "BadRequest" and "Accept" in message:
        fields = {"Accept": message}
    else:
        return response
    rewritten = error(response.status_code, message[:1].lower() + message[1:], fields)
    rewritten.headers.update({k: v for k, v in response.headers.items() if k.lower() != "content-type"})
    return rewritten
