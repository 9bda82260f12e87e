"""The only module that knows how employees are stored in DynamoDB.

One item per employee, keyed by ``id`` (employee_id_for(email)). Items are never deleted: offboarding
flips ``active`` and stamps ``deactivated_at``, so history (shares, clicks, points) keeps its owner.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from functions import aws
from functions.config import settings
from functions.directory.model import Employee, EmployeeNotFoundError, employee_from_record, employee_record
from functions.dynamo import from_item, is_condition_failure, to_item

READ_BATCH = 100  # BatchGetItem's limit
WRITE_BATCH = 25  # BatchWriteItem's limit
ATTEMPTS = 8  # per batch, for keys or items DynamoDB hands back unprocessed
FIRST_PAUSE = 0.05
MAX_PAUSE = 1.0


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
        self.client.put_item(TableName=self.table, Item=to_item(employee_record(employee)))

    def put_many(self, employees: Sequence[Employee]) -> None:
        """Store whole items with BatchWriteItem, 25 at a time, retrying what DynamoDB hands back.

        Each employee is one PutRequest, so an item is written entirely or not at all. On failure,
        DirectoryUnavailableError says which employees were written before it.
        """
        written: set[str] = set()
        for start in range(0, len(employees), WRITE_BATCH):
            chunk = employees[start : start + WRITE_BATCH]
            self._write_chunk(chunk, written)
            written.update(employee.id for employee in chunk)

    def _write_chunk(self, chunk: Sequence[Employee], written: set[str]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        pending = [{"PutRequest": {"Item": to_item(employee_record(employee))}} for employee in chunk]
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
            "SET #active = :false, #keep = :keep, #deactivated = if_not_exists(#deactivated, :at), #updated = :at",
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

    def _update(self, employee_id: str, expression: str, values: dict[str, Any]) -> Employee:
        from botocore.exceptions import ClientError

        names = {
            "#active": "active",
            "#keep": "keep_on_leaderboard",
            "#deactivated": "deactivated_at",
            "#updated": "updated_at",
            "#show": "show_name",
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
        return employee_from_record(from_item(response["Attributes"]))


def _done(chunk: Sequence[Employee], pending: list[dict[str, Any]]) -> set[str]:
    """The ids of the chunk that DynamoDB has confirmed: all but those still pending."""
    unconfirmed = {request["PutRequest"]["Item"]["id"]["S"] for request in pending}
    return {employee.id for employee in chunk} - unconfirmed
