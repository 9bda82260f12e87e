"""Stores own their storage shapes: no module outside them builds a DynamoDB key, request or expression.

A store is the one module that knows a table's items (STYLE.md, habit 2); everything else calls it and
gets dataclasses back. This reads the source of app.py and functions/ for the marks of a raw DynamoDB
request (a table name, a key attribute, a key prefix, an expression, an index) and allows them only in
the store modules listed here.
"""

from __future__ import annotations

import re

from tests.conftest import ROOT

STORES = {
    "functions/admin/tokens.py",  # admin tokens
    "functions/content/feed_store.py",  # registered feeds
    "functions/content/store.py",
    "functions/content/suggestions.py",  # employees' suggestions
    "functions/digest/records.py",  # what each digest held, and its send claim
    "functions/directory/counts.py",  # how many employees, in all and active (the KPIs' rates)
    "functions/directory/store.py",
    "functions/dynamo.py",  # item <-> value conversions every store uses
    "functions/events.py",
    "functions/lease.py",
    "functions/links/store.py",
    "functions/polls/store.py",  # poll answers and each poll's totals
    "functions/stats/aggregates.py",
}

RAW_DYNAMODB = re.compile(
    r"TableName\s*="
    r"|[\"'](pk|sk)[\"']"
    r"|KeyConditionExpression|ConditionExpression|UpdateExpression|IndexName"
    r"|\bf?[\"'](EMP|BOARD|S|T|O|L)#"
)


def _offenders(path: str) -> list[str]:
    lines = (ROOT / path).read_text().splitlines()
    return [f"{path}:{n}: {line.strip()}" for n, line in enumerate(lines, 1) if RAW_DYNAMODB.search(line)]


def test_no_module_outside_the_stores_builds_a_dynamodb_key_or_request() -> None:
    sources = ["app.py", *(str(p.relative_to(ROOT)) for p in (ROOT / "functions").rglob("*.py"))]
    offenders = [line for path in sorted(set(sources) - STORES) for line in _offenders(path)]
    assert offenders == []


def test_the_check_sees_what_the_stores_do() -> None:
    """The pattern finds the raw requests inside the stores, so an empty list above means something."""
    for store in ("functions/events.py", "functions/stats/aggregates.py", "functions/lease.py"):
        assert _offenders(store), store
    assert {path for path in STORES if (ROOT / path).is_file()} == STORES  # no stale entry hides a rename
