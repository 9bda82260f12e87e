"""DuckDB, embedded: Parquet written and read on local files, nothing downloaded at run time.

DuckDB is imported on first use (never when app.py is imported). Its Python wheel carries the Parquet
and JSON readers built in; every connection refuses to install or load anything else (no httpfs: S3
objects are fetched with boto3 into a local cache, ``functions/kpis/store.py``) and keeps its own files
under the cache directory (Lambda's code directory and home are read-only; /tmp is not).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

MEMORY_LIMIT = "256MB"  # of the counting and API Lambdas' 512 MB
THREADS = 2


def connect(work_dir: str | Path | None = None) -> Any:
    """A fresh in-memory DuckDB connection that can read and write local files and nothing else."""
    import duckdb

    work = Path(work_dir or tempfile.gettempdir())
    work.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "allow_community_extensions": "false",
        "memory_limit": MEMORY_LIMIT,
        "threads": str(THREADS),
        "preserve_insertion_order": "false",  # lets large sorts and scans spill instead of holding rows
        "temp_directory": str(work / "duckdb-tmp"),
        "extension_directory": str(work / "duckdb-extensions"),
    }
    connection = duckdb.connect(":memory:", config=config)
    connection.execute(f"SET home_directory = {quote(str(work))}")
    connection.execute("SET enable_progress_bar = false")  # it would print to the Lambda's log
    return connection


def quote(text: str) -> str:
    """A SQL string literal (for file paths, which DuckDB's table functions take only as literals)."""
    return "'" + text.replace("'", "''") + "'"


def file_list(paths: Sequence[str | Path]) -> str:
    return "[" + ", ".join(quote(str(path)) for path in paths) + "]"


def _columns(columns: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{quote(name)}: {quote(kind)}" for name, kind in columns.items()) + "}"


class RowFile:
    """Rows appended as newline-delimited JSON to a local file as they come, then written as Parquet once: a
    large slice is never all in memory as objects, and no row is inserted one by one (no pyarrow needed)."""

    def __init__(self, columns: Mapping[str, str], work_dir: str | Path) -> None:
        self.columns = dict(columns)
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        self._file = tempfile.NamedTemporaryFile("w", suffix=".jsonl", dir=work_dir, delete=False)  # noqa: SIM115
        self.count = 0

    def add(self, rows: Iterable[Mapping[str, Any]]) -> None:
        names = list(self.columns)
        for row in rows:
            self._file.write(json.dumps({name: row.get(name) for name in names}, separators=(",", ":")) + "\n")
            self.count += 1

    def write_parquet(self, path: str | Path) -> int:
        """The rows as one zstd-compressed Parquet file, typed by the columns; returns its size in bytes."""
        self._file.flush()
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        connection = connect(target.parent)
        try:
            select = ", ".join(f'"{name}"' for name in self.columns)
            source = (
                f"read_json({quote(self._file.name)}, format = 'newline_delimited', columns = {_columns(self.columns)})"
            )
            copy(connection, f"SELECT {select} FROM {source}", target)  # noqa: S608 - our column names
        finally:
            connection.close()
        return target.stat().st_size

    def close(self) -> None:
        self._file.close()
        Path(self._file.name).unlink(missing_ok=True)


def write_parquet(rows: Iterable[Mapping[str, Any]], columns: Mapping[str, str], path: str | Path) -> int:
    """Write rows (dicts with these columns) as one Parquet file; returns its size in bytes."""
    staging = RowFile(columns, Path(path).parent)
    try:
        staging.add(rows)
        return staging.write_parquet(path)
    finally:
        staging.close()


def copy(connection: Any, query: str, path: str | Path, parameters: Sequence[Any] = ()) -> None:
    """``COPY (query) TO path`` as Parquet; written beside and renamed, so a reader never sees half a file."""
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    connection.execute(
        f"COPY ({query}) TO {quote(str(partial))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)",
        list(parameters),
    )
    os.replace(partial, target)


def read_rows(connection: Any, query: str, parameters: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """A query's rows as dicts."""
    cursor = connection.execute(query, list(parameters))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def register(connection: Any, name: str, paths: Sequence[str | Path], columns: Mapping[str, str]) -> None:
    """A view ``name`` over these local Parquet files (with these columns; no files: no rows), for the
    queries in functions/kpis/sql to read by name."""
    if paths:
        source = f"SELECT * FROM read_parquet({file_list(paths)}, union_by_name = true, hive_partitioning = false)"  # noqa: S608
    else:
        source = "SELECT " + ", ".join(f'CAST(NULL AS {kind}) AS "{column}"' for column, kind in columns.items())
        source += " WHERE false"
    connection.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {source}')
