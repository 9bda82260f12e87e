"""Directory operations: importing a CSV, offboarding, and an employee's own name opt-out.

Import decisions (see also csv_import's module docstring for what a blank cell means):

* ``mode="valid_rows"`` writes the valid rows and reports the invalid ones; ``mode="all_or_nothing"``
  reads and writes nothing if any row is invalid. "All or nothing" is about validation: DynamoDB has
  no transaction for 20,000 items, so a storage failure mid-way can still leave part of a file written.
  That case raises ImportInterruptedError whose report lists exactly the lines written; re-importing
  the same file is idempotent and completes the job.
* The key is the email, case-insensitively (employee_id_for). A re-import overwrites only the fields
  the file carries, never re-activates someone who was offboarded unless the file has ``active=yes``,
  and skips writing rows whose stored employee already matches (they count as unchanged).
* Existing employees are read with BatchGetItem, never a Scan, and an import writes whole items, so
  a concurrent opt-out that lands between the read and the write of the same row can be overwritten
  by that row's write. Only rows that change are written, which keeps that window small.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from functions.directory.csv_import import EmployeeRow, RowError, parse_directory_csv
from functions.directory.model import Employee
from functions.directory.store import DirectoryUnavailableError, EmployeeStore

ImportMode = Literal["valid_rows", "all_or_nothing"]
MODES: tuple[ImportMode, ...] = ("valid_rows", "all_or_nothing")
_CARRIED = ("locale", "timezone", "digest_cadence", "topics", "show_name")


class ImportModeError(ValueError):
    def __init__(self, mode: str) -> None:
        super().__init__(f"mode must be one of {', '.join(MODES)}, got {mode!r}")


@dataclass(frozen=True)
class ImportReport:
    """What an import did. ``created``/``updated`` count rows actually written; ``written_lines`` lists them.

    ``applied`` is True when every valid row that needed writing was written (in valid_rows mode that
    holds even if some rows were invalid). It is False when all_or_nothing refused the file, or when
    DynamoDB failed part-way: then ``error`` says why and ``unwritten_lines`` lists the valid rows not
    confirmed written.
    """

    mode: str
    applied: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    errors: tuple[RowError, ...] = ()
    written_lines: tuple[int, ...] = ()
    unwritten_lines: tuple[int, ...] = ()
    error: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "applied": self.applied,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "errors": [error.public() for error in self.errors],
            "written_lines": list(self.written_lines),
            "unwritten_lines": list(self.unwritten_lines),
            "error": self.error,
        }


class ImportInterruptedError(RuntimeError):
    """DynamoDB failed during an import; ``report`` says exactly which lines were written."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.error)
        self.report = report


@dataclass(frozen=True)
class _Change:
    line: int
    employee: Employee
    created: bool


def import_employees(
    data: bytes | str,
    mode: ImportMode = "valid_rows",
    now: datetime | None = None,
    store: EmployeeStore | None = None,
) -> ImportReport:
    """Create or update employees from a directory CSV.

    Raises DirectoryFileError if the file itself is unusable (nothing is read or written),
    ImportModeError for an unknown mode, and ImportInterruptedError if DynamoDB fails.
    """
    if mode not in MODES:
        raise ImportModeError(mode)
    parsed = parse_directory_csv(data)
    report = ImportReport(mode, applied=False, invalid=len(parsed.errors), errors=parsed.errors)
    if mode == "all_or_nothing" and parsed.errors:
        return report
    store = store or EmployeeStore()
    at = _stamp(now)
    try:
        existing = store.get_many(row.employee_id for row in parsed.rows)
    except DirectoryUnavailableError as exc:
        unread = tuple(row.line for row in parsed.rows)
        raise ImportInterruptedError(replace(report, unwritten_lines=unread, error=str(exc))) from exc
    changes = [change for row in parsed.rows if (change := _change(existing.get(row.employee_id), row, at))]
    outcome = replace(report, unchanged=len(parsed.rows) - len(changes))
    try:
        store.put_many([change.employee for change in changes])
    except DirectoryUnavailableError as exc:
        written = [change for change in changes if change.employee.id in exc.written_ids]
        unwritten = tuple(change.line for change in changes if change.employee.id not in exc.written_ids)
        raise ImportInterruptedError(
            replace(_written(outcome, written), unwritten_lines=unwritten, error=str(exc))
        ) from exc
    return replace(_written(outcome, changes), applied=True)


def _written(report: ImportReport, written: list[_Change]) -> ImportReport:
    created = sum(change.created for change in written)
    return replace(
        report,
        created=created,
        updated=len(written) - created,
        written_lines=tuple(change.line for change in written),
    )


def _change(before: Employee | None, row: EmployeeRow, at: str) -> _Change | None:
    after = merge_row(before, row, at)
    if before is not None and replace(after, updated_at=before.updated_at) == before:
        return None
    return _Change(row.line, after, created=before is None)


def merge_row(before: Employee | None, row: EmployeeRow, at: str) -> Employee:
    """The employee after applying one row: fields the row does not carry keep their stored (or default) value."""
    base = before or Employee(id=row.employee_id, email=row.email, name=row.name, team=row.team)
    carried = {field: getattr(row, field) for field in _CARRIED if getattr(row, field) is not None}
    after = replace(base, email=row.email, name=row.name, team=row.team, updated_at=at, **carried)
    if row.active is True and not base.active:
        after = replace(after, active=True, deactivated_at=None, keep_on_leaderboard=False)
    elif row.active is False and base.active:
        after = replace(after, active=False, deactivated_at=at)
    return after


def deactivate_employee(
    employee_id: str, keep_on_leaderboard: bool = False, now: datetime | None = None, store: EmployeeStore | None = None
) -> Employee:
    """Offboard: the employee can no longer share and leaves the leaderboards (unless kept); nothing is deleted.

    Deactivating again keeps the first ``deactivated_at`` and applies the new ``keep_on_leaderboard``.
    Raises EmployeeNotFoundError for an unknown id.
    """
    return (store or EmployeeStore()).deactivate(employee_id, keep_on_leaderboard, _stamp(now))


def reactivate_employee(employee_id: str, now: datetime | None = None, store: EmployeeStore | None = None) -> Employee:
    """Bring an offboarded employee back. Raises EmployeeNotFoundError for an unknown id."""
    return (store or EmployeeStore()).reactivate(employee_id, _stamp(now))


def set_name_visibility(
    employee_id: str, show_name: bool, now: datetime | None = None, store: EmployeeStore | None = None
) -> Employee:
    """The employee's own choice to appear by name or anonymously. Raises EmployeeNotFoundError for an unknown id."""
    return (store or EmployeeStore()).set_show_name(employee_id, show_name, _stamp(now))


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
