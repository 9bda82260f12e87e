"""One SQL source for DuckDB and Athena: every KPI query parses as Trino and DuckDB SQL, and runs on DuckDB."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

from functions.kpis import engine, queries
from functions.kpis.facts import EVENT_COLUMNS, FACT_COLUMNS
from functions.kpis.readers import READER_COLUMNS

NAMES = queries.names()
KPI_QUERIES = [name for name in NAMES if name.startswith("kpi_")]


def test_the_queries_are_the_ones_the_code_runs() -> None:
    assert {"selected", "recompute_facts", "compact_facts", "compact_events", "story_readers"} <= set(NAMES)
    assert KPI_QUERIES == [
        "kpi_breakdowns",
        "kpi_contributors",
        "kpi_daily_clicks",
        "kpi_digest_clicks",
        "kpi_headline",
        "kpi_series",
        "kpi_totals",
    ]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dialect", ["trino", "duckdb"])
def test_every_query_parses_as_one_statement(name: str, dialect: str) -> None:
    statements = sqlglot.parse(queries.sql(name), read=dialect, error_level=ErrorLevel.RAISE)
    assert len(statements) == 1 and statements[0] is not None


@pytest.mark.parametrize("name", KPI_QUERIES)
@pytest.mark.parametrize("dialect", ["trino", "duckdb"])
def test_each_kpi_query_runs_with_selected_as_a_common_table_expression(name: str, dialect: str) -> None:
    [statement] = sqlglot.parse(queries.statement(name, dialect), read=dialect, error_level=ErrorLevel.RAISE)
    assert statement is not None and statement.find(sqlglot.exp.With) is not None
    assert {table.name for table in statement.find_all(sqlglot.exp.Table)} <= {"facts", "selected"}


def test_a_broken_query_would_fail_the_parse() -> None:
    with pytest.raises(sqlglot.errors.ParseError):
        sqlglot.parse("SELECT day, FROM facts WHERE", read="trino", error_level=ErrorLevel.RAISE)


def test_every_query_runs_on_duckdb_over_empty_files(tmp_path) -> None:
    connection = engine.connect(tmp_path)
    try:
        engine.register(connection, "facts", [], FACT_COLUMNS)
        engine.register(connection, "events", [], EVENT_COLUMNS)
        engine.register(connection, "event_rows", [], EVENT_COLUMNS)
        engine.register(connection, "fact_rows", [], FACT_COLUMNS)
        engine.register(connection, "story_readers", [], READER_COLUMNS)
        everything = ["2026-01-01", "2026-01-02", *([None] * 7)]
        for name in NAMES:
            if name.startswith("kpi_"):
                connection.execute(queries.statement(name), everything).fetchall()
            else:
                connection.execute(queries.sql(name), everything if name == "selected" else []).fetchall()
    finally:
        connection.close()


def test_the_public_totals_read_the_facts_files_once(tmp_path) -> None:
    """kpi_totals.sql answers the public summary in one pass over the range's files (the report's headline
    reads them twice, once for its sums and once per employee)."""
    import json

    path = tmp_path / "facts.parquet"
    engine.write_parquet(
        [{"day": "2026-01-01", "employee_id": "ada", "type": "share", "events": 1}], FACT_COLUMNS, path
    )
    connection = engine.connect(tmp_path)
    try:
        engine.register(connection, "facts", [path], FACT_COLUMNS)
        [(_, plan)] = connection.execute(
            f"EXPLAIN (FORMAT json) {queries.statement('kpi_totals')}", ["2026-01-01", "2026-01-31", *[None] * 7]
        ).fetchall()
    finally:
        connection.close()

    def operators(node: dict) -> list[str]:
        return [node["name"]] + [name for child in node.get("children", []) for name in operators(child)]

    assert [name for node in json.loads(plan) for name in operators(node)].count("READ_PARQUET") == 1


def test_the_glue_tables_athena_reads_have_the_columns_the_files_are_written_with() -> None:
    from infra.resources import template

    glue = {"VARCHAR": "string", "BOOLEAN": "boolean", "BIGINT": "bigint", "INTEGER": "int"}
    resources = template()["Resources"]
    for logical, columns in (("KpiFactsTable", FACT_COLUMNS), ("KpiEventsTable", EVENT_COLUMNS)):
        table = resources[logical]["Properties"]["TableInput"]
        assert table["PartitionKeys"] == [{"Name": "day", "Type": "string"}]
        assert table["Parameters"]["projection.day.type"] == "date"
        stored = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
        assert stored == [(name, glue[kind]) for name, kind in columns.items() if name != "day"]
