"""The only module that knows how employees are stored in DynamoDB."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from functions import aws
from functions.config import settings
from functions.directory.model import Employee, employee_from_record
from functions.dynamo import from_item, to_item


class EmployeeStore:
    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or settings().employees_table
        self.client = client or aws.dynamodb()

    def get(self, employee_id: str) -> Employee | None:
        response = self.client.get_item(TableName=self.table, Key={"id": {"S": employee_id}})
        item = response.get("Item")
        return employee_from_record(from_item(item)) if item else None

    def get_many(self, employee_ids: list[str]) -> dict[str, Employee]:
        """Batch-read up to a page of employees (the leaderboard's top K)."""
        found: dict[str, Employee] = {}
        ids = list(dict.fromkeys(employee_ids))
        for start in range(0, len(ids), 100):
            keys = [{"id": {"S": i}} for i in ids[start : start + 100]]
            request = {self.table: {"Keys": keys}}
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self.table, []):
                    employee = employee_from_record(from_item(item))
                    found[employee.id] = employee
                request = response.get("UnprocessedKeys") or {}
        return found

    def put(self, employee: Employee) -> None:
        self.client.put_item(TableName=self.table, Item=to_item(asdict(employee)))
