"""Employees suggest articles; moderators approve them into the library or reject them with a note.

This module is the only one that knows how suggestions are stored (table ``suggestions``, key ``id``,
GSI ``by_status`` on status + created_at, which is the moderation queue):
``{id, employee_id, url, comment, status, created_at, moderator?, decided_at?, content_id?, note?}``.

The id is derived from the employee and the article's canonical URL, so a conditional put refuses a
second suggestion of the same article by the same employee, and every decision is a conditional update
on ``status = pending``, so two moderators can never both decide one suggestion.

An approval is one DynamoDB transaction of three writes: the decision (conditional on ``pending``), the new
library item (conditional on its id being free) and the event that earns the employee their points
(``approval_event_id``, credited by the counting run: functions/stats/decide.py). Either all land or none:

- A failure (throttling, a network error, DynamoDB's bad day) leaves the suggestion pending, no item and
  no points, and raises ApprovalNotRecordedError (the API's 503): approving again does it, and credits once.
- If the article is already in the library, the transaction is cancelled on the item's condition and a
  second one writes the decision and the event alone, linking the suggestion to that item.
- If the answer is lost after DynamoDB committed (a timeout), the suggestion is read back: approved with
  this decision means it landed, and the approval is reported done rather than refused.

Why not decide, then write the item, then the event, undoing the decision when a later write fails (how
it was)? The undo is itself a write, likely to fail in the same throttling or outage, and it left the
points unprotected: a failed event write was only logged. Why not just retry the event write (botocore's
retry modes already do, three attempts)? A persistent failure outlasts any retry, and the approval would
stand with its points lost. The transaction costs twice the write units of plain puts, on a rare action.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from functions import aws, observability
from functions.clock import utc_stamp
from functions.config import settings
from functions.content.model import ContentItem, new_content
from functions.content.store import ContentExistsError, ContentStore
from functions.content.urls import canonical_url, content_id_for_url, without_tracking
from functions.dynamo import from_item, is_condition_failure, to_item
from functions.links.destinations import DestinationError, validate_destination

if TYPE_CHECKING:
    from functions.events import Event

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


class ApprovalNotRecordedError(RuntimeError):
    """DynamoDB did not take the approval (throttled, unreachable): nothing was written, the suggestion is
    still pending, and approving it again later records it."""

    def __init__(self, suggestion_id: str) -> None:
        super().__init__("the approval could not be recorded just now (nothing was changed): try again")
        self.suggestion_id = suggestion_id


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
    """Put the suggested article in the library (a draft, or published), mark the suggestion approved and
    credit its employee, all in one transaction (see the module's docstring).

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
    decision = _Decision(suggestion_id, moderator, utc_stamp(now), content_id)
    credit = _approval_event(suggestion, content_id)
    store = ContentStore()
    try:
        _write_approval(decision, credit, store.add_request(item))
    except ContentExistsError:
        _write_approval(decision, credit, None)
        return store.get(content_id) or item
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


def _decision_update(suggestion_id: str, expression: str, values: dict[str, Any]) -> dict[str, Any]:
    """The UpdateItem that decides a suggestion, only while it is pending (alone or in a transaction)."""
    return {
        "TableName": _table(),
        "Key": {"id": {"S": suggestion_id}},
        "UpdateExpression": expression,
        "ConditionExpression": "#status = :pending",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {**values, ":pending": {"S": PENDING}},
    }


def _decide(suggestion_id: str, expression: str, values: dict[str, Any]) -> Suggestion:
    try:
        response = aws.dynamodb().update_item(
            **_decision_update(suggestion_id, expression, values), ReturnValues="ALL_NEW"
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


@dataclass(frozen=True)
class _Decision:
    """An approval as this moderator makes it: what the transaction writes, and how to recognise it after."""

    suggestion_id: str
    moderator: str
    decided_at: str
    content_id: str

    def update(self) -> dict[str, Any]:
        return _decision_update(
            self.suggestion_id,
            "SET #status = :approved, moderator = :moderator, decided_at = :at, content_id = :content",
            {
                ":approved": {"S": APPROVED},
                ":moderator": {"S": self.moderator},
                ":at": {"S": self.decided_at},
                ":content": {"S": self.content_id},
            },
        )

    def made(self, suggestion: Suggestion) -> bool:
        """Whether the suggestion as stored now carries this decision (it landed)."""
        mine = (suggestion.moderator, suggestion.decided_at) == (self.moderator, self.decided_at)
        return suggestion.status == APPROVED and mine


def _approval_event(suggestion: Suggestion, content_id: str) -> Event | None:
    """The event that earns the employee their points for this approval, or None if they left the directory
    (nobody to credit, nor any board to show them on)."""
    from functions import events
    from functions.clock import from_epoch
    from functions.directory.store import EmployeeStore
    from functions.stats.decide import SUGGESTION

    employee = EmployeeStore().get(suggestion.employee_id)
    if employee is None:
        return None
    return events.Event(
        type=SUGGESTION,
        at=events.timestamp(from_epoch(events.now())),  # the log's clock: the slice it is written in
        employee_id=employee.id,
        content_id=content_id,
        network="",
        team=employee.team,
        code="",
        id=approval_event_id(suggestion.id),
    )


def _write_approval(decision: _Decision, credit: Event | None, new_item: dict[str, Any] | None) -> None:
    """Write the decision, the new library item (None: it exists) and the credit in one transaction.

    ContentExistsError when the item is already stored (nothing written); SuggestionAlreadyDecidedError when
    someone decided first; ApprovalNotRecordedError when DynamoDB failed and nothing was written."""
    from botocore.exceptions import BotoCoreError, ClientError

    from functions.events import EventStore

    writes: list[dict[str, Any]] = [{"Update": decision.update()}]
    if new_item is not None:
        writes.append({"Put": new_item})
    if credit is not None:
        log = EventStore()
        writes.append({"Put": log.put_request(log.item(credit))})  # keyed by the clock right before the write
    try:
        aws.dynamodb().transact_write_items(TransactItems=writes)
    except (BotoCoreError, ClientError) as exc:
        cancelled = (getattr(exc, "response", None) or {}).get("CancellationReasons") or []
        reasons = [reason.get("Code") for reason in cancelled]
        if reasons[:1] == ["ConditionalCheckFailed"]:  # rejected or approved meanwhile: never published behind it
            get_suggestion(decision.suggestion_id)  # raises SuggestionNotFoundError when there is none
            raise SuggestionAlreadyDecidedError(decision.suggestion_id) from None
        if new_item is not None and reasons[1:2] == ["ConditionalCheckFailed"]:
            raise ContentExistsError(decision.content_id) from None
        _settle(decision, exc)


def _settle(decision: _Decision, failure: Exception) -> None:
    """After a failed transaction: return if it landed all the same (only its answer was lost), else raise."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        now_stored: Suggestion | None = get_suggestion(decision.suggestion_id)
    except (BotoCoreError, ClientError):
        now_stored = None
    if now_stored is not None and decision.made(now_stored):
        observability.logger().warning("approval_answer_lost", extra={"suggestion": decision.suggestion_id})
        return
    if now_stored is not None and now_stored.status != PENDING:
        raise SuggestionAlreadyDecidedError(decision.suggestion_id) from failure
    observability.logger().error(
        "approval_not_recorded", extra={"suggestion": decision.suggestion_id, "error": repr(failure)}
    )
    raise ApprovalNotRecordedError(decision.suggestion_id) from failure


def _title_from_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or ''}{parts.path.rstrip('/')}"[:300] or url[:300]
