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


@app.route("/admin", methods=["GET"])
def admin_page() -> Response:
    """The admin form; it holds no data itself and talks to the admin API with the admin's token."""
    from functions.pages import render

    response = _html(200, render("admin.html"))
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src https: data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return response


@app.route("/api/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.route("/api/leaderboard", methods=["GET"])
def get_leaderboard() -> Response:
    from functions.stats.leaderboard import LeaderboardQueryError, leaderboard

    params, problem = _query({"period", "team", "limit"})
    if problem:
        return problem
    period = params.get("period", "week")
    try:
        standings = leaderboard(period, params.get("team"), _int(params, "limit", 10))
    except LeaderboardQueryError as exc:
        return _error(400, "invalid query parameter", {exc.field: str(exc)})
    except ValueError as exc:
        return _error(400, "invalid query parameter", {"limit": str(exc)})
    body = {"period": period, "team": params.get("team"), "entries": [s.public() for s in standings]}
    return Response(body=body, status_code=200, headers={"Cache-Control": "public, max-age=5"})


# --- admin API ---------------------------------------------------------------------------------

@app.route("/api/admin/share-links", methods=["POST"])
def create_share_links() -> Response:
    """Signed share URLs, one per network, for an employee and a content item."""
    from functions.api.schemas import ShareLinksIn
    from functions.config import NETWORKS
    from functions.shares.service import share_url

    _, body, problem = _admin_body(ShareLinksIn)
    if problem:
        return problem
    links = {network: share_url(body.employee_id, body.content_id, network) for network in NETWORKS}
    return _json(201, {"share_links": links})


@app.route("/api/admin/content", methods=["POST"])
def create_content() -> Response:
    from functions.api.schemas import ContentCreate
    from functions.api.views import content_view
    from functions.content.model import ContentValidationError
    from functions.content.service import DuplicateContentError, create_content

    actor, body, problem = _admin_body(ContentCreate)
    if problem:
        return problem
    fields = body.model_dump(exclude={"id"})
    try:
        item = create_content({**fields, "content_id": body.id}, actor)
    except ContentValidationError as exc:
        return _error(400, "invalid content", exc.fields)
    except DuplicateContentError:
        return _error(409, "an item with this id exists", {"id": "is already used"})
    return _json(201, content_view(item))


@app.route("/api/admin/content", methods=["GET"])
def list_content() -> Response:
    from functions.api.views import content_view
    from functions.content.feed import FeedQueryError, library

    _, denied = _admin()
    if denied:
        return denied
    params, problem = _query({"status", "limit", "cursor"})
    if problem:
        return problem
    try:
        page = library(params.get("status", "published"), _int(params, "limit", 20), params.get("cursor"))
    except (FeedQueryError, ValueError) as exc:
        return _error(400, "invalid query parameter", {getattr(exc, "field", "limit"): str(exc)})
    return _json(200, {"items": [content_view(i) for i in page.items], "next_cursor": page.next_cursor})


@app.route("/api/admin/content/{content_id}", methods=["GET", "PUT", "DELETE"])
def admin_content(content_id: str) -> Response:
    from functions.api.schemas import ContentUpdate
    from functions.api.views import content_view
    from functions.content.model import ContentValidationError
    from functions.content.service import archive_content, update_content
    from functions.content.store import ContentConflictError, ContentNotFoundError, ContentStore

    method = app.current_request.method
    if method == "PUT":
        actor, body, problem = _admin_body(ContentUpdate)
    else:
        (actor, problem), body = _admin(), None
    if problem:
        return problem
    try:
        if method == "GET":
            item = ContentStore().get(content_id)
            if item is None:
                raise ContentNotFoundError(content_id)
        elif method == "PUT":
            item = update_content(content_id, body.model_dump(exclude_unset=True), actor)
        else:
            item = archive_content(content_id, actor)
    except ContentNotFoundError:
        return _error(404, "no such content item", {"content_id": "is not a known item"})
    except ContentValidationError as exc:
        return _error(400, "invalid content", exc.fields)
    except ContentConflictError:
        return _error(409, "the item changed meanwhile; reload and try again", {"content_id": "was changed"})
    return _json(200, content_view(item))


@app.route("/api/admin/content/import-url", methods=["POST"])
def import_content_url() -> Response:
    from functions.api.schemas import ImportUrlIn

    _, body, problem = _admin_body(ImportUrlIn)
    if problem:
        return problem
    from functions.content import importer  # only once the caller is known to be an admin

    try:
        page = importer.import_url(body.url)
    except importer.PageImportError as exc:
        return _error(422, "the page could not be imported", {"url": str(exc)})
    return _json(200, page.as_dict())


# --- public content -------------------------------------------------------------------------------

@app.route("/api/feed", methods=["GET"])
def get_feed() -> Response:
    from functions.api.views import public_content_view
    from functions.content.feed import FeedQueryError, feed

    params, problem = _query({"lang", "topic", "limit", "cursor"})
    if problem:
        return problem
    try:
        page = feed(params.get("lang"), params.get("topic"), _int(params, "limit", 20), params.get("cursor"))
    except (FeedQueryError, ValueError) as exc:
        return _error(400, "invalid query parameter", {getattr(exc, "field", "limit"): str(exc)})
    body = {"items": [public_content_view(i) for i in page.items], "next_cursor": page.next_cursor}
    return _cacheable(body, max_age=60)


@app.route("/api/content/{content_id}", methods=["GET"])
def get_content(content_id: str) -> Response:
    from functions.api.views import public_content_view
    from functions.content.service import public_content
    from functions.content.store import ContentNotFoundError

    try:
        item = public_content(content_id)
    except ContentNotFoundError:
        return _error(404, "no such published item", {"content_id": "is not a published item"})
    return _cacheable(public_content_view(item), max_age=60)


@app.route("/api/openapi.json", methods=["GET"])
def openapi() -> Response:
    from functions.api.openapi import document

    return _json(200, document())


# --- events ---------------------------------------------------------------------------------------


@app.on_dynamodb_record(stream_arn=EVENTS_STREAM_ARN, batch_size=100, name="count_events")
def count_events(event: Any) -> dict[str, list[dict[str, str]]]:
    from functions.stats.counters import apply_stream_batch

    return apply_stream_batch(event.to_dict()["Records"])


# --- helpers: HTTP mapping only -------------------------------------------------------------------


def _admin() -> tuple[str, Response | None]:
    """The admin token's label (who acts), or a 401 response."""
    from functions.admin.tokens import AdminAuthError, AdminTokenStore

    try:
        token = AdminTokenStore().verify(app.current_request.headers.get("authorization"))
    except AdminAuthError as exc:
        response = _error(401, str(exc), {"Authorization": str(exc)})
        response.headers["WWW-Authenticate"] = 'Bearer realm="chorus-admin"'
        return "", response
    return f"admin:{token.label}", None


def _admin_body(model: Any) -> tuple[str, Any, Response | None]:
    """Authenticate first, then validate the JSON body against ``model``."""
    from functions.api.bodies import BodyError, parse_body

    actor, denied = _admin()
    if denied:
        return actor, None, denied
    try:
        return actor, parse_body(model, app.current_request.raw_body), None
    except BodyError as exc:
        return actor, None, _error(exc.status, str(exc), exc.fields)


def _query(allowed: set[str]) -> tuple[dict[str, str], Response | None]:
    params = dict(app.current_request.query_params or {})
    unknown = sorted(set(params) - allowed)
    if unknown:
        return params, _error(400, "unknown query parameter", dict.fromkeys(unknown, "is not a known parameter"))
    return params, None


def _int(params: dict[str, str], name: str, default: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not text.isdigit() or len(text) > 6:
        raise ValueError(f"{name} must be a whole number")
    return int(text)


def _json(status: int, body: Any) -> Response:
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json"})


def _cacheable(body: Any, max_age: int) -> Response:
    """A JSON body with an ETag; a matching If-None-Match gets 304 Not Modified with no body."""
    import hashlib

    payload = json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    etag = '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Accept-Encoding"}
    if etag in (app.current_request.headers.get("if-none-match") or "").replace("W/", "").split(", "):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=payload, status_code=200, headers={**headers, "Content-Type": "application/json"})


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
