"""How many employees the directory holds, in all and active, overall and per team: one record, no Scan.

The KPIs' rates divide by these (participation: active employees; adoption: everyone in the directory).
The record sits beside the zones-and-teams record in the digests table (``#directory`` / ``counts``) and
every write that adds an employee or changes one's team or activity adds the change to it (``ADD``):
an import's new employees after each batch, its changed ones in the same transaction as their items,
deactivation and reactivation when they change something. A process that dies between an employee's
write and its count leaves the record off by that change: ``python -m functions.cli recount-directory``
counts the table again (a Scan, for operators only, never on a request) and replaces it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from functions import aws
from functions.config import settings

if TYPE_CHECKING:
    from functions.directory.model import Employee

COUNTS_KEY = {"employee_id": {"S": "#directory"}, "period": {"S": "counts"}}
EVERYONE = ""


@dataclass(frozen=True)
class DirectoryCounts:
    total: int = 0
    active: int = 0
    teams: dict[str, tuple[int, int]] = field(default_factory=dict)  # team -> (total, active)
    known: bool = True  # False: no record yet (a directory imported before it existed; recount it)

    def of_team(self, team: str | None) -> tuple[int, int]:
        """(everyone, active) of one team, or of the whole directory."""
        if team is None:
            return self.total, self.active
        return self.teams.get(team, (0, 0))


def change(before: Employee | None, after: Employee | None) -> Counter[str]:
    """What replacing ``before`` with ``after`` (either may be None) adds to each count."""
    delta: Counter[str] = Counter()
    for employee, sign in ((before, -1), (after, 1)):
        if employee is None:
            continue
        for name in _names(employee):
            delta[name] += sign
    return Counter({name: value for name, value in delta.items() if value})


def _names(employee: Employee) -> list[str]:
    names = ["total", f"total#{employee.team}"]
    if employee.active:
        names += ["active", f"active#{employee.team}"]
    return names


class CountsRecord:
    def __init__(self, client: Any = None, table: str | None = None) -> None:
        self.client = client or aws.dynamodb()
        self.table = table or settings().digests_table

    def read(self) -> DirectoryCounts:
        """One GetItem."""
        item = self.client.get_item(TableName=self.table, Key=COUNTS_KEY).get("Item")
        if not item:
            return DirectoryCounts(known=False)
        values = {name: int(value["N"]) for name, value in item.items() if "N" in value}
        teams = sorted({name.split("#", 1)[1] for name in values if "#" in name})
        return DirectoryCounts(
            max(values.get("total", 0), 0),
            max(values.get("active", 0), 0),
            {team: (max(values.get(f"total#{team}", 0), 0), max(values.get(f"active#{team}", 0), 0)) for team in teams},
        )

    def update(self, delta: Counter[str]) -> dict[str, Any] | None:
        """The UpdateItem that adds ``delta`` (for a transaction), or None when it changes nothing."""
        if not delta:
            return None
        names = sorted(delta)
        return {
            "TableName": self.table,
            "Key": COUNTS_KEY,
            "UpdateExpression": "ADD " + ", ".join(f"#c{n} :c{n}" for n in range(len(names))),
            "ExpressionAttributeNames": {f"#c{n}": name for n, name in enumerate(names)},
            "ExpressionAttributeValues": {f":c{n}": {"N": str(delta[name])} for n, name in enumerate(names)},
        }

    def add(self, delta: Counter[str]) -> None:
        update = self.update(delta)
        if update is not None:
            self.client.update_item(**update)

    def replace(self, employees: Iterable[Employee]) -> DirectoryCounts:
        """Store counts of exactly these employees (the recount)."""
        delta: Counter[str] = Counter()
        for employee in employees:
            delta.update(change(None, employee))
        item = {"employee_id": COUNTS_KEY["employee_id"], "period": COUNTS_KEY["period"]}
        item.update({name: {"N": str(value)} for name, value in delta.items()})
        self.client.put_item(TableName=self.table, Item=item)
        return self.read()
