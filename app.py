"""Chorus on Chalice: routes and event handlers only; every rule lives in ``functions``."""

from __future__ import annotations

import json
from typing import Any

from chalice import Chalice, Response

from functions import observability
from functions.links import redirect

app = Chalice(app_name="chorus")

# Replaced in the deployed template by the events table's real stream (infra/template.yaml).
EVENTS_STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/chorus-events/stream/set-by-infra"
MAX_BODY_BYTES = 1_000_000
NO_STORE = "private, no-store, max-age=0"


@app.middleware("all")
def observe(event: Any, get_response: Any) -> Any:
    context = getattr(event, "lambda_context", None) or getattr(event, "context", None)
    observability.bind_request(getattr(context, "aws_request_id", None))
    try:
        return get_response(event)
    except Exception:
        observability.count("Errors")
        observability.logger().exception("unhandled_error")
        raise
    finally:
        observability.flush()


# --- public: the short link ------------------------------------------------------------------------


@app.route("/{code}", methods=["GET", "HEAD"])
def follow_short_link(code: str) -> Response:
    request = app.current_request
    source_ip = (request.context.get("identity") or {}).get("sourceIp")
    try:
        outcome = redirect.follow(code, request.method, request.headers, source_ip)
    except redirect.LinkLookupError:
        from functions.pages import error_page

        page = error_page(503, "Please try again", "This link is fine, but we could not open it just now.")
        response = _html(503, page)
        response.headers["Retry-After"] = "2"
        return response
    if outcome.location is None:
        from functions.pages import not_found_page

        return _html(404, not_found_page())
    return Response(
        body="",
        status_code=302,
        headers={"Location": outcome.location, "Cache-Control": NO_STORE, "X-Robots-Tag": "noindex"},
    )


# --- employees: the signed share link -------------------------------------------------------------


@app.route("/share/{employee_id}/{content_id}/{network}", methods=["GET"])
def share(employee_id: str, content_id: str, network: str) -> Response:
    from functions.pages import error_page
    from functions.shares import service
    from functions.signing import SignatureError

    params = app.current_request.query_params or {}
    try:
        result = service.share(employee_id, content_id, network, params.get("exp"), params.get("sig"))
    except SignatureError as exc:
        return _html(403, error_page(403, "This share link cannot be used", str(exc)))
    except service.UnsupportedNetworkError:
        return _html(404, error_page(404, "Unknown network", "Chorus cannot share to this network."))
    except service.ShareTargetNotFoundError as exc:
        return _html(404, error_page(404, "Nothing to share", str(exc)))
    return Response(body="", status_code=302, headers={"Location": result.intent_url, "Cache-Control": NO_STORE})


# --- public API -----------------------------------------------------------------------------------


@app.route("/", methods=["GET"])
def home() -> Response:
    from functions.pages import render

    return _html(200, render("home.html"))


@app.route("/api/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.route("/api/leaderboard", methods=["GET"])
def get_leaderboard() -> Response:
    from functions.stats.leaderboard import LeaderboardQueryError, leaderboard

    params = app.current_request.query_params or {}
    unknown = set(params) - {"period", "team", "limit"}
    if unknown:
        return _error(400, "unknown query parameter", dict.fromkeys(sorted(unknown), "is not a known parameter"))
    limit_text = params.get("limit", "10")
    if not limit_text.isdigit():
        return _error(400, "invalid query parameter", {"limit": "must be a whole number"})
    period = params.get("period", "week")
    try:
        standings = leaderboard(period, params.get("team"), int(limit_text))
    except LeaderboardQueryError as exc:
        return _error(400, "invalid query parameter", {exc.field: str(exc)})
    body = {"period": period, "team": params.get("team"), "entries": [s.public() for s in standings]}
    return Response(body=body, status_code=200, headers={"Cache-Control": "public, max-age=5"})


# --- admin API ------------------------------------------------------------------------------------


@app.route("/api/admin/share-links", methods=["POST"])
def create_share_links() -> Response:
    """Signed share URLs, one per network, for an employee and a content item."""
    from functions.config import NETWORKS
    from functions.shares.service import share_url

    denied = _require_admin()
    if denied:
        return denied
    body, problem = _json_body()
    if problem:
        return problem
    fields = {
        name: "is required (a non-empty string)"
        for name in ("employee_id", "content_id")
        if not isinstance(body.get(name), str) or not body[name]
    }
    fields.update(dict.fromkeys(set(body) - {"employee_id", "content_id"}, "is not a known field"))
    if fields:
        return _error(400, "invalid request body", fields)
    links = {network: share_url(body["employee_id"], body["content_id"], network) for network in NETWORKS}
    return Response(body={"share_links": links}, status_code=201)


# --- events ---------------------------------------------------------------------------------------


@app.on_dynamodb_record(stream_arn=EVENTS_STREAM_ARN, batch_size=100, name="count_events")
def count_events(event: Any) -> dict[str, list[dict[str, str]]]:
    from functions.stats.counters import apply_stream_batch

    return apply_stream_batch(event.to_dict()["Records"])


# --- helpers: HTTP mapping only -------------------------------------------------------------------


def _require_admin() -> Response | None:
    from functions.admin.tokens import AdminAuthError, AdminTokenStore

    try:
        AdminTokenStore().verify(app.current_request.headers.get("authorization"))
    except AdminAuthError as exc:
        response = _error(401, str(exc), {"Authorization": str(exc)})
        response.headers["WWW-Authenticate"] = 'Bearer realm="chorus-admin"'
        return response
    return None


def _json_body() -> tuple[dict[str, Any], Response | None]:
    raw = app.current_request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        return {}, _error(413, "request body too large", {"body": f"must be at most {MAX_BODY_BYTES} bytes"})
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}, _error(400, "request body is not valid JSON", {"body": "must be a JSON object"})
    if not isinstance(body, dict):
        return {}, _error(400, "request body must be a JSON object", {"body": "must be a JSON object"})
    return body, None


def _error(status: int, message: str, fields: dict[str, str]) -> Response:
    return Response(
        body={"error": message, "fields": fields},
        status_code=status,
        headers={"Content-Type": "application/json", "Cache-Control": NO_STORE},
    )


def _html(status: int, page: str) -> Response:
    return Response(
        body=page,
        status_code=status,
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": NO_STORE},
    )
