"""The only module that knows how employees are stored in DynamoDB.

One item per employee, keyed by ``id`` (employee_id_for(email)). Items are never deleted: offboarding
flips ``active`` and stamps ``deactivated_at``, so history (shares, clicks, points) keeps its owner.

``digest_slot`` (``<time zone>#daily`` or ``<time zone>#<weekday>``) is the partition of the sparse
``digest_due`` index through which the hourly digest planner Queries the employees due now. Every write
keeps it in line: whole-item writes compute it, ``deactivate`` removes it, and other partial updates
(reactivation, mail suppression, the employee's own choices) fix it afterwards when it no longer matches.

``revision`` counts the writes to an item (every partial update adds one). An import's whole-item write
of an existing employee is conditional on the revision it read, so a choice, suppression or revocation
that lands between the import's read and its write is never overwritten: the import reads it again.
``chosen`` (a string set) names the settings the employee chose themselves.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from functions import aws
from functions.config import settings
from functions.directory.counts import CountsRecord, DirectoryCounts, change
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
TRANSACTION = 100  # TransactWriteItems' limit
ATTEMPTS = 8  # per batch, for keys or items DynamoDB hands back unprocessed
FIRST_PAUSE = 0.05
MAX_PAUSE = 1.0
DIGEST_INDEX = "digest_due"  # sparse GSI: digest_slot (HASH) + id (RANGE), keys only
DIGEST_SLOT = "digest_slot"
# One record in the digests table lists the time zones and teams in use, so the digest planner and the
# site's team leaderboards need no Scan to know them.
ZONES_KEY = {"employee_id": {"S": "#directory"}, "period": {"S": "zones"}}
_NAMES = {  # expression placeholders of the stored attributes partial updates touch
    "#active": "active",
    "#keep": "keep_on_leaderboard",
    "#deactivated": "deactivated_at",
    "#updated": "updated_at",
    "#show": "show_name",
    "#suppressed": "mail_suppressed",
    "#cadence": "digest_cadence",
    "#locale": "locale",
    "#topics": "topics",
    "#chosen": "chosen",
    "#tokens": "token_version",
    "#revision": "revision",
    "#slot": DIGEST_SLOT,
}
# "Still at the revision read" (``:seen``); revision 0 is also an item from before revisions existed.
_AT_REVISION = {False: "#revision = :seen", True: "(attribute_not_exists(#revision) OR #revision = :seen)"}
_CHOICE_NAMES = {"digest_cadence": "#cadence", "locale": "#locale", "topics": "#topics", "show_name": "#show"}


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

    @property
    def counts(self) -> CountsRecord:
        return CountsRecord(self.client)

    def put(self, employee: Employee) -> None:
        """Store one whole item as given, unconditionally (seeding the demo and tests); imports use the batches."""
        self.note_directory([employee])
        old = self.client.put_item(TableName=self.table, Item=to_item(_stored(employee)), ReturnValues="ALL_OLD")
        before = employee_from_record(from_item(old["Attributes"])) if old.get("Attributes") else None
        self.counts.add(change(before, employee))

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

    def due_in_slot(self, zone: str, day: str) -> Iterator[tuple[list[str], float]]:
        """The ids of employees whose digest is due in a zone on ``daily`` or a weekday, a page at a time
        (one Query of the sparse ``digest_due`` index each), with the read capacity each page consumed."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": DIGEST_INDEX,
            "KeyConditionExpression": "#slot = :slot",
            "ExpressionAttributeNames": {"#slot": DIGEST_SLOT},
            "ExpressionAttributeValues": {":slot": {"S": digest_slot_key(zone, day)}},
            "ProjectionExpression": "id",
            "ReturnConsumedCapacity": "TOTAL",
        }
        while True:
            page = self.client.query(**kwargs)
            capacity = float((page.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0))
            yield [item["id"]["S"] for item in page.get("Items", [])], capacity
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_many(self, employees: Sequence[Employee]) -> None:
        """Store whole items with BatchWriteItem, 25 at a time, retrying what DynamoDB hands back.

        Unconditional: for employees new to the directory (nobody but an import creates employees, and
        a new one has made no choices yet). Existing employees are written with ``put_if_unchanged``.

        Each employee is one PutRequest, so an item is written entirely or not at all. On failure,
        DirectoryUnavailableError says which employees were written before it.
        """
        written: set[str] = set()
        self.note_directory(employees)
        for start in range(0, len(employees), WRITE_BATCH):
            chunk = employees[start : start + WRITE_BATCH]
            try:
                self._write_chunk(chunk, written)
            except DirectoryUnavailableError as exc:
                self._count_new([employee for employee in chunk if employee.id in exc.written_ids])
                raise
            written.update(employee.id for employee in chunk)
            self._count_new(chunk)

    def _count_new(self, employees: Iterable[Employee]) -> None:
        delta: Counter[str] = Counter()
        for employee in employees:
            delta.update(change(None, employee))
        self.counts.add(delta)

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

    def put_if_unchanged(
        self, employees: Sequence[Employee], before: Mapping[str, Employee] | None = None
    ) -> frozenset[str]:
        """Store whole items of existing employees, each only if still at the ``revision`` it carries.

        TransactWriteItems, 100 conditional puts at a time (twice the write units of a batch; an import
        rarely changes many existing people; moto 5 deep-copies the table for every item of a transaction,
        so thousands of changed rows are slow locally only). Each item is written with ``revision + 1``.
        Returns the ids whose stored item changed since it was read (not written: read and merge again).
        ``before`` (each employee as read) lets the same transaction move the directory's counts.
        Raises DirectoryUnavailableError, with the ids written before, if DynamoDB fails or keeps refusing.
        """
        stale: set[str] = set()
        written: set[str] = set()
        for start in range(0, len(employees), TRANSACTION - 1):  # one place kept for the counts
            chunk = list(employees[start : start + TRANSACTION - 1])
            stale |= self._transact_chunk(chunk, written, before or {})
        return frozenset(stale)

    def _transact_chunk(self, chunk: list[Employee], written: set[str], before: Mapping[str, Employee]) -> set[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        stale: set[str] = set()
        for attempt in range(ATTEMPTS):
            self._back_off(attempt)
            if not chunk:
                return stale
            delta: Counter[str] = Counter()
            for employee in chunk:
                delta.update(change(before.get(employee.id), employee))
            counted = self.counts.update(delta)
            items = [self._checked_put(e) for e in chunk] + ([{"Update": counted}] if counted else [])
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as exc:
                reasons = [reason.get("Code") for reason in exc.response.get("CancellationReasons") or []]
                if len(reasons) != len(items):  # not a cancellation (or an unreadable one): nothing was written
                    raise DirectoryUnavailableError(f"DynamoDB write failed: {exc}", written) from exc
                reasons = reasons[: len(chunk)]
                # A cancelled transaction writes nothing: drop the stale items, retry the others.
                stale |= {e.id for e, code in zip(chunk, reasons, strict=True) if code == "ConditionalCheckFailed"}
                chunk = [e for e in chunk if e.id not in stale]
                continue
            except BotoCoreError as exc:
                raise DirectoryUnavailableError(f"DynamoDB write failed: {exc}", written) from exc
            written.update(e.id for e in chunk)
            return stale
        raise DirectoryUnavailableError(f"DynamoDB kept cancelling: {len(chunk)} items were not written", written)

    def _checked_put(self, employee: Employee) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item(_stored(replace(employee, revision=employee.revision + 1))),
                "ConditionExpression": "attribute_exists(id) AND " + _AT_REVISION[employee.revision == 0],
                "ExpressionAttributeNames": {"#revision": "revision"},
                "ExpressionAttributeValues": {":seen": {"N": str(employee.revision)}},
            }
        }

    def deactivate(self, employee_id: str, keep_on_leaderboard: bool, at: str) -> Employee:
        """Mark as left; the first deactivation time is kept if this is repeated."""
        return self._switch(
            employee_id,
            False,
            ["#active = :false", "#keep = :keep", "#deactivated = if_not_exists(#deactivated, :at)"],
            {":false": False, ":keep": keep_on_leaderboard, ":at": at},
            remove=["#slot"],
        )

    def reactivate(self, employee_id: str, at: str) -> Employee:
        return self._switch(
            employee_id,
            True,
            ["#active = :true", "#keep = :false"],
            {":true": True, ":false": False, ":at": at},
            remove=["#deactivated"],
        )

    def _switch(
        self, employee_id: str, active: bool, sets: list[str], values: dict[str, Any], remove: Sequence[str]
    ) -> Employee:
        """Deactivate or reactivate: the counts move only when the employee's activity did."""
        try:
            employee = self._update(
                employee_id, sets, {**values, ":active_now": active}, remove, condition="#active <> :active_now"
            )
        except EmployeeNotFoundError:  # missing (raised again below), or already as asked
            return self._update(employee_id, sets, values, remove)
        self.counts.add(Counter({"active": 1 if active else -1, f"active#{employee.team}": 1 if active else -1}))
        return employee

    def record_own_choices(self, employee_id: str, choices: Mapping[str, Any], at: str) -> Employee:
        """Settings the employee chose themselves (already normalised; keys from OWN_CHOICES).

        Written and remembered as theirs in ``chosen``, in one partial update, so a bounce suppression or
        an import landing meanwhile is never overwritten; the digest slot follows a new cadence.
        """
        sets, values = [], {":at": at, ":chosen": set(choices)}
        for number, (field, value) in enumerate(choices.items()):
            sets.append(f"{_CHOICE_NAMES[field]} = :c{number}")
            values[f":c{number}"] = list(value) if field == "topics" else value
        return self._update(employee_id, sets, values, add=["#chosen :chosen"])

    def revoke_tokens(self, employee_id: str, at: str) -> Employee:
        """Withdraw every employee token and signed link issued to this employee so far (their version + 1)."""
        return self._update(employee_id, [], {":at": at}, add=["#tokens :bump"])

    def suppress_mail(self, employee_id: str, reason: str, at: str) -> Employee:
        """Stop mail to this employee's address; a repeated or later notice keeps the first reason and time."""
        return self._update(
            employee_id,
            ["#suppressed = if_not_exists(#suppressed, :suppression)"],
            {":suppression": {"reason": reason, "at": at}, ":at": at},
        )

    def _update(
        self,
        employee_id: str,
        sets: list[str],
        values: dict[str, Any],
        remove: Sequence[str] = (),
        add: Sequence[str] = (),
        condition: str = "",
    ) -> Employee:
        """One partial update of an existing employee; it stamps ``updated_at`` (``:at``) and bumps ``revision``.
        ``condition``, if given, must hold too (EmployeeNotFoundError when it does not)."""
        from botocore.exceptions import ClientError

        expression = "SET " + ", ".join([*sets, "#updated = :at"]) + " ADD " + ", ".join([*add, "#revision :bump"])
        if remove:
            expression += " REMOVE " + ", ".join(remove)
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key={"id": {"S": employee_id}},
                UpdateExpression=expression,
                # an update must never create a half employee
                ConditionExpression="attribute_exists(id)" + (f" AND {condition}" if condition else ""),
                ExpressionAttributeNames={
                    name: _NAMES[name] for name in _NAMES if name in expression or name in condition
                },
                ExpressionAttributeValues=to_item({**values, ":bump": 1}),
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

    def recount(self) -> DirectoryCounts:
        """Count every employee again and store the counts (``python -m functions.cli recount-directory``): a
        Scan, for operators only, after a directory imported before the counts existed or a write that died
        between an employee and its count."""
        employees: list[Employee] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "ProjectionExpression": "id, email, #n, team, active",
            "ExpressionAttributeNames": {"#n": "name"},
        }
        while True:
            page = self.client.scan(**kwargs)
            employees.extend(employee_from_record(from_item(item)) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return self.counts.replace(employees)
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _keep_digest_slot(self, employee: Employee, stored: str | None) -> None:
        """Fix the digest slot after a partial update changed who the employee is to the planner.

        Conditional on ``revision``: if someone wrote the employee since, that write set its own slot. (The
        fix itself leaves the revision alone: it changes nothing an import merges.)
        """
        from botocore.exceptions import ClientError

        wanted = digest_slot(employee)
        if wanted == stored:
            return
        values: dict[str, Any] = {":seen": {"N": str(employee.revision)}}
        if wanted:
            values[":slot"] = {"S": wanted}
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"id": {"S": employee.id}},
                UpdateExpression="SET #slot = :slot" if wanted else "REMOVE #slot",
                ConditionExpression=_AT_REVISION[employee.revision == 0],
                ExpressionAttributeNames={"#slot": DIGEST_SLOT, "#revision": "revision"},
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
