"""Reading an employee-directory CSV into validated rows: pure, no I/O.

A file-level problem (too big, not UTF-8, malformed quoting, unknown or missing columns, no rows) raises
DirectoryFileError and nothing is imported. Row-level problems are collected per row, keyed by the
Employee field they concern, with the row's number as a spreadsheet shows it (header = 1).

A blank cell, or an optional column left out, means "this file does not say": a new employee gets the
default and an existing one keeps what they have. So an import never wipes an employee's own choices
(cadence, topics, opt-out) just because HR's export has no such column.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from functions.directory.model import (
    EmployeeFieldError,
    employee_id_for,
    normalise_cadence,
    normalise_email,
    normalise_locale,
    normalise_name,
    normalise_team,
    normalise_timezone,
    normalise_topics,
    parse_flag,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
REQUIRED = ("email", "name", "team")

# Header spellings, compared after lower-casing and dropping spaces, underscores and hyphens.
_HEADERS = {
    "email": "email",
    "emailaddress": "email",
    "name": "name",
    "fullname": "name",
    "team": "team",
    "locale": "locale",
    "language": "locale",
    "timezone": "timezone",
    "tz": "timezone",
    "digestcadence": "digest_cadence",
    "cadence": "digest_cadence",
    "topics": "topics",
    "showname": "show_name",
    "active": "active",
}
_RULES: dict[str, Callable[[str], Any]] = {
    "email": normalise_email,
    "name": normalise_name,
    "team": normalise_team,
    "locale": normalise_locale,
    "timezone": normalise_timezone,
    "digest_cadence": normalise_cadence,
    "topics": normalise_topics,
    "show_name": parse_flag,
    "active": parse_flag,
}


class DirectoryFileError(ValueError):
    """The file as a whole cannot be imported; ``columns`` names the offending headers, if any."""

    def __init__(self, message: str, columns: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.columns = columns


@dataclass(frozen=True)
class EmployeeRow:
    """One valid row. None means the file does not say (blank cell or no such column)."""

    line: int
    email: str
    name: str
    team: str
    locale: str | None = None
    timezone: str | None = None
    digest_cadence: str | None = None
    topics: tuple[str, ...] | None = None
    show_name: bool | None = None
    active: bool | None = None

    @property
    def employee_id(self) -> str:
        return employee_id_for(self.email)


@dataclass(frozen=True)
class RowError:
    line: int
    fields: dict[str, str]
    email: str = ""  # as written in the file, to help find the row

    def public(self) -> dict[str, Any]:
        return {"line": self.line, "email": self.email, "fields": dict(self.fields)}


@dataclass(frozen=True)
class DirectoryCsv:
    rows: tuple[EmployeeRow, ...]
    errors: tuple[RowError, ...]


def parse_directory_csv(data: bytes | str) -> DirectoryCsv:
    """Validate every row of a directory CSV; raise DirectoryFileError if the file itself is unusable."""
    records = _records(_text(data))
    _, header = _header(records)
    columns = _columns(header)
    rows: list[EmployeeRow] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for line, cells in records:
        if len(rows) + len(errors) == MAX_ROWS:
            raise DirectoryFileError(f"The file has more than {MAX_ROWS:,} employee rows; split it into smaller files.")
        row = _row(line, cells, columns, first_line)
        if isinstance(row, EmployeeRow):
            rows.append(row)
        else:
            errors.append(row)
    if not rows and not errors:
        raise DirectoryFileError("The file has a header but no employee rows.")
    return DirectoryCsv(tuple(rows), tuple(errors))


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BYTES:
        raise DirectoryFileError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into smaller files."
        )
    try:
        return data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DirectoryFileError(
            f"The file is not UTF-8 text (first bad byte on line {line}); save it as 'CSV UTF-8'."
        ) from None


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with their row number as a spreadsheet counts them (a quoted line break stays in its row)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):  # a huge cell, or a quote never closed
                raise DirectoryFileError(
                    f"Line {number} has a cell over {csv.field_size_limit():,} characters; check its quotes "
                    "(a quote never closed runs on to the end of the file)."
                ) from None
            raise DirectoryFileError(f"Line {number} is not valid CSV ({exc}); check its quotes.") from None
        if any(cell.strip() for cell in cells):
            yield number, cells


def _delimiter(text: str) -> str:
    # Excel in Polish, Lithuanian and Russian locales saves "CSV" with semicolons.
    first = text.lstrip("\r\n").partition("\n")[0]
    if "," not in first and ";" in first:
        return ";"
    if "," not in first and "\t" in first:
        return "\t"
    return ","


def _header(records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    try:
        return next(records)
    except StopIteration:
        raise DirectoryFileError("The file is empty; expected a header row such as email,name,team,...") from None


def _columns(header: list[str]) -> dict[int, str]:
    """Column position → Employee field; unnamed columns are skipped (their cells must stay blank)."""
    columns: dict[int, str] = {}
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for position, title in enumerate(header):
        key = "".join(ch for ch in unicodedata.normalize("NFKC", title).lower() if ch not in " _-\t")
        if not key:
            continue
        field = _HEADERS.get(key)
        if field is None:
            unknown.append(title.strip())
        elif field in seen:
            raise DirectoryFileError(f"Columns {seen[field]!r} and {title.strip()!r} are the same column.", (title,))
        else:
            seen[field] = title.strip()
            columns[position] = field
    if unknown:
        raise DirectoryFileError(
            f"Unknown columns: {', '.join(unknown)}. Known columns: email, name, team, locale, time zone, "
            "digest cadence, topics, show_name, active.",
            tuple(unknown),
        )
    missing = [field for field in REQUIRED if field not in seen]
    if missing:
        raise DirectoryFileError(f"Missing required columns: {', '.join(missing)}.", tuple(missing))
    return columns


def _row(line: int, cells: list[str], columns: dict[int, str], first_line: dict[str, int]) -> EmployeeRow | RowError:
    """Validate one record; ``first_line`` remembers where each email was first seen, invalid rows included."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    stray: list[int] = []  # columns with a value but no header: named once, however many (a row can hold millions)
    for position, cell in enumerate(cells):
        field = columns.get(position)
        if field is None:
            if cell.strip():
                stray.append(position + 1)
            continue
        if not cell.strip() and field not in REQUIRED:
            continue
        try:
            values[field] = _RULES[field](cell)
        except EmployeeFieldError as exc:
            errors[field] = str(exc)
    if stray:
        more = f" (and {len(stray) - 1:,} more columns after it)" if len(stray) > 1 else ""
        errors[f"column {stray[0]}"] = "has a value but no header" + more
    for field in REQUIRED:
        if field not in values and field not in errors:
            errors[field] = "is required"
    if "email" in values:
        previous = first_line.setdefault(employee_id_for(values["email"]), line)
        if previous != line:
            errors["email"] = f"duplicates line {previous}"
    if errors:
        email = next((cells[p].strip() for p, f in columns.items() if f == "email" and p < len(cells)), "")
        return RowError(line, errors, email)
    return EmployeeRow(line=line, **values)
