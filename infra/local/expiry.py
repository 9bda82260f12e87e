"""Expire TTL items locally, as DynamoDB does in AWS: moto stores the TTL attribute but never deletes.

Every table with a TTL specification in infra/template.yaml (events, digest records… whatever the
template says) is swept: items whose TTL attribute is a number of epoch seconds already past are
deleted. DynamoDB itself deletes expired items "within a few days", so a sweep a minute is more than
faithful; like DynamoDB it leaves alone an item whose TTL attribute is not a number, or an epoch more than
five years in the past, and an item whose TTL was moved into the future meanwhile (the delete is
conditional). Without the sweep a long-running `make run` keeps every click event and exactly-once
marker forever: the tables, and moto's memory, only grow.

A local-only tool, so it Scans: DynamoDB's own TTL needs no reads at all, and nothing deployed may
scan a table on a schedule, but here there is no other way to find what has expired, the tables are
small, and a Scan a minute costs nothing. It runs on its own thread of the runner.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

SWEEP_SECONDS = 60.0
_FIVE_YEARS = 5 * 365 * 86400  # DynamoDB ignores TTL values further in the past than this


def ttl_attributes(stage: str = "dev") -> dict[str, str]:
    """Table name → its TTL attribute, for every table whose TTL the template enables."""
    from infra.resources import tables

    return {
        spec["create"]["TableName"]: spec["ttl"]["AttributeName"]
        for spec in tables(stage).values()
        if spec["ttl"] and spec["ttl"].get("Enabled", True)
    }


class TtlSweeper:
    def __init__(self, dynamodb: Any, attributes: dict[str, str], clock: Callable[[], float] = time.time) -> None:
        self.dynamodb = dynamodb
        self.attributes = attributes
        self.clock = clock
        self._keys: dict[str, list[str]] = {}

    def sweep(self) -> dict[str, int]:
        """Delete what has expired by now; returns the items deleted per table."""
        now = int(self.clock())
        return {table: self._sweep(table, attribute, now) for table, attribute in self.attributes.items()}

    def run(self, stopping: threading.Event, every: float = SWEEP_SECONDS) -> None:
        """Sweep now and then every ``every`` seconds until ``stopping`` is set (the runner's thread)."""
        while True:
            try:
                self.sweep()
            except Exception as exc:  # noqa: BLE001 - keep sweeping; say what went wrong
                print(f"expiring TTL items failed: {exc!r}", file=sys.stderr, flush=True)
            if stopping.wait(every):
                return

    def _sweep(self, table: str, attribute: str, now: int) -> int:
        keys = self._key_attributes(table)
        names = {f"#k{i}": name for i, name in enumerate(keys)} | {"#ttl": attribute}
        values = {":number": {"S": "N"}, ":oldest": {"N": str(now - _FIVE_YEARS)}, ":now": {"N": str(now)}}
        kwargs: dict[str, Any] = {
            "TableName": table,
            "FilterExpression": "attribute_type(#ttl, :number) AND #ttl BETWEEN :oldest AND :now",
            "ProjectionExpression": ", ".join(n for n in names if n != "#ttl"),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        deleted = 0
        while True:
            page = self.dynamodb.scan(**kwargs)
            for key in page.get("Items", []):
                deleted += self._delete(table, key, attribute, now)
            if "LastEvaluatedKey" not in page:
                return deleted
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _delete(self, table: str, key: dict[str, Any], attribute: str, now: int) -> int:
        try:
            self.dynamodb.delete_item(
                TableName=table,
                Key=key,
                ConditionExpression="#ttl <= :now",  # still expired: not given a new lease of life meanwhile
                ExpressionAttributeNames={"#ttl": attribute},
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return 0
        return 1

    def _key_attributes(self, table: str) -> list[str]:
        if table not in self._keys:
            schema = self.dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
            self._keys[table] = [part["AttributeName"] for part in schema]
        return self._keys[table]
