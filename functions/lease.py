"""Leases: one holder at a time for a job that must not run twice at once (a site build, a counting run).

A lease is one item, written with a conditional PutItem that succeeds only when nobody holds it or the
holder's time ran out, so a holder that crashed blocks the next one only until then. This is the only
module that knows a lease item's shape: ``owner`` (a random id per holder) and the epoch second the lease
runs out, in an attribute each table has always named its own way (``lease_until``, ``until``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SITE_BUILD_KEY = {"employee_id": {"S": "#site"}, "period": {"S": "build"}}  # in the digests table


@dataclass(frozen=True)
class Lease:
    client: Any  # a boto3 DynamoDB client
    table: str
    key: Mapping[str, Any]
    until: str = "until"  # the attribute holding when the lease runs out

    def take(self, owner: str, now: float, seconds: float) -> bool:
        """Hold the lease for ``seconds`` from ``now`` (epoch seconds); False while someone else holds it."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item={**self.key, "owner": {"S": owner}, self.until: {"N": str(int(now + seconds))}},
                ConditionExpression="attribute_not_exists(#until) OR #until < :now",
                ExpressionAttributeNames={"#until": self.until},
                ExpressionAttributeValues={":now": {"N": str(int(now))}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, owner: str) -> None:
        """End our lease now (unless it ran out and another holder has it: theirs to end)."""
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.update_item(
                TableName=self.table,
                Key=dict(self.key),
                UpdateExpression="SET #until = :zero",
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#until": self.until, "#owner": "owner"},
                ExpressionAttributeValues={":me": {"S": owner}, ":zero": {"N": "0"}},
            )

    def clear(self) -> None:
        """Forget the lease whoever holds it: only for a process that knows it is the one holder."""
        self.client.delete_item(TableName=self.table, Key=dict(self.key))


def site_build_lease(client: Any, table: str | None = None) -> Lease:
    """The lease of the static site's build, kept in the digests table (Chorus's small system records)."""
    from functions.config import settings

    return Lease(client, table or settings().digests_table, SITE_BUILD_KEY, until="lease_until")
