"""The OpenAPI 3.1 document, generated from the operations table and the pydantic schemas.

Every route app.py registers must have an entry here (a test compares the two), and request and
response bodies are the very models that validate requests, so the document cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from functions.api import schemas
from functions.config import LANGUAGES


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "query" or "path"
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    admin: bool = False
    params: tuple[Param, ...] = ()
    content_type: str = "application/json"
    errors: tuple[int, ...] = ()


_CURSOR = Param("cursor", "query", "The next_cursor of the previous page")
_CONTENT_ID = Param("content_id", "path", "The content item's id", required=True)
_EMPLOYEE_ID = Param("employee_id", "path", "The employee's id", required=True)
_SUGGESTION_ID = Param("suggestion_id", "path", "The suggestion's id", required=True)

OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/", "What to open (HTML)", "site", content_type="text/html"),
    Operation(
        "GET",
        "/{code}",
        "Follow a short link: 302 to the destination with UTM tags; the click is counted",
        "links",
        status=302,
        params=(Param("code", "path", "The short code", required=True),),
        errors=(404,),
        content_type="text/html",
    ),
    Operation(
        "HEAD",
        "/{code}",
        "Follow a short link without a body (counted as a scanner, never a person)",
        "links",
        status=302,
        params=(Param("code", "path", "The short code", required=True),),
        errors=(404,),
        content_type="text/html",
    ),
    *(
        Operation(
            method,
            "/share/{employee_id}/{content_id}/{network}",
            summary,
            "links",
            status=302,
            content_type="text/html",
            errors=(403, 404),
            params=(
                Param("employee_id", "path", "Employee id", required=True),
                Param("content_id", "path", "Content item id", required=True),
                Param("network", "path", "linkedin, x, facebook, whatsapp or email", required=True),
                Param("exp", "query", "Expiry (Unix seconds), signed", required=True),
                Param("sig", "query", "HMAC signature", required=True),
                Param("v", "query", "The employee's token version, signed (absent at 0); a revoked one gets 403"),
            ),
        )
        for method, summary in (
            (
                "GET",
                "Share as an employee through a signed link: 302 to the network's intent; the share is "
                "recorded only for a person's browser (previews, scanners and bots are redirected, not counted)",
            ),
            ("HEAD", "Share link without a body: redirected, never recorded (link checkers and scanners probe)"),
        )
    ),
    Operation("GET", "/admin", "The admin form (HTML)", "site", content_type="text/html"),
    Operation("GET", "/api/health", "Health check", "meta", response=schemas.HealthOut),
    Operation("GET", "/api/openapi.json", "This document", "meta"),
    Operation(
        "GET",
        "/api/leaderboard",
        "Top employees by points for a period, overall or in one team",
        "leaderboards",
        response=schemas.LeaderboardOut,
        errors=(400,),
        params=(
            Param(
                "period", "query", "week (default), month or all", {"type": "string", "enum": ["week", "month", "all"]}
            ),
            Param("team", "query", "Only this team"),
            Param("limit", "query", "1 to 100 (default 10)", {"type": "integer", "minimum": 1, "maximum": 100}),
        ),
    ),
    Operation(
        "GET",
        "/api/feed",
        "Published items in their window: important first, then newest",
        "content",
        response=schemas.FeedOut,
        errors=(400,),
        params=(
            Param("lang", "query", "en, pl, lt or ru", {"type": "string", "enum": list(LANGUAGES)}),
            Param("topic", "query", "Only items with this topic"),
            Param("limit", "query", "1 to 50 (default 20)", {"type": "integer", "minimum": 1, "maximum": 50}),
            _CURSOR,
        ),
    ),
    Operation(
        "GET",
        "/api/content/{content_id}",
        "One published item",
        "content",
        response=schemas.PublicContentOut,
        params=(_CONTENT_ID,),
        errors=(404,),
    ),
    Operation(
        "POST",
        "/api/admin/share-links",
        "Signed share links of an employee for an item, per network",
        "admin",
        request=schemas.ShareLinksIn,
        response=schemas.ShareLinksOut,
        status=201,
        admin=True,
        errors=(400, 401, 404, 413),
    ),
    Operation(
        "POST",
        "/api/admin/content",
        "Create a content item",
        "admin",
        request=schemas.ContentCreate,
        response=schemas.ContentOut,
        status=201,
        admin=True,
        errors=(400, 401, 409, 413),
    ),
    Operation(
        "GET",
        "/api/admin/content",
        "The library by status, most recently changed first",
        "admin",
        response=schemas.ContentPageOut,
        admin=True,
        errors=(400, 401),
        params=(
            Param("status", "query", "draft, scheduled, published (default), expired or archived"),
            Param("limit", "query", "1 to 50 (default 20)", {"type": "integer", "minimum": 1, "maximum": 50}),
            _CURSOR,
        ),
    ),
    Operation(
        "GET",
        "/api/admin/content/{content_id}",
        "One item, whatever its status",
        "admin",
        response=schemas.ContentOut,
        admin=True,
        params=(_CONTENT_ID,),
        errors=(401, 404),
    ),
    Operation(
        "PUT",
        "/api/admin/content/{content_id}",
        "Change the given fields of an item",
        "admin",
        request=schemas.ContentUpdate,
        response=schemas.ContentOut,
        admin=True,
        params=(_CONTENT_ID,),
        errors=(400, 401, 404, 409, 413),
    ),
    Operation(
        "DELETE",
        "/api/admin/content/{content_id}",
        "Archive an item (kept with its history; shared links keep redirecting)",
        "admin",
        response=schemas.ContentOut,
        admin=True,
        params=(_CONTENT_ID,),
        errors=(401, 404),
    ),
    Operation(
        "POST",
        "/api/admin/employees/import",
        "Import the employee directory from CSV (the body; Content-Type: text/csv); a per-row report",
        "admin",
        response=schemas.EmployeeImportOut,
        admin=True,
        errors=(400, 401, 413),
        params=(
            Param(
                "mode",
                "query",
                "valid_rows (default: apply valid rows, report the rest) or "
                "all_or_nothing (write nothing if any row is invalid)",
                {"type": "string", "enum": ["valid_rows", "all_or_nothing"]},
            ),
        ),
    ),
    Operation(
        "POST",
        "/api/admin/employees/{employee_id}/deactivate",
        "Offboard an employee: no more digests or attribution; history kept",
        "admin",
        request=schemas.DeactivateIn,
        response=schemas.EmployeeOut,
        admin=True,
        errors=(400, 401, 404),
        params=(_EMPLOYEE_ID,),
    ),
    Operation(
        "POST",
        "/api/admin/employees/{employee_id}/reactivate",
        "Bring an employee back",
        "admin",
        response=schemas.EmployeeOut,
        admin=True,
        errors=(401, 404),
        params=(_EMPLOYEE_ID,),
    ),
    Operation(
        "POST",
        "/api/admin/employees/{employee_id}/revoke-tokens",
        "Withdraw the employee's site token, preferences and share links issued so far (token_version + 1); "
        "their unsubscribe links keep working and the next digest brings new links",
        "admin",
        response=schemas.EmployeeOut,
        admin=True,
        errors=(401, 404),
        params=(_EMPLOYEE_ID,),
    ),
    Operation(
        "POST",
        "/unsubscribe",
        "RFC 8058 one-click unsubscribe from digests (body List-Unsubscribe=One-Click; the signed token "
        "from the List-Unsubscribe header)",
        "digests",
        params=(Param("token", "query", "The signed unsubscribe token", required=True),),
        content_type="text/plain",
        errors=(403, 404),
    ),
    Operation(
        "GET",
        "/unsubscribe",
        "A page asking to confirm unsubscribing (a GET never unsubscribes: mail scanners open links)",
        "digests",
        params=(Param("token", "query", "The signed unsubscribe token", required=True),),
        content_type="text/html",
        errors=(403, 404),
    ),
    Operation(
        "GET",
        "/preferences",
        "The employee's digest preferences page (cadence, weekday, language, topics, unsubscribe)",
        "digests",
        params=(
            Param("token", "query", "The digest's 7-day preferences token (not the employee token)", required=True),
        ),
        content_type="text/html",
        errors=(403, 404),
    ),
    Operation(
        "POST",
        "/preferences",
        "Save the preferences form (application/x-www-form-urlencoded: token, cadence, weekday, language, "
        "topics (repeated), other_topics; action=unsubscribe turns digests off whatever the rest holds)",
        "digests",
        content_type="text/html",
        errors=(400, 403, 404, 413),
    ),
    Operation(
        "GET",
        "/api/me",
        "The token's employee: name, team, and figures and rank this week, month and all time",
        "employees",
        response=schemas.MeOut,
        errors=(400, 401),
    ),
    Operation(
        "GET",
        "/api/me/share-links",
        "The employee's signed share links, per network, for up to 50 items (the static site's buttons)",
        "employees",
        response=schemas.MyShareLinksOut,
        errors=(400, 401),
        params=(Param("content_ids", "query", "Content ids separated by commas (1 to 50)", required=True),),
    ),
    Operation(
        "PUT",
        "/api/me/name-visibility",
        "An employee shows or hides their name on leaderboards (Authorization: Employee <token>)",
        "employees",
        request=schemas.NameVisibilityIn,
        response=schemas.EmployeeOut,
        errors=(400, 401, 404),
    ),
    Operation(
        "POST",
        "/api/suggestions",
        "An employee suggests a page for the library (Authorization: Employee <token>)",
        "employees",
        request=schemas.SuggestionIn,
        response=schemas.SuggestionOut,
        status=201,
        errors=(400, 401, 409),
    ),
    Operation(
        "GET",
        "/api/admin/suggestions",
        "The moderation queue, oldest first",
        "admin",
        response=schemas.SuggestionPageOut,
        admin=True,
        errors=(400, 401),
        params=(
            Param("limit", "query", "1 to 100 (default 20)", {"type": "integer", "minimum": 1, "maximum": 100}),
            _CURSOR,
        ),
    ),
    Operation(
        "POST",
        "/api/admin/suggestions/{suggestion_id}/approve",
        "Approve: the page becomes a draft or a published item",
        "admin",
        request=schemas.ApproveIn,
        response=schemas.ContentOut,
        admin=True,
        errors=(400, 401, 404, 409),
        params=(_SUGGESTION_ID,),
    ),
    Operation(
        "POST",
        "/api/admin/suggestions/{suggestion_id}/reject",
        "Reject with a note",
        "admin",
        request=schemas.RejectIn,
        response=schemas.SuggestionOut,
        admin=True,
        errors=(400, 401, 404, 409),
        params=(_SUGGESTION_ID,),
    ),
    Operation(
        "GET",
        "/api/admin/feed-sources",
        "Registered RSS/Atom feeds and how their last pull went",
        "admin",
        response=schemas.FeedSourcesOut,
        admin=True,
        errors=(401,),
    ),
    Operation(
        "POST",
        "/api/admin/feed-sources",
        "Register an RSS/Atom feed (pulled hourly into drafts)",
        "admin",
        request=schemas.FeedSourceIn,
        response=schemas.FeedSourceOut,
        status=201,
        admin=True,
        errors=(400, 401, 409),
    ),
    Operation(
        "DELETE",
        "/api/admin/feed-sources/{source_id}",
        "Stop pulling a feed",
        "admin",
        status=204,
        admin=True,
        errors=(401, 404),
        params=(Param("source_id", "path", "Feed source id", required=True),),
    ),
    Operation(
        "POST",
        "/api/admin/feed-sources/pull",
        "Queue a pull of every feed now (results appear on each source)",
        "admin",
        response=schemas.PullQueuedOut,
        status=202,
        admin=True,
        errors=(401,),
    ),
    Operation(
        "POST",
        "/api/admin/images",
        "Start an image upload (PNG, JPEG, GIF or WebP, 5 MB): a presigned POST to send the file to S3",
        "admin",
        request=schemas.ImageUploadIn,
        response=schemas.ImageUploadOut,
        status=201,
        admin=True,
        errors=(400, 401, 413),
    ),
    Operation(
        "POST",
        "/api/admin/images/{upload_id}/complete",
        "Check the sent file (size; its bytes are the declared format) and publish it at the site's /media/",
        "admin",
        response=schemas.ImageOut,
        status=201,
        admin=True,
        errors=(400, 401, 404, 413),
        params=(Param("upload_id", "path", "The upload_id the upload started with", required=True),),
    ),
    Operation(
        "GET",
        "/media/{name}",
        "An image the API used to serve: 301 to its address on the site",
        "content",
        status=301,
        errors=(404,),
        params=(Param("name", "path", "The image's name", required=True),),
        content_type="text/plain",
    ),
    Operation(
        "POST",
        "/api/admin/content/import-url",
        "Prefill an item from a page's metadata",
        "admin",
        request=schemas.ImportUrlIn,
        response=schemas.ImportedPageOut,
        admin=True,
        errors=(400, 401, 422),
    ),
)


def operations_by_route() -> dict[tuple[str, str], Operation]:
    return {(op.method, op.path): op for op in OPERATIONS}


@cache
def document() -> dict[str, Any]:
    models = {m for op in OPERATIONS for m in (op.request, op.response) if m} | {schemas.ErrorOut}
    _, definitions = models_json_schema(
        [(m, "validation" if any(op.request is m for op in OPERATIONS) else "serialization") for m in models],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chorus API",
            "version": "0.1.0",
            "description": "Employee advocacy: tracked share links, honest click counts, the content library.",
        },
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


def _operation_id(op: Operation) -> str:
    words = op.path.strip("/").replace("{", "").replace("}", "").replace(".", "_").replace("-", "_").split("/")
    return "_".join([op.method.lower(), *[w for w in words if w]]) if op.path != "/" else "get_home"


def _operation(op: Operation) -> dict[str, Any]:
    body: dict[str, Any] = {"description": op.summary}
    if op.response is not None:
        body["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.response.__name__}"}}}
    elif op.status in (200, 302):
        body["content"] = {op.content_type: {}}
    responses: dict[str, Any] = {str(op.status): body}
    for status in op.errors:
        responses[str(status)] = {
            "description": "See error and fields",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }
    out: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag],
        "operationId": _operation_id(op),
        "responses": responses,
    }
    if op.params:
        out["parameters"] = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required or p.where == "path",
                "description": p.description,
                "schema": p.schema,
            }
            for p in op.params
        ]
    if op.request is not None:
        out["requestBody"] = {
            # A body whose every field has a default may be left out (it means the defaults).
            "required": any(field.is_required() for field in op.request.model_fields.values()),
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.request.__name__}"}}},
        }
    if op.admin:
        out["security"] = [{"adminToken": []}]
    elif op.tag == "employees":
        out["security"] = [{"employeeToken": []}]
    return out
