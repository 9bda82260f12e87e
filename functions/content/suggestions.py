"""Employees suggest articles; moderators approve them into the library or reject them with a note.

This module is the only one that knows how suggestions are stored (table ``suggestions``, key ``id``,
GSI ``by_status`` on status + created_at, which is the moderation queue):
``{id, employee_id, url, comment, status, created_at, moderator?, decided_at?, content_id?, note?}``.

The id is derived from the employee and the article's canonical URL, so a conditional put refuses a
second suggestion of the same article by the same employee, and every decision is a conditional update
on ``status = pending``, so two moderators can never both decide one suggestion.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from functions import aws, observability
from functions.clock import utc_stamp
from functions.config import settings
from functions.content.model import ContentItem, new_content
from functions.content.store import ContentExistsError, ContentStore
from functions.content.urls import canonical_url, content_id_for_url, without_tracking
from functions.dynamo import from_item, is_condition_failure, to_item
from functions.links.destinations import DestinationError, validate_destination

MAX_COMMENT = 500
MAX_NOTE = 500
MAX_PAGE = 100
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class SuggestionValidationError(ValueError):
    """``fields`` maps each bad field to its message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid suggestion: " + ", ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class DuplicateSuggestionError(ValueError):
    """This employee already suggested this article, and it is pending or was approved."""

    def __init__(self, suggestion_id: str) -> None:
        super().__init__("you have already suggested this article")
        self.suggestion_id = suggestion_id


class SuggestionNotFoundError(LookupError):
    """No suggestion has this id."""


class SuggestionAlreadyDecidedError(ValueError):
    """Another moderator (or an earlier click) approved or rejected this suggestion first."""


class InvalidCursorError(ValueError):
    """The moderation-queue cursor was not one this module issued."""


@dataclass(frozen=True)
class Suggestion:
    id: str
    employee_id: str
    url: str
    comment: str
    status: str
    created_at: str
    moderator: str | None = None
    decided_at: str | None = None
    content_id: str | None = None
    note: str | None = None


def _table() -> str:
    return settings().suggestions_table


def suggestion_id_for(employee_id: str, url: str) -> str:
    return "s" + hashlib.sha256(f"{employee_id}\n{canonical_url(url)}".encode()).hexdigest()[:15]


def _suggestion_from_item(item: dict[str, Any]) -> Suggestion:
    record = from_item(item)
    return Suggestion(**{k: v for k, v in record.items() if k in Suggestion.__dataclass_fields__})


def _text(value: object, name: str, limit: int, errors: dict[str, str], *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = "must be text"
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = "is required"
    elif len(value) > limit:
        errors[name] = f"must be at most {limit} characters"
    return value


def suggest(employee_id: str, url: str, comment: str = "", now: datetime | None = None) -> Suggestion:
    """Record an employee's suggestion for the moderators (the route has verified the employee)."""
    errors: dict[str, str] = {}
    employee_id = _text(employee_id, "employee_id", 100, errors, required=True)
    comment = _text(comment, "comment", MAX_COMMENT, errors, required=False)
    try:
        url = without_tracking(validate_destination(url))
    except DestinationError as exc:
        errors["url"] = str(exc)
    if errors:
        raise SuggestionValidationError(errors)
    suggestion = Suggestion(
        id=suggestion_id_for(employee_id, url),
        employee_id=employee_id,
        url=url,
        comment=comment,
        status=PENDING,
        created_at=utc_stamp(now),
    )
    try:
        aws.dynamodb().put_item(
            TableName=_table(),
            Item=to_item(asdict(suggestion)),
            # A rejected suggestion may be made again (it replaces the old one); a pending or approved one not.
            ConditionExpression="attribute_not_exists(id) OR #status = :rejected",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":rejected": {"S": REJECTED}},
        )
    except Exception as exc:
        if is_condition_failure(exc):
            raise DuplicateSuggestionError(suggestion.id) from None
        raise
    return suggestion


def get_suggestion(suggestion_id: str) -> Suggestion:
    item = aws.dynamodb().get_item(TableName=_table(), Key={"id": {"S": suggestion_id}}, ConsistentRead=True)
    if "Item" not in item:
        raise SuggestionNotFoundError(suggestion_id)
    return _suggestion_from_item(item["Item"])


def moderation_queue(limit: int = 20, cursor: str | None = None) -> tuple[list[Suggestion], str | None]:
    """Pending suggestions, oldest first: one Query on ``by_status`` per page; the cursor is opaque."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"must be between 1 and {MAX_PAGE}")
    request: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": "by_status",
        "KeyConditionExpression": "#status = :pending",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":pending": {"S": PENDING}},
        "ScanIndexForward": True,
        # One more than a page: a full last page then carries no cursor to an empty one.
        "Limit": limit + 1,
    }
    if cursor:
        request["ExclusiveStartKey"] = _decode_cursor(cursor)
    response = aws.dynamodb().query(**request)
    page = [_suggestion_from_item(item) for item in response.get("Items", [])]
    if len(page) > limit:
        page = page[:limit]
        last = page[-1]
        return page, _encode_cursor({"id": last.id, "status": last.status, "created_at": last.created_at})
    start = response.get("LastEvaluatedKey")  # a short page cut by DynamoDB's 1 MB limit
    return page, _encode_cursor({k: v["S"] for k, v in start.items()}) if start else None


def _encode_cursor(key: dict[str, str]) -> str:
    # Not signed: it only says where a moderator's page starts; tamper-proofing happens at the API edge.
    raw = json.dumps([key["id"], key["created_at"]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        suggestion_id, created_at = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidCursorError("the cursor is not valid") from None
    if not all(isinstance(v, str) and 0 < len(v) <= 64 for v in (suggestion_id, created_at)):
        raise InvalidCursorError("the cursor is not valid")
    return {"id": {"S": suggestion_id}, "status": {"S": PENDING}, "created_at": {"S": created_at}}


def approve(
    suggestion_id: str,
    *,
    moderator: str,
    publish: bool,
    title: str | None = None,
    summary: str | None = None,
    language: str = "en",
    topics: Iterable[str] = (),
    kind: str = "third_party",
    now: datetime | None = None,
) -> ContentItem:
    """Put the suggested article in the library (a draft, or published) and mark the suggestion approved.

    If the article is already in the library (from a feed or another employee's suggestion), the
    suggestion is linked to that item, which is returned unchanged.
    """
    errors: dict[str, str] = {}
    moderator = _text(moderator, "moderator", 100, errors, required=True)
    if errors:
        raise SuggestionValidationError(errors)
    suggestion = get_suggestion(suggestion_id)
    if suggestion.status != PENDING:
        raise SuggestionAlreadyDecidedError(suggestion_id)
    content_id = content_id_for_url(suggestion.url)
    # Validated before anything is written: a bad title leaves the suggestion pending.
    item = new_content(
        url=suggestion.url,
        title=title or _title_from_url(suggestion.url),
        language=language,
        summary=summary or "",
        topics=tuple(topics),
        kind=kind,
        status="published" if publish else "draft",
        content_id=content_id,
        actor=moderator,
    )
    # Decide first, then create: the conditional update is the one place where two moderators race,
    # so a suggestion rejected at the same moment never ends up published.
    decided_at = utc_stamp(now)
    _decide(
        suggestion_id,
        "SET #status = :approved, moderator = :moderator, decided_at = :at, content_id = :content",
        {
            ":approved": {"S": APPROVED},
            ":moderator": {"S": moderator},
            ":at": {"S": decided_at},
            ":content": {"S": content_id},
        },
    )
    store = ContentStore()
    try:
        store.add(item)
    except ContentExistsError:
        _credit_approval(suggestion, content_id)
        return store.get(content_id) or item
    except Exception:
        _undo_approval(suggestion_id, moderator, decided_at)
        raise
    _credit_approval(suggestion, content_id)
    return item


def reject(suggestion_id: str, *, moderator: str, note: str, now: datetime | None = None) -> Suggestion:
    """Reject a suggestion; the note (required) tells the employee why."""
    errors: dict[str, str] = {}
    moderator = _text(moderator, "moderator", 100, errors, required=True)
    note = _text(note, "note", MAX_NOTE, errors, required=True)
    if errors:
        raise SuggestionValidationError(errors)
    return _decide(
        suggestion_id,
        "SET #status = :rejected, moderator = :moderator, decided_at = :at, note = :note",
        {
            ":rejected": {"S": REJECTED},
            ":moderator": {"S": moderator},
            ":at": {"S": utc_stamp(now)},
            ":note": {"S": note},
        },
    )


def _decide(suggestion_id: str, expression: str, values: dict[str, Any]) -> Suggestion:
    try:
        response = aws.dynamodb().update_item(
            TableName=_table(),
            Key={"id": {"S": suggestion_id}},
            UpdateExpression=expression,
            ConditionExpression="#status = :pending",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={**values, ":pending": {"S": PENDING}},
            ReturnValues="ALL_NEW",
        )
    except Exception as exc:
        if not is_condition_failure(exc):
            raise
        get_suggestion(suggestion_id)  # raises SuggestionNotFoundError when there is none
        raise SuggestionAlreadyDecidedError(suggestion_id) from None
    return _suggestion_from_item(response["Attributes"])


def approval_event_id(suggestion_id: str) -> str:
    """The id of the event that credits an approval: one per suggestion, so the counting run can tell a
    second copy (``duplicate_event``) from a second approval, which the status condition already refuses."""
    return hashlib.sha256(f"approved\n{suggestion_id}".encode()).hexdigest()[:16]


def _credit_approval(suggestion: Suggestion, content_id: str) -> None:
    """Write the event that earns the employee their points for an approved suggestion (the counting run
    credits it: functions/stats/decide.py). Only once the approval stands: it is written after the one
    conditional update that can approve the suggestion, and after the item is in the library."""
    from functions import events
    from functions.clock import from_epoch
    from functions.directory.store import EmployeeStore
    from functions.events import Event, EventStore
    from functions.stats.decide import SUGGESTION

    employee = EmployeeStore().get(suggestion.employee_id)
    if employee is None:  # left the directory: nobody to credit (nor any board to show them on)
        return
    event = Event(
        type=SUGGESTION,
        at=events.timestamp(from_epoch(events.now())),  # the log's clock: the slice it is written in
        employee_id=employee.id,
        content_id=content_id,
        network="",
        team=employee.team,
        code="",
        id=approval_event_id(suggestion.id),
    )
    store = EventStore()
    item = store.item(event)
    try:
        store.put_item(item)
    except Exception as exc:  # noqa: BLE001 - the approval stands; an operator can replay the logged item
        observability.logger().error(
            "suggestion_points_not_recorded",
            extra={"suggestion": suggestion.id, "error": repr(exc), "replay_item": item},
        )


def _undo_approval(suggestion_id: str, moderator: str, decided_at: str) -> None:
    """The item could not be stored: put the suggestion back in the queue (only if still our decision)."""
    try:
        aws.dynamodb().update_item(
            TableName=_table(),
            Key={"id": {"S": suggestion_id}},
            UpdateExpression="SET #status = :pending REMOVE moderator, decided_at, content_id",
            ConditionExpression="#status = :approved AND moderator = :moderator AND decided_at = :at",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":pending": {"S": PENDING},
                ":approved": {"S": APPROVED},
                ":moderator": {"S": moderator},
                ":at": {"S": decided_at},
            },
        )
    except Exception as exc:  # noqa: BLE001 - the caller re-raises the error that matters: the failed store
        if not is_condition_failure(exc):
            observability.logger().error("approval_not_undone", extra={"suggestion": suggestion_id, "error": repr(exc)})


def _title_from_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or ''}{parts.path.rstrip('/')}"[:300] or url[:300]
