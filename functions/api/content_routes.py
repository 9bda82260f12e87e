"""Routes of the content library: admin CRUD and import, the public feed and items."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from functions.api import http
from functions.api.operations import Operations

if TYPE_CHECKING:
    from functions.api.schemas import (
        ContentCreate,
        ContentUpdate,
        FeedQuery,
        ImageUploadIn,
        ImportUrlIn,
        LibraryQuery,
    )

bp = Blueprint(__name__)
api = Operations(bp)
_NOT_FOUND = ("no such content item", {"content_id": "is not a known item"})


@bp.route("/api/admin/content", methods=["POST"])
@api.admin_only(
    "Create a content item", tag="admin", body="ContentCreate", response="ContentOut", status=201, errors=(409,)
)
def create_content(body: ContentCreate, actor: str) -> dict[str, Any] | Response:
    from functions.api.views import content_view
    from functions.content.model import ContentValidationError
    from functions.content.service import DuplicateContentError, create_content

    fields = body.model_dump(exclude={"id"})
    try:
        item = create_content({**fields, "content_id": body.id}, actor)
    except ContentValidationError as exc:
        return http.error(400, "invalid content", exc.fields)
    except DuplicateContentError:
        return http.error(409, "an item with this id exists", {"id": "is already used"})
    return content_view(item)


@bp.route("/api/admin/content", methods=["GET"])
@api.admin_only(
    "The library by status, most recently changed first", tag="admin", query="LibraryQuery", response="ContentPageOut"
)
def list_content(query: LibraryQuery, actor: str) -> dict[str, Any] | Response:
    from functions.api.views import content_view
    from functions.content.feed import FeedQueryError, library

    try:
        page = library(query.status, query.limit, query.cursor)
    except FeedQueryError as exc:
        return http.error(400, "invalid query parameter", {exc.field: str(exc)})
    return {"items": [content_view(i) for i in page.items], "next_cursor": page.next_cursor}


@bp.route("/api/admin/content/{content_id}", methods=["GET"])
@api.admin_only("One item, whatever its status", tag="admin", path="ContentPath", response="ContentOut", errors=(404,))
def admin_content(content_id: str, actor: str) -> dict[str, Any] | Response:
    from functions.api.views import content_view
    from functions.content.store import ContentStore

    item = ContentStore().get(content_id)
    if item is None:
        return http.error(404, *_NOT_FOUND)
    return content_view(item)


@bp.route("/api/admin/content/{content_id}", methods=["PUT"])
@api.admin_only(
    "Change the given fields of an item",
    tag="admin",
    path="ContentPath",
    body="ContentUpdate",
    response="ContentOut",
    errors=(404, 409),
)
def change_content(content_id: str, body: ContentUpdate, actor: str) -> dict[str, Any] | Response:
    from functions.content.service import update_content

    return _changed(lambda: update_content(content_id, body.model_dump(exclude_unset=True), actor))


@bp.route("/api/admin/content/{content_id}", methods=["DELETE"])
@api.admin_only(
    "Archive an item (kept with its history; shared links keep redirecting)",
    tag="admin",
    path="ContentPath",
    response="ContentOut",
    errors=(404,),
)
def archive_content(content_id: str, actor: str) -> dict[str, Any] | Response:
    from functions.content.service import archive_content

    return _changed(lambda: archive_content(content_id, actor))


def _changed(change: Any) -> dict[str, Any] | Response:
    from functions.api.views import content_view
    from functions.content.model import ContentValidationError
    from functions.content.store import ContentConflictError, ContentNotFoundError

    try:
        return content_view(change())
    except ContentNotFoundError:
        return http.error(404, *_NOT_FOUND)
    except ContentValidationError as exc:
        return http.error(400, "invalid content", exc.fields)
    except ContentConflictError:
        return http.error(409, "the item changed meanwhile; reload and try again", {"content_id": "was changed"})


@bp.route("/api/admin/content/import-url", methods=["POST"])
@api.admin_only(
    "Prefill an item from a page's metadata", tag="admin", body="ImportUrlIn", response="ImportedPageOut", errors=(422,)
)
def import_content_url(body: ImportUrlIn, actor: str) -> dict[str, Any] | Response:
    from functions.content import importer  # only once the caller is known to be an admin

    try:
        page = importer.import_url(body.url)
    except importer.PageImportError as exc:
        return http.error(422, "the page could not be imported", {"url": str(exc)})
    return page.as_dict()


@bp.route("/api/feed", methods=["GET"])
@api.public(
    "Published items in their window: important first, then newest",
    tag="content",
    query="FeedQuery",
    response="FeedOut",
    etag_max_age=60,
)
def get_feed(query: FeedQuery) -> dict[str, Any] | Response:
    from functions.api.views import public_content_view
    from functions.content.feed import FeedQueryError, feed

    try:
        page = feed(query.lang, query.topic, query.limit, query.cursor)
    except FeedQueryError as exc:
        return http.error(400, "invalid query parameter", {exc.field: str(exc)})
    return {"items": [public_content_view(i) for i in page.items], "next_cursor": page.next_cursor}


@bp.route("/api/content/{content_id}", methods=["GET"])
@api.public(
    "One published item",
    tag="content",
    path="ContentPath",
    response="PublicContentOut",
    errors=(404,),
    etag_max_age=60,
)
def get_content(content_id: str) -> dict[str, Any] | Response:
    from functions.api.views import public_content_view
    from functions.content.service import public_content
    from functions.content.store import ContentNotFoundError

    try:
        item = public_content(content_id)
    except ContentNotFoundError:
        return http.error(404, "no such published item", {"content_id": "is not a published item"})
    return public_content_view(item)


@bp.route("/api/admin/images", methods=["POST"])
@api.admin_only(
    "Start an image upload (PNG, JPEG, GIF or WebP, 5 MB): a presigned POST to send the file to S3",
    tag="admin",
    body="ImageUploadIn",
    response="ImageUploadOut",
    status=201,
)
def start_image_upload(body: ImageUploadIn, actor: str) -> dict[str, Any] | Response:
    """Start uploading a content card's image: a presigned POST the browser sends the file to, never the API."""
    from dataclasses import asdict

    from functions.content.images import ImageRejectedError, start_upload

    try:
        form = start_upload(body.content_type, body.size)
    except ImageRejectedError as exc:
        return http.error(exc.status, "the image cannot be used", {exc.field: str(exc)})
    return asdict(form)


@bp.route("/api/admin/images/{upload_id}/complete", methods=["POST"])
@api.admin_only(
    "Check the sent file (size; its bytes are the declared format) and publish it at the site's /media/",
    tag="admin",
    path="UploadPath",
    response="ImageOut",
    status=201,
    errors=(400, 404, 413),
)
def complete_image_upload(upload_id: str, actor: str) -> dict[str, Any] | Response:
    """Check the uploaded file (size, and its bytes are the declared format) and publish it under /media/."""
    from functions.content.images import ImageRejectedError, UploadNotFoundError, complete_upload

    try:
        image = complete_upload(upload_id)
    except ImageRejectedError as exc:
        return http.error(exc.status, "the image cannot be used", {exc.field: str(exc)})
    except UploadNotFoundError:
        return http.error(404, "nothing was uploaded", {"upload_id": "has no uploaded file: send the image first"})
    return {"image_url": image.url, "content_type": image.content_type, "size": image.size}


@bp.route("/media/{name}", methods=["GET"])
@api.public(
    "An image the API used to serve: 301 to its address on the site",
    tag="content",
    path="MediaPath",
    status=301,
    errors=(404,),
    produces="text/plain",
    page=True,
)
def media(name: str) -> Response:
    """Images the API served before the site did: their address lives on in stored items and sent emails."""
    from functions.content.images import legacy_location

    location = legacy_location(name)
    if location is None:
        return http.error(404, "no such image", {"name": "is not an uploaded image"})
    return Response(body="", status_code=301, headers={"Location": location, "Cache-Control": "public, max-age=86400"})
