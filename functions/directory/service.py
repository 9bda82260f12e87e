"""Directory operations: importing a CSV, offboarding, revoking tokens, and an employee's own name opt-out.

Import decisions (see also csv_import's module docstring for what a blank cell means):

* ``mode="valid_rows"`` writes the valid rows and reports the invalid ones; ``mode="all_or_nothing"``
  reads and writes nothing if any row is invalid. "All or nothing" is about validation: DynamoDB has
  no transaction for 20,000 items, so a storage failure mid-way can still leave part of a file written.
  That case raises ImportInterruptedError whose report lists exactly the lines written; re-importing
  the same file is idempotent and completes the job.
* The key is the email, case-insensitively (employee_id_for). A re-import overwrites only the fields
  the file carries, never re-activates someone who was offboarded unless the file has ``active=yes``,
  and skips writing rows whose stored employee already matches (they count as unchanged).
* What an employee chose themselves (``Employee.chosen``: digest cadence — weekday and ``off`` included —,
  language, topics, showing their name) is never overridden by an import; the report names each row
  where the file said otherwise (``choices_kept``). A mail suppression (bounce, complaint) is not a
  field the file carries, so an import never lifts it either.
* Existing employees are read with BatchGetItem, never a Scan. New employees are written with
  BatchWriteItem; existing ones with conditional puts (TransactWriteItems) that succeed only if the item
  is still at the revision read, so a choice, suppression or revocation landing between the read and the
  write is never overwritten: those rows are read and merged again (MERGE_ROUNDS times at most).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from functions.clock import utc_stamp
from functions.directory.csv_import import EmployeeRow, RowError, parse_directory_csv
from functions.directory.model import Employee
from functions.directory.store import DirectoryUnavailableError, EmployeeStore

if TYPE_CHECKING:
    from collections.abc import Iterable

ImportMode = Literal["valid_rows", "all_or_nothing"]
MODES: tuple[ImportMode, ...] = ("valid_rows", "all_or_nothing")
_CARRIED = ("locale", "timezone", "digest_cadence", "topics", "show_name")
MERGE_ROUNDS = 3  # re-reads of rows whose employee changed while the file was imported


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
    choices_kept: tuple[KeptChoice, ...] = ()

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
            "choices_kept": [kept.public() for kept in self.choices_kept],
        }


@dataclass(frozen=True)
class KeptChoice:
    """A row that would have changed settings the employee chose themselves; ``fields`` are their values, kept."""

    line: int
    email: str
    fields: dict[str, Any]

    def public(self) -> dict[str, Any]:
        values = {name: list(value) if isinstance(value, tuple) else value for name, value in self.fields.items()}
        return {"line": self.line, "email": self.email, "fields": values}


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
    mode: str = "valid_rows",
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
    run = _Import(parsed.rows, utc_stamp(now), store or EmployeeStore())
    try:
        run.write()
    except DirectoryUnavailableError as exc:
        raise ImportInterruptedError(run.report(report, str(exc))) from exc
    return run.report(report)


class _Import:
    """One file's rows against the directory: merged with what is stored, written, merged again if need be."""

    def __init__(self, rows: Iterable[EmployeeRow], at: str, store: EmployeeStore) -> None:
        self.rows = {row.employee_id: row for row in rows}
        self.at = at
        self.store = store
        self.changes: dict[str, _Change | None] = {}  # per employee merged so far; None: nothing to write
        self.kept: dict[str, dict[str, Any]] = {}
        self.written: set[str] = set()
        self.before: dict[str, Employee] = {}  # each existing employee as last read

    def write(self) -> None:
        self._merge(list(self.rows))
        new = [change.employee for change in self._pending() if change.created]
        try:
            self.store.put_many(new)
        except DirectoryUnavailableError as exc:
            self.written |= exc.written_ids
            raise
        self.written |= {employee.id for employee in new}
        for _ in range(MERGE_ROUNDS):
            updates = [change.employee for change in self._pending()]
            if not updates:
                return
            try:
                stale = self.store.put_if_unchanged(updates, self.before)
            except DirectoryUnavailableError as exc:
                self.written |= exc.written_ids
                raise
            self.written |= {employee.id for employee in updates} - stale
            if stale:
                self._merge(sorted(stale))
        if self._pending():
            raise DirectoryUnavailableError(
                f"{len(self._pending())} employees kept changing while the file was imported; import it again"
            )

    def _merge(self, employee_ids: list[str]) -> None:
        stored = self.store.get_many(employee_ids)
        for employee_id in employee_ids:
            before, row = stored.get(employee_id), self.rows[employee_id]
            if before is not None:
                self.before[employee_id] = before
            self.changes[employee_id] = _change(before, row, self.at)
            self.kept[employee_id] = kept_choices(before, row)

    def _pending(self) -> list[_Change]:
        return [change for key, change in self.changes.items() if change and key not in self.written]

    def report(self, base: ImportReport, error: str | None = None) -> ImportReport:
        written = sorted((c for k, c in self.changes.items() if c and k in self.written), key=lambda c: c.line)
        created = sum(change.created for change in written)
        unwritten = [  # rows never merged (the read failed) and changes not written
            row.line
            for key, row in self.rows.items()
            if key not in self.written and (key not in self.changes or self.changes[key])
        ]
        kept = [KeptChoice(self.rows[k].line, self.rows[k].email, fields) for k, fields in self.kept.items() if fields]
        return replace(
            base,
            applied=error is None,
            created=created,
            updated=len(written) - created,
            unchanged=sum(change is None for change in self.changes.values()),
            written_lines=tuple(change.line for change in written),
            unwritten_lines=tuple(sorted(unwritten)),
            error=error,
            choices_kept=tuple(sorted(kept, key=lambda choice: choice.line)),
        )


def _change(before: Employee | None, row: EmployeeRow, at: str) -> _Change | None:
    after = merge_row(before, row, at)
    if before is not None and replace(after, updated_at=before.updated_at) == before:
        return None
    return _Change(row.line, after, created=before is None)


def merge_row(before: Employee | None, row: EmployeeRow, at: str) -> Employee:
    """The employee after applying one row: fields the row does not carry, and the employee's own choices,
    keep their stored (or default) value."""
    base = before or Employee(id=row.employee_id, email=row.email, name=row.name, team=row.team)
    carried = {
        field: getattr(row, field) for field in _CARRIED if getattr(row, field) is not None and field not in base.chosen
    }
    after = replace(base, email=row.email, name=row.name, team=row.team, updated_at=at, **carried)
    if row.active is True and not base.active:
        after = replace(after, active=True, deactivated_at=None, keep_on_leaderboard=False)
    elif row.active is False and base.active:
        after = replace(after, active=False, deactivated_at=at)
    return after


def kept_choices(before: Employee | None, row: EmployeeRow) -> dict[str, Any]:
    """The employee's own choices this row says otherwise about: kept (merge_row), and named in the report."""
    if before is None:
        return {}
    return {
        field: getattr(before, field)
        for field in _CARRIED
        if field in before.chosen and getattr(row, field) is not None and getattr(row, field) != getattr(before, field)
    }


def deactivate_employee(
    employee_id: str, keep_on_leaderboard: bool = False, now: datetime | None = None, store: EmployeeStore | None = None
) -> Employee:
    """Offboard: the employee can no longer share and leaves the leaderboards (unless kept); nothing is deleted.

    Deactivating again keeps the first ``deactivated_at`` and applies the new ``keep_on_leaderboard``.
    Raises EmployeeNotFoundError for an unknown id.
    """
    return (store or EmployeeStore()).deactivate(employee_id, keep_on_leaderboard, utc_stamp(now))


def reactivate_employee(employee_id: str, now: datetime | None = None, store: EmployeeStore | None = None) -> Employee:
    """Bring an offboarded employee back. Raises EmployeeNotFoundError for an unknown id."""
    return (store or EmployeeStore()).reactivate(employee_id, utc_stamp(now))


def set_name_visibility(
    employee_id: str, show_name: bool, now: datetime | None = None, store: EmployeeStore | None = None
) -> Employee:
    """The employee's own choice to appear by name or anonymously (an import keeps it).

    Raises EmployeeNotFoundError for an unknown id.
    """
    return (store or EmployeeStore()).record_own_choices(employee_id, {"show_name": show_name}, utc_stamp(now))


def revoke_employee_tokens(
    employee_id: str, now: datetime | None = None, store: EmployeeStore | None = None
) -> Employee:
    """Withdraw the employee's tokens and signed links issued so far (a forwarded digest, a leaked link).

    Their site token, preferences and share links stop working at once; their next digest carries new
    ones. Unsubscribe links keep working: leaving must always be possible. Short links already posted
    keep redirecting. Raises EmployeeNotFoundError for an unknown id.
    """
    return (store or EmployeeStore()).revoke_tokens(employee_id, utc_stamp(now))
