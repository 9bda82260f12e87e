"""Routes of what flows into the library: feed sources and employees' suggestions with moderation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from functions.api import http
from functions.api.operations import Operations

if TYPE_CHECKING:
    from functions.api.schemas import ApproveIn, FeedSourceIn, RejectIn, SuggestionIn, SuggestionsQuery
    from functions.content.feed_store import FeedSource
    from functions.directory.model import Employee

bp = Blueprint(__name__)
api = Operations(bp)


@bp.route("/api/admin/feed-sources", methods=["GET"])
@api.admin_only("Registered RSS/Atom feeds and how their last pull went", tag="admin", response="FeedSourcesOut")
def feed_sources(actor: str) -> dict[str, Any]:
    from functions.content.feed_store import FeedSourceStore

    return {"sources": [_source_view(s) for s in FeedSourceStore().all()]}


@bp.route("/api/admin/feed-sources", methods=["POST"])
@api.admin_only(
    "Register an RSS/Atom feed (pulled hourly into drafts)",
    tag="admin",
    body="FeedSourceIn",
    response="FeedSourceOut",
    status=201,
    errors=(409,),
)
def add_feed_source(body: FeedSourceIn, actor: str) -> dict[str, Any] | Response:
    from functions.content import feed_sources as feeds
    from functions.content.feed_store import FeedSourceExistsError

    try:
        source = feeds.add_feed_source(
            body.url, language=body.language, topics=tuple(body.topics), kind=body.kind, added_by=actor
        )
    except feeds.FeedSourceValidationError as exc:
        return http.error(400, "invalid feed source", exc.fields)
    except FeedSourceExistsError:
        return http.error(409, "this feed is already registered", {"url": "is already registered"})
    return _source_view(source)


@bp.route("/api/admin/feed-sources/{source_id}", methods=["DELETE"])
@api.admin_only("Stop pulling a feed", tag="admin", path="FeedSourcePath", status=204, errors=(404,))
def remove_feed_source(source_id: str, actor: str) -> Response:
    from functions.content.feed_store import FeedSourceNotFoundError, FeedSourceStore

    try:
        FeedSourceStore().remove(source_id)
    except FeedSourceNotFoundError:
        return http.error(404, "no such feed source", {"source_id": "is not registered"})
    return Response(body="", status_code=204)


@bp.route("/api/admin/feed-sources/pull", methods=["POST"])
@api.admin_only(
    "Queue a pull of every feed now (results appear on each source)", tag="admin", response="PullQueuedOut", status=202
)
def pull_now(actor: str) -> dict[str, Any]:
    """Queue a pull of every feed now (the schedule does it hourly); each source shows its result when done."""
    from functions.content.feed_pulls import enqueue_pulls

    return {"queued": enqueue_pulls()}


@bp.route("/api/suggestions", methods=["POST"])
@api.employee_only(
    "An employee suggests a page for the library (Authorization: Employee <token>)",
    tag="employees",
    body="SuggestionIn",
    response="SuggestionOut",
    status=201,
    errors=(409,),
)
def suggest(body: SuggestionIn, employee: Employee) -> dict[str, Any] | Response:
    """An employee suggests a URL (Authorization: Employee <token>, from their digest link)."""
    from functions.content import suggestions

    try:
        suggestion = suggestions.suggest(employee.id, body.url, body.comment)
    except suggestions.SuggestionValidationError as exc:
        return http.error(400, "invalid suggestion", exc.fields)
    except suggestions.DuplicateSuggestionError:
        return http.error(409, "you already suggested this page", {"url": "is already suggested"})
    return asdict(suggestion)


@bp.route("/api/admin/suggestions", methods=["GET"])
@api.admin_only(
    "The moderation queue, oldest first", tag="admin", query="SuggestionsQuery", response="SuggestionPageOut"
)
def moderation_queue(query: SuggestionsQuery, actor: str) -> dict[str, Any] | Response:
    from functions.content import suggestions

    try:
        items, cursor = suggestions.moderation_queue(query.limit, query.cursor)
    except suggestions.InvalidCursorError as exc:
        return http.error(400, "invalid query parameter", {"cursor": str(exc)})
    return {"items": [asdict(s) for s in items], "next_cursor": cursor}


@bp.route("/api/admin/suggestions/{suggestion_id}/approve", methods=["POST"])
@api.admin_only(
    "Approve: the page becomes a draft or a published item",
    tag="admin",
    path="SuggestionPath",
    body="ApproveIn",
    response="ContentOut",
    errors=(404, 409, 503),  # 503: DynamoDB did not take it, nothing changed: try again
)
def approve(suggestion_id: str, body: ApproveIn, actor: str) -> dict[str, Any] | Response:
    from functions.api.views import content_view

    options = body.model_dump()
    options["topics"] = tuple(options["topics"])
    return _decide("approve", suggestion_id, actor, options, view=content_view)


@bp.route("/api/admin/suggestions/{suggestion_id}/reject", methods=["POST"])
@api.admin_only(
    "Reject with a note",
    tag="admin",
    path="SuggestionPath",
    body="RejectIn",
    response="SuggestionOut",
    errors=(404, 409),
)
def reject(suggestion_id: str, body: RejectIn, actor: str) -> dict[str, Any] | Response:
    return _decide("reject", suggestion_id, actor, {"note": body.note}, view=asdict)


def _decide(
    action: str, suggestion_id: str, actor: str, options: dict[str, Any], view: Callable[[Any], dict[str, Any]]
) -> dict[str, Any] | Response:
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
    except suggestions.ApprovalNotRecordedError as exc:
        # The admin page shows the field's message: it must say what to do.
        busy = http.error(503, str(exc), {"suggestion_id": "was not approved just now (nothing changed): try again"})
        busy.headers["Retry-After"] = "5"
        return busy
    return view(result)


def _source_view(source: FeedSource) -> dict[str, Any]:
    view = asdict(source)
    view["topics"] = list(view["topics"])
    return view
