"""The aggregates table: employees' figures, leaderboards, and the counting run's checkpoint and lease.

The only module that knows these shapes (pk / sk ``-``):

- ``EMP#<employee>``: one number per period and metric, ``W#2026-W47|points``, ``M#2026-11|shares``,
  ``A|unique_human_clicks`` … for this and the previous week and month and all time; ``team`` (last seen),
  ``was`` (the team before the last slice) and ``applied`` (the end of the last slice folded in, epoch
  seconds). A slice is added with one UpdateItem whose condition is that watermark: re-running a slice
  changes nothing, and still hands back the totals. ``badges`` (a string set) and ``streak_week``,
  ``streak_current``, ``streak_best``, ``streak_best_before`` (functions/stats/badges.py), set by a
  second UpdateItem of the same slice only when they change (about once a week, and once per badge);
  ``story_100`` is added by the day's readers pass (functions/kpis/readers.py).
- ``BOARD#<period>#<team or *>``: ``top`` and ``hist`` as JSON (functions/stats/boards.py) and
  ``applied``, replaced with a PutItem conditioned on that watermark.
- ``CHECKPOINT``: ``slice_end`` and ``state_key``, the last slice counted and the S3 key of the decision
  state after it. ``LEASE``: the counting run that holds the table now, until when.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from functions import aws
from functions.config import settings
from functions.dynamo import is_condition_failure
from functions.lease import Lease
from functions.stats.badges import Streak
from functions.stats.boards import Board, Entry
from functions.stats.folding import METRICS, EmployeeTotals

NO_SORT_KEY = {"S": "-"}
CHECKPOINT_KEY = {"pk": {"S": "CHECKPOINT"}, "sk": NO_SORT_KEY}
LEASE_KEY = {"pk": {"S": "LEASE"}, "sk": NO_SORT_KEY}
READ_BATCH = 100


class CountingConflictError(RuntimeError):
    """Another counting run moved the checkpoint: this one stops (the lease should make this impossible)."""


@dataclass(frozen=True)
class Checkpoint:
    slice_end: int
    state_key: str  # "" before the first slice with events


def _employee_key(employee_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"EMP#{employee_id}"}, "sk": NO_SORT_KEY}


def _board_key(period: str, scope: str) -> dict[str, Any]:
    return {"pk": {"S": f"BOARD#{period}#{scope}"}, "sk": NO_SORT_KEY}


def totals_from_item(employee_id: str, item: Mapping[str, Any]) -> EmployeeTotals:
    figures: dict[str, dict[str, int]] = {}
    for name, value in item.items():
        if "|" in name and "N" in value:
            period, metric = name.rsplit("|", 1)
            figures.setdefault(period, {})[metric] = int(value["N"])
    team = item.get("team", {}).get("S", "")
    streak = Streak(
        item.get("streak_week", {}).get("S", ""),
        int(item.get("streak_current", {}).get("N", "0")),
        int(item.get("streak_best", {}).get("N", "0")),
        int(item.get("streak_best_before", {}).get("N", "0")),
    )
    badges = frozenset(item.get("badges", {}).get("SS", ()))
    return EmployeeTotals(employee_id, team, item.get("was", {}).get("S", team), figures, badges, streak)


def board_from_item(period: str, scope: str, item: Mapping[str, Any] | None) -> Board:
    if not item:
        return Board(period, scope)
    top = [Entry(*row) for row in json.loads(item["top"]["S"])]
    hist = {int(points): count for points, count in json.loads(item["hist"]["S"]).items()}
    return Board(period, scope, top, hist, int(item["applied"]["N"]))


def board_item(board: Board, applied: int) -> dict[str, Any]:
    top = [[e.employee_id, e.points, e.shares, e.human_clicks, e.unique_human_clicks] for e in board.top]
    hist = {str(points): count for points, count in sorted(board.hist.items())}
    return {
        **_board_key(board.period, board.scope),
        "top": {"S": json.dumps(top, separators=(",", ":"))},
        "hist": {"S": json.dumps(hist, separators=(",", ":"))},
        "applied": {"N": str(applied)},
    }


class AggregateStore:
    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or settings().aggregates_table
        self.client = client or aws.dynamodb()

    # --- employees -----------------------------------------------------------------------------------

    def employee(self, employee_id: str) -> EmployeeTotals | None:
        item = self.client.get_item(TableName=self.table, Key=_employee_key(employee_id)).get("Item")
        return totals_from_item(employee_id, item) if item else None

    def add_to_employee(
        self,
        employee_id: str,
        team: str,
        changes: Mapping[str, Mapping[str, int]],
        slice_end: int,
        stale: Iterable[str],
    ) -> tuple[EmployeeTotals, dict[str, Any]]:
        """Add a slice's changes (period -> metric -> amount) once, dropping the ``stale`` periods' figures.

        Returns the totals after this slice, and the item: the same whether this call applied the slice
        or an earlier, interrupted run did.
        """
        names: dict[str, str] = {"#team": "team", "#was": "was", "#applied": "applied"}
        values: dict[str, Any] = {":slice": {"N": str(slice_end)}, ":team": {"S": team}}
        adds: list[str] = []
        removes: list[str] = []
        for period, metrics in sorted(changes.items()):
            for metric, amount in sorted(metrics.items()):
                if amount:
                    n = len(adds)
                    names[f"#a{n}"] = f"{period}|{metric}"
                    values[f":a{n}"] = {"N": str(amount)}
                    adds.append(f"#a{n} :a{n}")
        for period in sorted(set(stale) - set(changes)):
            for metric in METRICS:
                n = len(removes)
                names[f"#r{n}"] = f"{period}|{metric}"
                removes.append(f"#r{n}")
        expression = "SET #applied = :slice, #was = if_not_exists(#team, :team), #team = :team"
        if adds:
            expression += " ADD " + ", ".join(adds)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key=_employee_key(employee_id),
                UpdateExpression=expression,
                ConditionExpression="attribute_not_exists(#applied) OR #applied < :slice",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            item = response["Attributes"]
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            item = exc.response.get("Item") or {}
            if int(item.get("applied", {}).get("N", "0")) != slice_end:
                raise CountingConflictError(f"employee {employee_id} is past slice {slice_end}") from exc
        return totals_from_item(employee_id, item), item

    def note_progress(self, employee_id: str, badges: set[str] | None, streak: Streak | None, slice_end: int) -> None:
        """Set the badges (all of them: a revision can take one back) and the streak, where changed, as this
        slice decided them (unless a later slice updated the item since: that slice decides them again)."""
        names = {"#applied": "applied"}
        values: dict[str, Any] = {":slice": {"N": str(slice_end)}}
        sets, removes = [], []
        if streak is not None:
            names |= {"#week": "streak_week", "#current": "streak_current", "#best": "streak_best"}
            names["#before"] = "streak_best_before"
            values |= {
                ":week": {"S": streak.week},
                ":current": {"N": str(streak.current)},
                ":best": {"N": str(streak.best)},
                ":before": {"N": str(streak.best_before)},
            }
            sets.append("#week = :week, #current = :current, #best = :best, #before = :before")
        if badges is not None:
            names["#badges"] = "badges"
            if badges:
                values[":badges"] = {"SS": sorted(badges)}
                sets.append("#badges = :badges")
            else:  # a string set cannot be empty
                removes.append("#badges")
        clauses = [f"SET {', '.join(sets)}"] if sets else []
        clauses += [f"REMOVE {', '.join(removes)}"] if removes else []
        if not clauses:
            return
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.update_item(
                TableName=self.table,
                Key=_employee_key(employee_id),
                UpdateExpression=" ".join(clauses),
                ConditionExpression="#applied = :slice",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )

    def award(self, employee_id: str, badges: set[str]) -> None:
        """Add badges decided outside a slice (functions/kpis/readers.py) to an employee's item, if it exists:
        adding one held already changes nothing."""
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.update_item(
                TableName=self.table,
                Key=_employee_key(employee_id),
                UpdateExpression="ADD #badges :badges",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#badges": "badges"},
                ExpressionAttributeValues={":badges": {"SS": sorted(badges)}},
            )

    def drop_periods(self, employee_id: str, periods: Mapping[str, Iterable[str]], slice_end: int) -> None:
        """Remove the figures (period -> names) of periods no longer kept, seen on an item the slice just updated."""
        pairs = [(p, m) for p in sorted(periods) for m in sorted(periods[p])]
        names = {f"#r{n}": f"{p}|{m}" for n, (p, m) in enumerate(pairs)}
        # if a later slice updated the item meanwhile, that slice drops them
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.update_item(
                TableName=self.table,
                Key=_employee_key(employee_id),
                UpdateExpression="REMOVE " + ", ".join(names),
                ConditionExpression="#applied = :slice",
                ExpressionAttributeNames={**names, "#applied": "applied"},
                ExpressionAttributeValues={":slice": {"N": str(slice_end)}},
            )

    # --- boards ----------------------------------------------------------------------------------------

    def board(self, period: str, scope: str, consistent: bool = False) -> Board:
        item = self.client.get_item(TableName=self.table, Key=_board_key(period, scope), ConsistentRead=consistent).get(
            "Item"
        )
        return board_from_item(period, scope, item)

    def boards(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Board]:
        """Several boards in one BatchGetItem (per 100); missing ones come back empty."""
        keys = list(dict.fromkeys(wanted))
        found = {key: Board(*key) for key in keys}
        by_pk = {_board_key(*key)["pk"]["S"]: key for key in keys}
        for start in range(0, len(keys), READ_BATCH):
            chunk = [_board_key(*key) for key in keys[start : start + READ_BATCH]]
            request: dict[str, Any] = {self.table: {"Keys": chunk}}
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self.table, []):
                    period, scope = by_pk[item["pk"]["S"]]
                    found[(period, scope)] = board_from_item(period, scope, item)
                request = response.get("UnprocessedKeys") or {}
        return found

    def put_board(self, board: Board, slice_end: int) -> tuple[bool, dict[str, Any]]:
        """Store a board with this slice folded in, unless it already is. Returns (written, item)."""
        item = board_item(board, slice_end)
        try:
            self.client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(applied) OR applied < :slice",
                ExpressionAttributeValues={":slice": {"N": str(slice_end)}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False, item
        return True, item

    # --- the counting run's own records ----------------------------------------------------------------

    def checkpoint(self) -> Checkpoint | None:
        item = self.client.get_item(TableName=self.table, Key=CHECKPOINT_KEY, ConsistentRead=True).get("Item")
        if not item:
            return None
        return Checkpoint(int(item["slice_end"]["N"]), item.get("state_key", {}).get("S", ""))

    def move_checkpoint(self, previous: Checkpoint | None, to: Checkpoint) -> None:
        """Record that every slice up to ``to.slice_end`` is counted, if nobody moved it since ``previous``."""
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(slice_end)"}
        if previous is not None:
            condition = {
                "ConditionExpression": "slice_end = :previous",
                "ExpressionAttributeValues": {":previous": {"N": str(previous.slice_end)}},
            }
        item = {**CHECKPOINT_KEY, "slice_end": {"N": str(to.slice_end)}, "state_key": {"S": to.state_key}}
        try:
            self.client.put_item(TableName=self.table, Item=item, **condition)
        except Exception as exc:
            if is_condition_failure(exc):
                raise CountingConflictError("another counting run moved the checkpoint") from exc
            raise

    def lease(self) -> Lease:
        """The counting run's lease (functions/lease.py), kept in this table."""
        return Lease(self.client, self.table, LEASE_KEY, until="until")

    def take_lease(self, owner: str, now: float, seconds: float) -> bool:
        return self.lease().take(owner, now, seconds)

    def release_lease(self, owner: str) -> None:
        """End our lease now (unless it ran out and another run holds it: theirs to end)."""
        self.lease().release(owner)

    def clear_lease(self) -> None:
        """Forget any lease: only for a process that is the one counter, at its start (``make run``, whose
        saved state may hold the lease of a run that was stopped mid-way)."""
        self.lease().clear()
