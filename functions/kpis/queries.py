"""The KPI queries: one SQL source (functions/kpis/sql/*.sql) for DuckDB here and Athena in AWS.

Each file is one statement in the SQL both engines speak (tests/unit/test_kpi_sql.py parses every one as
Trino and as DuckDB with sqlglot, and runs them on DuckDB). They read relations by name: ``facts`` and
``events`` (the Glue tables in Athena; views over the cached Parquet files here), ``fact_rows`` and
``event_rows`` (a day's files being compacted) and ``selected`` (the facts a request covers, selected.sql,
put before each KPI query by ``statement``). Values are always bound as ``?`` parameters, never written
into the text.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL = Path(__file__).with_name("sql")


@cache
def sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")


def names() -> list[str]:
    return sorted(path.stem for path in SQL.glob("*.sql"))


def statement(name: str, dialect: str = "duckdb") -> str:
    """A KPI query as DuckDB (``duckdb``) or Athena (``trino``) runs it over ``facts``: ``selected`` as a common
    table expression, whose parameters are the only ones. DuckDB would materialize a common table expression
    that a query reads twice (a year of rows copied before any is summed: twice the time); ``NOT
    MATERIALIZED``, which Trino does not know, has it folded into each scan of the files, as Trino does."""
    binding = "AS NOT MATERIALIZED" if dialect == "duckdb" else "AS"
    return f"WITH selected {binding} (\n{_body(sql('selected'))}\n)\n{_body(sql(name))}"


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--")).strip()
