"""The digests table: one row per employee and period, the only code that knows its storage shape.

A row is claimed before a digest is sent and settled after (functions.digest.deliver has the states and
the decisions); a ``sent`` row (and an ``unknown`` one, which SES may have delivered) also keeps the
``content_ids`` the digest held, which is the "already received" history compose reads
(``received_content_ids``). Rows expire by TTL: RECORD_DAYS from the first claim, HISTORY_DAYS from a send.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from functions import aws
from functions.clock import from_epoch, utc_stamp
from functions.config import settings
from functions.dynamo import from_item, is_condition_failure, to_item

LEASE_SECONDS = 300
RECORD_DAYS = 35
HISTORY_DAYS = 180


class Status(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    RELEASED = "released"
    UNKNOWN = "unknown"  # SES may have accepted it (the answer was lost): never sent again this period


@dataclass(frozen=True)
class DeliveryRecord:
    """One row of the digests table as this module writes it."""

    employee_id: str
    period: str
    status: str
    message_id: str | None = None
    content_ids: tuple[str, ...] = ()
    sent_at: str | None = None
    reason: str | None = None
    error_code: str | None = None
    lease_until: int | None = None
    attempts: int = 0
    expires_at: int | None = None


@dataclass(frozen=True)
class Claim:
    employee_id: str
    period: str
    token: str


class ClaimTakenError(Exception):
    def __init__(self, record: DeliveryRecord | None) -> None:
        super().__init__("claimed or settled already")
        self.record = record


class DeliveryRecords:
    """The only code that knows the delivery states' storage shape in the digests table."""

    def __init__(
        self,
        table: str | None = None,
        client: Any = None,
        now: Callable[[], float] = time.time,
        lease_seconds: int = LEASE_SECONDS,
    ) -> None:
        self.table = table or settings().digests_table
        self.client = client or aws.dynamodb()
        self.now = now
        self.lease_seconds = lease_seconds

    def get(self, employee_id: str, period: str) -> DeliveryRecord | None:
        response = self.client.get_item(TableName=self.table, Key=_key(employee_id, period), ConsistentRead=True)
        item = response.get("Item")
        return _record(from_item(item)) if item else None

    def claim(self, employee_id: str, period: str) -> Claim:
        """Take the send for this employee and period, or raise ClaimTakenError with the row that holds it."""
        from botocore.exceptions import ClientError

        now = int(self.now())
        token = uuid.uuid4().hex
        try:
            self.client.update_item(
                TableName=self.table,
                Key=_key(employee_id, period),
                UpdateExpression=(
                    "SET #status = :sending, #claim = :claim, #lease = :lease, "
                    "#expires = if_not_exists(#expires, :expires), #updated = :stamp ADD #attempts :one"
                ),
                # No status yet, released, or a holder whose lease ran out (it crashed or timed out).
                ConditionExpression=(
                    "attribute_not_exists(#status) OR #status = :released OR (#status = :sending AND #lease < :now)"
                ),
                ExpressionAttributeNames=_names("#status", "#claim", "#lease", "#expires", "#updated", "#attempts"),
                ExpressionAttributeValues=to_item(
                    {
                        ":sending": Status.SENDING.value,
                        ":released": Status.RELEASED.value,
                        ":claim": token,
                        ":lease": now + self.lease_seconds,
                        ":expires": now + RECORD_DAYS * 86400,
                        ":stamp": utc_stamp(from_epoch(now)),
                        ":now": now,
                        ":one": 1,
                    }
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            item = exc.response.get("Item")
            raise ClaimTakenError(_record(from_item(item)) if item else self.get(employee_id, period)) from None
        return Claim(employee_id, period, token)

    def mark_sent(self, claim: Claim, message_id: str, content_ids: tuple[str, ...]) -> bool:
        """Record the send; False if the claim was lost meanwhile (the row is then someone else's)."""
        now = int(self.now())
        values: dict[str, Any] = {
            ":status": Status.SENT.value,
            ":message": message_id,
            ":stamp": utc_stamp(from_epoch(now)),
            ":expires": now + HISTORY_DAYS * 86400,
        }
        expression = (
            "SET #status = :status, #message = :message, #sent = :stamp, #updated = :stamp, #expires = :expires"
        )
        if content_ids:  # a string set, as received_content_ids reads it (DynamoDB has no empty sets)
            values[":content"] = set(content_ids)
            expression += ", #content = :content"
        return self._settle(claim, expression + " REMOVE #claim, #lease", values)

    def mark_unknown(self, claim: Claim, reason: str, content_ids: tuple[str, ...]) -> bool:
        """Record a send whose fate SES did not tell; its items count as received, as a sent digest's do."""
        now = int(self.now())
        values: dict[str, Any] = {
            ":status": Status.UNKNOWN.value,
            ":reason": reason[:500],
            ":stamp": utc_stamp(from_epoch(now)),
            ":expires": now + HISTORY_DAYS * 86400,
        }
        expression = "SET #status = :status, #last = :reason, #updated = :stamp, #expires = :expires"
        if content_ids:
            values[":content"] = set(content_ids)
            expression += ", #content = :content"
        return self._settle(claim, expression + " REMOVE #claim, #lease", values)

    def mark_skipped(self, claim: Claim, reason: str) -> bool:
        return self._settle(
            claim,
            "SET #status = :status, #reason = :reason, #updated = :stamp REMOVE #claim, #lease",
            {":status": Status.SKIPPED.value, ":reason": reason, ":stamp": self._stamp()},
        )

    def mark_failed(self, claim: Claim, code: str, message: str) -> bool:
        return self._settle(
            claim,
            "SET #status = :status, #code = :code, #error = :error, #updated = :stamp REMOVE #claim, #lease",
            {":status": Status.FAILED.value, ":code": code, ":error": message[:500], ":stamp": self._stamp()},
        )

    def release(self, claim: Claim, reason: str) -> bool:
        """Give the claim up so the next attempt may send at once."""
        return self._settle(
            claim,
            "SET #status = :status, #last = :reason, #updated = :stamp REMOVE #claim, #lease",
            {":status": Status.RELEASED.value, ":reason": reason[:500], ":stamp": self._stamp()},
        )

    def _stamp(self) -> str:
        """Now by this store's clock, as the row's ``updated_at``."""
        return utc_stamp(from_epoch(self.now()))

    def _settle(self, claim: Claim, expression: str, values: dict[str, Any]) -> bool:
        from botocore.exceptions import ClientError

        placeholders = set(re.findall(r"#\w+", expression)) | {"#claim"}
        try:
            self.client.update_item(
                TableName=self.table,
                Key=_key(claim.employee_id, claim.period),
                UpdateExpression=expression,
                ConditionExpression="#claim = :token",
                ExpressionAttributeNames=_names(*placeholders),
                ExpressionAttributeValues=to_item({**values, ":token": claim.token}),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True


_ATTRIBUTES = {
    "#status": "status",
    "#claim": "claim",
    "#lease": "lease_until",
    "#expires": "expires_at",
    "#updated": "updated_at",
    "#attempts": "attempts",
    "#message": "message_id",
    "#content": "content_ids",
    "#sent": "sent_at",
    "#reason": "reason",
    "#code": "error_code",
    "#error": "error_message",
    "#last": "last_error",
}


def _names(*placeholders: str) -> dict[str, str]:
    return {placeholder: _ATTRIBUTES[placeholder] for placeholder in placeholders}


def _key(employee_id: str, period: str) -> dict[str, Any]:
    return {"employee_id": {"S": employee_id}, "period": {"S": period}}


def _record(values: Mapping[str, Any]) -> DeliveryRecord:
    return DeliveryRecord(
        employee_id=values["employee_id"],
        period=values["period"],
        status=values.get("status", ""),
        message_id=values.get("message_id"),
        content_ids=tuple(values.get("content_ids") or ()),
        sent_at=values.get("sent_at"),
        reason=values.get("reason"),
        error_code=values.get("error_code"),
        lease_until=values.get("lease_until"),
        attempts=values.get("attempts", 0),
        expires_at=values.get("expires_at"),
    )


def received_content_ids(employee_id: str, since: date, *, client: Any = None, table: str | None = None) -> set[str]:
    """The items of this employee's digests for periods that end on or after ``since`` (one Query, paged)."""
    from functions import aws
    from functions.config import settings
    from functions.digest.plan import period_days, weekly_period

    # Weekly keys ("2026-W47") sort after every daily key of their year ("2026-11-22"), so the lower
    # bound is whichever of the two spellings of ``since`` sorts first; the few extra weeks it lets
    # through are dropped below.
    lower = min(since.isoformat(), weekly_period(since))
    kwargs: dict[str, Any] = {
        "TableName": table or settings().digests_table,
        "KeyConditionExpression": "employee_id = :e AND #p >= :from",
        "ExpressionAttributeNames": {"#p": "period"},
        "ExpressionAttributeValues": {":e": {"S": employee_id}, ":from": {"S": lower}},
        "ProjectionExpression": "#p, content_ids",
    }
    client = client or aws.dynamodb()
    received: set[str] = set()
    while True:
        page = client.query(**kwargs)
        for item in page.get("Items", []):
            try:
                last_day = period_days(item["period"]["S"])[1]
            except ValueError:
                continue  # not a digest period (nothing else is stored here today)
            if last_day >= since:
                received.update(item.get("content_ids", {}).get("SS", []))
        if "LastEvaluatedKey" not in page:
            return received
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
