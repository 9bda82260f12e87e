"""The KPIs of issue 13: facts the counting run writes per slice, queried with DuckDB (or Athena) per request."""
