"""Routes of what flows into the library: feed sources and employees' suggestions with moderation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from functions.api import http
from functions.api.auth import RouteAuth

if TYPE_CHECKING:
    from functions.content.feed_store import FeedSource
    from functions.directory.model import Employee

bp = Blueprint(__name__)
auth = RouteAuth(bp)


@bp.route("/api/admin/feed-sources", methods=["GET", "POST"])
@auth.admin_only
def feed_sources(actor: str) -> Response:
    from functions.api.schemas import FeedSourceIn
    from functions.content import feed_sources as feeds
    from functions.content.feed_store import FeedSourceExistsError, FeedSourceStore

    request = bp.current_request
    if request.method == "GET":
        return http.json_response(200, {"sources": [_source_view(s) for s in FeedSourceStore().all()]})
    body, problem = http.body(request, FeedSourceIn)
    if problem:
        return problem
    try:
        source = feeds.add_feed_source(
            body.url, language=body.language, topics=tuple(body.topics), kind=body.kind, added_by=actor
        )
    except feeds.FeedSourceValidationError as exc:
        return http.error(400, "invalid feed source", exc.fields)
    except FeedSourceExistsError:
        return http.error(409, "this feed is already registered", {"url": "is already registered"})
    return http.json_response(201, _source_view(source))


@bp.route("/api/admin/feed-sources/{source_id}", methods=["DELETE"])
@auth.admin_only
def remove_feed_source(source_id: str, actor: str) -> Response:
    from functions.content.feed_store import FeedSourceNotFoundError, FeedSourceStore

    try:
        FeedSourceStore().remove(source_id)
    except FeedSourceNotFoundError:
        return http.error(404, "no such feed source", {"source_id": "is not registered"})
    return Response(body="", status_code=204)


@bp.route("/api/admin/feed-sources/pull", methods=["POST"])
@auth.admin_only
def pull_now(actor: str) -> Response:
    """Queue a pull of every feed now (the schedule does it hourly); each source shows its result when done."""
    from functions.content.feed_pulls import enqueue_pulls

    return http.json_response(202, {"queued": enqueue_pulls()})


@bp.route("/api/suggestions", methods=["POST"])
@auth.employee_only
def suggest(employee: Employee) -> Response:
    """An employee suggests a URL (Authorization: Employee <token>, from their digest link)."""
    from functions.api.schemas import SuggestionIn
    from functions.content import suggestions

    body, problem = http.body(bp.current_request, SuggestionIn)
    if problem:
        return problem
    try:
        suggestion = suggestions.suggest(employee.id, body.url, body.comment)
    except suggestions.SuggestionValidationError as exc:
        return http.error(400, "invalid suggestion", exc.fields)
    except suggestions.DuplicateSuggestionError:
        return http.error(409, "you already suggested this page", {"url": "is already suggested"})
    return http.json_response(201, asdict(suggestion))


@bp.route("/api/admin/suggestions", methods=["GET"])
@auth.admin_only
def moderation_queue(actor: str) -> Response:
    from functions.content import suggestions

    request = bp.current_request
    params, problem = http.query(request, {"limit", "cursor"})
    if problem:
        return problem
    try:
        limit = http.whole_number(params, "limit", 20)
        items, cursor = suggestions.moderation_queue(limit, params.get("cursor"))
    except suggestions.InvalidCursorError as exc:
        return http.error(400, "invalid query parameter", {"cursor": str(exc)})
    except ValueError as exc:
        return http.error(400, "invalid query parameter", {"limit": str(exc)})
    return http.json_response(200, {"items": [asdict(s) for s in items], "next_cursor": cursor})


@bp.route("/api/admin/suggestions/{suggestion_id}/approve", methods=["POST"])
@auth.admin_only
def approve(suggestion_id: str, actor: str) -> Response:
    from functions.api.schemas import ApproveIn
    from functions.api.views import content_view

    body, problem = http.body(bp.current_request, ApproveIn)
    if problem:
        return problem
    options = body.model_dump()
    options["topics"] = tuple(options["topics"])
    return _decide("approve", suggestion_id, actor, options, view=content_view)


@bp.route("/api/admin/suggestions/{suggestion_id}/reject", methods=["POST"])
@auth.admin_only
def reject(suggestion_id: str, actor: str) -> Response:
    from functions.api.schemas import RejectIn

    body, problem = http.body(bp.current_request, RejectIn)
    if problem:
        return problem
    return _decide("reject", suggestion_id, actor, {"note": body.note}, view=asdict)


def _decide(
    action: str, suggestion_id: str, actor: str, options: dict[str, Any], view: Callable[[Any], dict[str, Any]]
) -> Response:
    from functions.content import suggestions
    from functions.content.model import ContentValidationError

    try:
        result = getattr(suggestions, action)(suggestion_id, moderator=actor, **options)
    except suggestions.SuggestionNotFoundError:
        return http.error(404, "no such suggestion", {"suggestion_id": "is not known"})
    except suggestions.SuggestionAlreadyDecidedError:
        return http.error(409, "this suggestion was already decided", {"suggestion_id": "is already decided"})
    except (suggestions.SuggestionValidationError, ContentValidationError) as exc:
        return http.error(400, "invalid decision", exc.fields)
    return http.json_response(200, view(result))


def _source_view(source: FeedSource) -> dict[str, Any]:
    view = asdict(source)
    view["topics"] = list(view["topics"])
    return view
