"""The polls table: each employee's answer to each poll and each poll's running totals; the only code that
knows its keys.

Two kinds of item under one partition per poll (``pk = P#<poll_id>``):

- ``sk = E#<employee_id>``: ``offered_at`` (a digest carrying the poll was sent to them), ``score``,
  ``answered_at`` (the first answer, kept when it changes), ``changed_at`` (the latest) and ``expires_at``
  (DynamoDB TTL: the individual answer goes once it can no longer be changed; the totals stay). Nothing
  else about the answer is stored: no address, no browser.
- ``sk = TOTALS``: ``sent`` (employees offered the poll), ``responses`` (employees who answered) and
  ``s0`` … ``s10`` (answers per value). Never expires.

Totals move in the same transaction as the employee's item, each write conditional on what was read, so
they always equal the items without anyone reading (or scanning) those: a summary is one GetItem, a year
of polls one BatchGetItem. ``sent`` counts an employee once however often the offer is noted, and an
answer from someone whose offer was never noted (the note failed after the send) counts them as sent, so
``responses <= sent`` always holds.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from functions import aws
from functions.config import settings
from functions.dynamo import error_code, from_item, to_item

TOTALS = "TOTALS"
ATTEMPTS = 4  # an answer racing another answer of the same employee reads again and retries
BATCH = 100  # keys per BatchGetItem


class PollBusyError(RuntimeError):
    """An answer could not be written after several attempts (concurrent answers of one employee)."""


@dataclass(frozen=True)
class StoredAnswer:
    poll_id: str
    employee_id: str
    score: int | None  # None: offered, not answered
    offered_at: str | None = None
    answered_at: str | None = None
    changed_at: str | None = None


@dataclass(frozen=True)
class PollTotals:
    poll_id: str
    sent: int = 0
    responses: int = 0
    counts: dict[int, int] = field(default_factory=dict)  # answer value -> employees who gave it


class PollStore:
    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or settings().polls_table
        self.client = client or aws.dynamodb()

    # --- offering ----------------------------------------------------------------------------------

    def offered(self, employee_id: str, poll_ids: Iterable[str]) -> set[str]:
        """Which of ``poll_ids`` a digest already carried to this employee (one BatchGetItem)."""
        keys = [_employee_key(poll_id, employee_id) for poll_id in dict.fromkeys(poll_ids)]
        items = self._batch_get(keys, "pk, offered_at")
        return {item["pk"]["S"].removeprefix("P#") for item in items if "offered_at" in item}

    def note_offered(self, employee_id: str, poll_id: str, at: str, expires_at: int) -> bool:
        """Record that a sent digest carried the poll to this employee; False if that was known already."""
        items = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _employee_key(poll_id, employee_id),
                    "UpdateExpression": "SET #offered = :at, #expires = if_not_exists(#expires, :expires)",
                    "ConditionExpression": "attribute_not_exists(#offered)",
                    "ExpressionAttributeNames": {"#offered": "offered_at", "#expires": "expires_at"},
                    "ExpressionAttributeValues": to_item({":at": at, ":expires": expires_at}),
                }
            },
            self._totals_update(poll_id, at, {"sent": 1}),
        ]
        return self._transact(items)

    # --- answering ---------------------------------------------------------------------------------

    def answer_of(self, employee_id: str, poll_id: str) -> StoredAnswer | None:
        item = self.client.get_item(
            TableName=self.table, Key=_employee_key(poll_id, employee_id), ConsistentRead=True
        ).get("Item")
        return _answer(from_item(item)) if item else None

    def record(self, employee_id: str, poll_id: str, score: int, at: str, expires_at: int) -> StoredAnswer:
        """Store the employee's answer (a second one replaces the first; ``answered_at`` stays the first's).

        Each attempt reads the item, then writes it and the totals in one transaction conditional on what it
        read; a concurrent answer makes it read again. PollBusyError after ATTEMPTS.
        """
        for _ in range(ATTEMPTS):
            current = self.answer_of(employee_id, poll_id)
            if current is not None and current.score == score:
                return current  # the same answer again: nothing changes, not even changed_at
            if self._transact(self._answer_writes(employee_id, poll_id, score, at, expires_at, current)):
                return StoredAnswer(
                    poll_id,
                    employee_id,
                    score,
                    offered_at=(current and current.offered_at) or at,
                    answered_at=(current and current.answered_at) or at,
                    changed_at=at,
                )
        raise PollBusyError(f"could not record an answer to {poll_id} after {ATTEMPTS} attempts")

    def _answer_writes(
        self, employee_id: str, poll_id: str, score: int, at: str, expires_at: int, current: StoredAnswer | None
    ) -> list[dict[str, Any]]:
        names = {
            "#score": "score",
            "#offered": "offered_at",
            "#answered": "answered_at",
            "#changed": "changed_at",
            "#expires": "expires_at",
        }
        values: dict[str, Any] = {":score": score, ":at": at, ":expires": expires_at}
        if current is None:
            condition = "attribute_not_exists(pk)"
        elif current.score is None:
            condition = "attribute_not_exists(#score)"
        else:
            condition, values[":old"] = "#score = :old", current.score
        if current is not None:  # whether the offer was noted decides whether ``sent`` moves: it must not change
            noted = "attribute_exists" if current.offered_at else "attribute_not_exists"
            condition += f" AND {noted}(#offered)"
        moves = {f"s{score}": 1}
        if current is None or current.score is None:
            moves["responses"] = 1
        else:
            moves[f"s{current.score}"] = -1
        if current is None or current.offered_at is None:
            moves["sent"] = 1
        return [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _employee_key(poll_id, employee_id),
                    "UpdateExpression": "SET #score = :score, #changed = :at, #expires = :expires,"
                    " #answered = if_not_exists(#answered, :at), #offered = if_not_exists(#offered, :at)",
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": to_item(values),
                }
            },
            self._totals_update(poll_id, at, moves),
        ]

    # --- results -----------------------------------------------------------------------------------

    def totals(self, poll_ids: Iterable[str]) -> dict[str, PollTotals]:
        """The totals of each poll that has any (sent or answered), by poll id (BatchGetItem, 100 keys a call)."""
        keys = [_totals_key(poll_id) for poll_id in dict.fromkeys(poll_ids)]
        found = {}
        for item in self._batch_get(keys, None):
            values = from_item(item)
            poll_id = values["pk"].removeprefix("P#")
            counts = {
                int(name[1:]): int(count)
                for name, count in values.items()
                if name[:1] == "s" and name[1:].isdecimal() and count
            }
            found[poll_id] = PollTotals(poll_id, int(values.get("sent", 0)), int(values.get("responses", 0)), counts)
        return found

    # --- DynamoDB ----------------------------------------------------------------------------------

    def _totals_update(self, poll_id: str, at: str, moves: dict[str, int]) -> dict[str, Any]:
        names = {f"#{name}": name for name in moves}
        values = {f":{name}": amount for name, amount in moves.items()}
        adds = ", ".join(f"#{name} :{name}" for name in moves)
        return {
            "Update": {
                "TableName": self.table,
                "Key": _totals_key(poll_id),
                "UpdateExpression": f"SET #updated = :at ADD {adds}",
                "ExpressionAttributeNames": {**names, "#updated": "updated_at"},
                "ExpressionAttributeValues": to_item({**values, ":at": at}),
            }
        }

    def _transact(self, items: list[dict[str, Any]]) -> bool:
        """True when written; False when a condition no longer holds (or another transaction got there first)."""
        from botocore.exceptions import ClientError

        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = {reason.get("Code") for reason in exc.response.get("CancellationReasons", [])}
            if reasons & {"ConditionalCheckFailed", "TransactionConflict"}:
                return False
            raise
        return True

    def _batch_get(self, keys: list[dict[str, Any]], projection: str | None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH):
            request: dict[str, Any] = {"Keys": keys[start : start + BATCH]}
            if projection:
                request["ProjectionExpression"] = projection
            pending = {self.table: request}
            for attempt in itertools.count():
                page = self.client.batch_get_item(RequestItems=pending)
                items.extend(page.get("Responses", {}).get(self.table, []))
                pending = page.get("UnprocessedKeys") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))  # the table is throttled: give it a moment
        return items


def _employee_key(poll_id: str, employee_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"P#{poll_id}"}, "sk": {"S": f"E#{employee_id}"}}


def _totals_key(poll_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"P#{poll_id}"}, "sk": {"S": TOTALS}}


def _answer(values: dict[str, Any]) -> StoredAnswer:
    score = values.get("score")
    return StoredAnswer(
        poll_id=values["pk"].removeprefix("P#"),
        employee_id=values["sk"].removeprefix("E#"),
        score=None if score is None else int(score),
        offered_at=values.get("offered_at"),
        answered_at=values.get("answered_at"),
        changed_at=values.get("changed_at"),
    )
