"""Routes of the content library: admin CRUD and import, the public feed and items."""

from __future__ import annotations

from chalice import Blueprint, Response

from functions.api import http
from functions.api.auth import RouteAuth

bp = Blueprint(__name__)
auth = RouteAuth(bp)


@bp.route("/api/admin/content", methods=["POST"])
@auth.admin_only
def create_content(actor: str) -> Response:
    from functions.api.schemas import ContentCreate
    from functions.api.views import content_view
    from functions.content.model import ContentValidationError
    from functions.content.service import DuplicateContentError, create_content

    body, problem = http.body(bp.current_request, ContentCreate)
    if problem:
        return problem
    fields = body.model_dump(exclude={"id"})
    try:
        item = create_content({**fields, "content_id": body.id}, actor)
    except ContentValidationError as exc:
        return http.error(400, "invalid content", exc.fields)
    except DuplicateContentError:
        return http.error(409, "an item with this id exists", {"id": "is already used"})
    return http.json_response(201, content_view(item))


@bp.route("/api/admin/content", methods=["GET"])
@auth.admin_only
def list_content(actor: str) -> Response:
    from functions.api.views import content_view
    from functions.content.feed import FeedQueryError, library

    params, problem = http.query(bp.current_request, {"status", "limit", "cursor"})
    if problem:
        return problem
    try:
        page = library(params.get("status", "published"), http.whole_number(params, "limit", 20), params.get("cursor"))
    except (FeedQueryError, ValueError) as exc:
        return http.error(400, "invalid query parameter", {getattr(exc, "field", "limit"): str(exc)})
    return http.json_response(200, {"items": [content_view(i) for i in page.items], "next_cursor": page.next_cursor})


@bp.route("/api/admin/content/{content_id}", methods=["GET", "PUT", "DELETE"])
@auth.admin_only
def admin_content(content_id: str, actor: str) -> Response:
    from functions.api.schemas import ContentUpdate
    from functions.api.views import content_view
    from functions.content.model import ContentValidationError
    from functions.content.service import archive_content, update_content
    from functions.content.store import ContentConflictError, ContentNotFoundError, ContentStore

    method = bp.current_request.method
    try:
        if method == "GET":
            item = ContentStore().get(content_id)
            if item is None:
                raise ContentNotFoundError(content_id)
        elif method == "PUT":
            body, problem = http.body(bp.current_request, ContentUpdate)
            if problem:
                return problem
            item = update_content(content_id, body.model_dump(exclude_unset=True), actor)
        else:
            item = archive_content(content_id, actor)
    except ContentNotFoundError:
        return http.error(404, "no such content item", {"content_id": "is not a known item"})
    except ContentValidationError as exc:
        return http.error(400, "invalid content", exc.fields)
    except ContentConflictError:
        return http.error(409, "the item changed meanwhile; reload and try again", {"content_id": "was changed"})
    return http.json_response(200, content_view(item))


@bp.route("/api/admin/content/import-url", methods=["POST"])
@auth.admin_only
def import_content_url(actor: str) -> Response:
    from functions.api.schemas import ImportUrlIn

    body, problem = http.body(bp.current_request, ImportUrlIn)
    if problem:
        return problem
    from functions.content import importer  # only once the caller is known to be an admin

    try:
        page = importer.import_url(body.url)
    except importer.PageImportError as exc:
        return http.error(422, "the page could not be imported", {"url": str(exc)})
    return http.json_response(200, page.as_dict())


@bp.route("/api/feed", methods=["GET"])
@auth.public
def get_feed() -> Response:
    from functions.api.views import public_content_view
    from functions.content.feed import FeedQueryError, feed

    params, problem = http.query(bp.current_request, {"lang", "topic", "limit", "cursor"})
    if problem:
        return problem
    try:
        page = feed(
            params.get("lang"), params.get("topic"), http.whole_number(params, "limit", 20), params.get("cursor")
        )
    except (FeedQueryError, ValueError) as exc:
        return http.error(400, "invalid query parameter", {getattr(exc, "field", "limit"): str(exc)})
    body = {"items": [public_content_view(i) for i in page.items], "next_cursor": page.next_cursor}
    return http.cacheable(bp.current_request, body, max_age=60)


@bp.route("/api/content/{content_id}", methods=["GET"])
@auth.public
def get_content(content_id: str) -> Response:
    from functions.api.views import public_content_view
    from functions.content.service import public_content
    from functions.content.store import ContentNotFoundError

    try:
        item = public_content(content_id)
    except ContentNotFoundError:
        return http.error(404, "no such published item", {"content_id": "is not a published item"})
    return http.cacheable(bp.current_request, public_content_view(item), max_age=60)


@bp.route("/api/admin/images", methods=["POST"])
@auth.admin_only
def start_image_upload(actor: str) -> Response:
    """Start uploading a content card's image: a presigned POST the browser sends the file to, never the API."""
    from dataclasses import asdict

    from functions.api.schemas import ImageUploadIn
    from functions.content.images import ImageRejectedError, start_upload

    body, problem = http.body(bp.current_request, ImageUploadIn)
    if problem:
        return problem
    try:
        form = start_upload(body.content_type, body.size)
    except ImageRejectedError as exc:
        return http.error(exc.status, "the image cannot be used", {exc.field: str(exc)})
    return http.json_response(201, asdict(form))


@bp.route("/api/admin/images/{upload_id}/complete", methods=["POST"])
@auth.admin_only
def complete_image_upload(upload_id: str, actor: str) -> Response:
    """Check the uploaded file (size, and its bytes are the declared format) and publish it under /media/."""
    from functions.content.images import ImageRejectedError, UploadNotFoundError, complete_upload

    try:
        image = complete_upload(upload_id)
    except ImageRejectedError as exc:
        return http.error(exc.status, "the image cannot be used", {exc.field: str(exc)})
    except UploadNotFoundError:
        return http.error(404, "nothing was uploaded", {"upload_id": "has no uploaded file: send the image first"})
    body = {"image_url": image.url, "content_type": image.content_type, "size": image.size}
    return http.json_response(201, body)


@bp.route("/media/{name}", methods=["GET"])
@auth.public
def media(name: str) -> Response:
    """Images the API served before the site did: their address lives on in stored items and sent emails."""
    from functions.content.images import legacy_location

    location = legacy_location(name)
    if location is None:
        return http.error(404, "no such image", {"name": "is not an uploaded image"})
    return Response(body="", status_code=301, headers={"Location": location, "Cache-Control": "public, max-age=86400"})
