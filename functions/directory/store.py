"""The only module that knows how employees are stored in DynamoDB.

One item per employee, keyed by ``id`` (employee_id_for(email)). Items are never deleted: offboarding
flips ``active`` and stamps ``deactivated_at``, so history (shares, clicks, points) keeps its owner.

``digest_slot`` (``<time zone>#daily`` or ``<time zone>#<weekday>``) is the partition of the sparse
``digest_due`` index through which the hourly digest planner Queries the employees due now. Every write
keeps it in line: whole-item writes compute it, ``deactivate`` removes it, and other partial updates
(reactivation, mail suppression) fix it afterwards when it no longer matches the employee.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from functions import aws
from functions.config import settings
from functions.directory.model import (
    DEFAULT_CADENCE,
    Employee,
    EmployeeFieldError,
    EmployeeNotFoundError,
    employee_from_record,
    employee_record,
    normalise_cadence,
    normalise_timezone,
)
from functions.dynamo import from_item, is_condition_failure, to_item

READ_BATCH = 100  # BatchGetItem's limit
WRITE_BATCH = 25  # BatchWriteItem's limit
ATTEMPTS = 8  # per batch, for keys or items DynamoDB hands back unprocessed
FIRST_PAUSE = 0.05
MAX_PAUSE = 1.0
DIGEST_INDEX = "digest_due"  # sparse GSI: digest_slot (HASH) + id (RANGE), keys only
DIGEST_SLOT = "digest_slot"
# One record in the digests table lists the time zones and teams in use, so the digest planner and the
# site's team leaderboards need no Scan to know them.
ZONES_KEY = {"employee_id": {"S": "#directory"}, "period": {"S": "zones"}}


class DirectoryUnavailableError(RuntimeError):
    """DynamoDB failed or kept throttling; ``written_ids`` are the employees whose items were stored."""

    def __init__(self, message: str, written_ids: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.written_ids = frozenset(written_ids)


class EmployeeStore:
    def __init__(
        self, table: str | None = None, client: Any = None, pause: Callable[[float], None] = time.sleep
    ) -> None:
        self.table = table or settings().employees_table
        self.client = client or aws.dynamodb()
        self.pause = pause

    def get(self, employee_id: str) -> Employee | None:
        response = self.client.get_item(TableName=self.table, Key={"id": {"S": employee_id}})
        item = response.get("Item")
        return employee_from_record(from_item(item)) if item else None

    def get_many(self, employee_ids: Iterable[str]) -> dict[str, Employee]:
        """The employees that exist among these ids, read with BatchGetItem (never a Scan).

        Raises DirectoryUnavailableError if DynamoDB fails or keeps handing keys back unprocessed.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        found: dict[str, Employee] = {}
        ids = list(dict.fromkeys(employee_ids))
        for start in range(0, len(ids), READ_BATCH):
            keys = [{"id": {"S": i}} for i in ids[start : start + READ_BATCH]]
            request: dict[str, Any] = {self.table: {"Keys": keys}}
            for attempt in range(ATTEMPTS):
                self._back_off(attempt)
                try:
                    response = self.client.batch_get_item(RequestItems=request)
                except (BotoCoreError, ClientError) as exc:
                    raise DirectoryUnavailableError(f"DynamoDB read failed: {exc}") from exc
                for item in response["Responses"].get(self.table, []):
                    employee = employee_from_record(from_item(item))
                    found[employee.id] = employee
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise DirectoryUnavailableError("DynamoDB kept throttling reads of the directory")
        return found

    def put(self, employee: Employee) -> None:
        self.note_directory([employee])
        self.client.put_item(TableName=self.table, Item=to_item(_stored(employee)))

    def note_directory(self, employees: Iterable[Employee]) -> None:
        """Add their time zones and teams to the record of those in use, before the employees are written.

        The digest planner Queries only zones in this record (a zone noted but never used costs one empty
        Query; an employee written in an unnoted zone would never get a digest, hence first); the site
        builds a leaderboard per team in it.
        """
        people = list(employees)
        self._add_to_record(
            zones={digest_zone(employee) for employee in people},
            teams={employee.team for employee in people if employee.team},
        )

    def _add_to_record(self, **sets: set[str]) -> None:
        """One UpdateItem adding names to the record's string sets (empty sets are left out)."""
        present = {attribute: sorted(names) for attribute, names in sets.items() if names}
        if not present:
            return
        self.client.update_item(
            TableName=settings().digests_table,
            Key=ZONES_KEY,
            UpdateExpression="ADD " + ", ".join(f"#{a} :{a}" for a in present),
            ExpressionAttributeNames={f"#{a}": a for a in present},
            ExpressionAttributeValues={f":{a}": {"SS": names} for a, names in present.items()},
        )

    def teams_in_use(self) -> list[str]:
        """Every team an employee was ever stored with, sorted (``backfill-digest-slots`` fills it for
        directories written before the record)."""
        item = self.client.get_item(TableName=settings().digests_table, Key=ZONES_KEY).get("Item")
        return sorted(item["teams"]["SS"]) if item and "teams" in item else []

    def zones_in_use(self) -> frozenset[str] | None:
        """Every time zone an employee was ever stored with; None for a directory written before the record."""
        item = self.client.get_item(TableName=settings().digests_table, Key=ZONES_KEY).get("Item")
        return frozenset(item["zones"]["SS"]) if item and "zones" in item else None

    def put_many(self, employees: Sequence[Employee]) -> None:
        """Store whole items with BatchWriteItem, 25 at a time, retrying what DynamoDB hands back.

        Each employee is one PutRequest, so an item is written entirely or not at all. On failure,
        DirectoryUnavailableError says which employees were written before it.
        """
        written: set[str] = set()
        self.note_directory(employees)
        for start in range(0, len(employees), WRITE_BATCH):
            chunk = employees[start : start + WRITE_BATCH]
            self._write_chunk(chunk, written)
            written.update(employee.id for employee in chunk)

    def _write_chunk(self, chunk: Sequence[Employee], written: set[str]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        pending = [{"PutRequest": {"Item": to_item(_stored(employee))}} for employee in chunk]
        for attempt in range(ATTEMPTS):
            self._back_off(attempt)
            try:
                response = self.client.batch_write_item(RequestItems={self.table: pending})
            except (BotoCoreError, ClientError) as exc:
                # Items an earlier attempt stored are known; those of the failed request are not
                # (a timeout may hide a write), so they are reported as not written.
                raise DirectoryUnavailableError(
                    f"DynamoDB write failed: {exc}", written | _done(chunk, pending)
                ) from exc
            pending = (response.get("UnprocessedItems") or {}).get(self.table, [])
            if not pending:
                return
        raise DirectoryUnavailableError(
            f"DynamoDB kept throttling: {len(pending)} items were not written", written | _done(chunk, pending)
        )

    def _back_off(self, attempt: int) -> None:
        if attempt:
            self.pause(min(FIRST_PAUSE * 2 ** (attempt - 1), MAX_PAUSE))

    def deactivate(self, employee_id: str, keep_on_leaderboard: bool, at: str) -> Employee:
        """Mark as left; the first deactivation time is kept if this is repeated."""
        return self._update(
            employee_id,
            "SET #active = :false, #keep = :keep, #deactivated = if_not_exists(#deactivated, :at), #updated = :at"
            " REMOVE #slot",
            {":false": False, ":keep": keep_on_leaderboard, ":at": at},
        )

    def reactivate(self, employee_id: str, at: str) -> Employee:
        return self._update(
            employee_id,
            "SET #active = :true, #keep = :false, #updated = :at REMOVE #deactivated",
            {":true": True, ":false": False, ":at": at},
        )

    def set_show_name(self, employee_id: str, show_name: bool, at: str) -> Employee:
        return self._update(employee_id, "SET #show = :show, #updated = :at", {":show": show_name, ":at": at})

    def set_digest_preferences(
        self,
        employee_id: str,
        cadence: str,
        locale: str | None = None,
        topics: Sequence[str] | None = None,
        *,
        at: str,
    ) -> Employee:
        """The employee's own digest choices (already normalised; None keeps a field as it is).

        A partial update, so a bounce suppression or an import landing meanwhile is never overwritten; the
        digest slot follows the new cadence.
        """
        assignments = ["#cadence = :cadence", "#updated = :at"]
        values: dict[str, Any] = {":cadence": cadence, ":at": at}
        if locale is not None:
            assignments.append("#locale = :locale")
            values[":locale"] = locale
        if topics is not None:
            assignments.append("#topics = :topics")
            values[":topics"] = list(topics)
        return self._update(employee_id, "SET " + ", ".join(assignments), values)

    def suppress_mail(self, employee_id: str, reason: str, at: str) -> Employee:
        """Stop mail to this employee's address; a repeated or later notice keeps the first reason and time."""
        return self._update(
            employee_id,
            "SET #suppressed = if_not_exists(#suppressed, :suppression), #updated = :at",
            {":suppression": {"reason": reason, "at": at}, ":at": at},
        )

    def _update(self, employee_id: str, expression: str, values: dict[str, Any]) -> Employee:
        from botocore.exceptions import ClientError

        names = {
            "#active": "active",
            "#keep": "keep_on_leaderboard",
            "#deactivated": "deactivated_at",
            "#updated": "updated_at",
            "#show": "show_name",
            "#suppressed": "mail_suppressed",
            "#cadence": "digest_cadence",
            "#locale": "locale",
            "#topics": "topics",
            "#slot": DIGEST_SLOT,
        }
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key={"id": {"S": employee_id}},
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(id)",  # an update must never create a half employee
                ExpressionAttributeNames={name: names[name] for name in names if name in expression},
                ExpressionAttributeValues=to_item(values),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise EmployeeNotFoundError(employee_id) from None
            raise
        attributes = response["Attributes"]
        employee = employee_from_record(from_item(attributes))
        self._keep_digest_slot(employee, attributes.get(DIGEST_SLOT, {}).get("S"))
        return employee

    def backfill_digest_slots(self) -> tuple[int, int]:
        """Give every employee the digest slot their record calls for; (employees read, slots changed).

        A one-off operator migration (``python -m functions.cli backfill-digest-slots``) for directories
        written before the planner's index existed: it reads the whole table, so never on a request.
        """
        read = changed = 0
        kwargs: dict[str, Any] = {"TableName": self.table}
        while True:
            page = self.client.scan(**kwargs)
            employees = [employee_from_record(from_item(item)) for item in page.get("Items", [])]
            self.note_directory(employees)
            for item, employee in zip(page.get("Items", []), employees, strict=True):
                read += 1
                stored = item.get(DIGEST_SLOT, {}).get("S")
                if digest_slot(employee) != stored:
                    self._keep_digest_slot(employee, stored)
                    changed += 1
            if "LastEvaluatedKey" not in page:
                return read, changed
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _keep_digest_slot(self, employee: Employee, stored: str | None) -> None:
        """Fix the digest slot after a partial update changed who the employee is to the planner.

        Conditional on ``updated_at``: if someone wrote the employee since, that write set its own slot.
        """
        from botocore.exceptions import ClientError

        wanted = digest_slot(employee)
        if wanted == stored:
            return
        values: dict[str, Any] = {":at": {"S": employee.updated_at}}
        if wanted:
            values[":slot"] = {"S": wanted}
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"id": {"S": employee.id}},
                UpdateExpression="SET #slot = :slot" if wanted else "REMOVE #slot",
                ConditionExpression="#updated = :at",
                ExpressionAttributeNames={"#slot": DIGEST_SLOT, "#updated": "updated_at"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise


def digest_slot_key(zone: str, day: str) -> str:
    """A ``digest_due`` partition: one time zone and ``daily`` or a weekday (``Europe/Warsaw#friday``)."""
    return f"{zone}#{day}"


def digest_slot(employee: Employee) -> str | None:
    """Where the digest planner finds this employee; None when they get no digest (left, ``off``, mail suppressed).

    An unknown zone or cadence (records older than the field rules) falls back to the model's defaults rather
    than hiding the employee from the planner for ever.
    """
    if not employee.active or employee.mail_suppressed is not None:
        return None
    try:
        cadence = normalise_cadence(employee.digest_cadence)
    except EmployeeFieldError:
        cadence = DEFAULT_CADENCE
    if cadence == "off":
        return None
    return digest_slot_key(digest_zone(employee), cadence.partition(":")[2] or "daily")


def digest_zone(employee: Employee) -> str:
    """The employee's zone as the planner reads it: canonical, UTC for an unknown one (older records)."""
    try:
        return normalise_timezone(employee.timezone)
    except EmployeeFieldError:
        return "UTC"


def _stored(employee: Employee) -> dict[str, Any]:
    return {**employee_record(employee), DIGEST_SLOT: digest_slot(employee)}


def _done(chunk: Sequence[Employee], pending: list[dict[str, Any]]) -> set[str]:
    """The ids of the chunk that DynamoDB has confirmed: all but those still pending."""
    unconfirmed = {request["PutRequest"]["Item"]["id"]["S"] for request in pending}
    return {employee.id for employee in chunk} - unconfirmed
