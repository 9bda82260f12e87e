"""schemathesis, as the production issue runs it, against `make run`'s runner over real HTTP.

It generates requests for every operation of /api/openapi.json — valid ones and ones that break the
schema — with a valid admin or employee token per operation, and fails on any 5xx, on a body that breaks
the schema yet is accepted, on a 4xx from /api/* that is not {"error", "fields"} naming a field
(tests/e2e/schemathesis_checks.py), on a status the operation does not document and on a body that is not
the documented model. Not enforced: positive_data_acceptance, which needs the document to say what only the
code knows (a destination must be a public http(s) URL, publish_end after publish_start).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import app
from functions.api.openapi import operations
from tests.conftest import ROOT
from tests.e2e.conftest import RunningChorus, start_chorus

pytestmark = pytest.mark.e2e

CHECKS = ",".join(
    (
        "not_a_server_error",
        "negative_data_rejection",
        "api_errors_name_the_field",
        "response_schema_conformance",
        "status_code_conformance",
    )
)


@pytest.fixture
def chorus(tmp_path: Path) -> Iterator[RunningChorus]:
    """A runner of its own: schemathesis deactivates, archives and unsubscribes what the other tests use."""
    running = start_chorus(tmp_path / "state")
    yield running
    running.stop()


def test_schemathesis_finds_no_server_error_and_no_unclear_error(chorus: RunningChorus, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        'hooks = "tests.e2e.schemathesis_checks"\n'
        "[auth.openapi.adminToken]\n"
        f'bearer = "{chorus.admin_token}"\n'
        "[auth.openapi.employeeToken]\n"
        f'api_key = "Employee {chorus.employee_token}"\n'
    )
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{chorus.base}/api/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        "10",
        "--seed",
        "20261130",
        "--workers",  # one: CPython 3.11's AST builder keeps its recursion depth per interpreter, so hypothesis
        "1",  # parsing lambdas on two threads at once fails now and then (cpython gh-106905)
        "--generation-database",
        "none",
        "--max-failures",
        "50",
        "--request-timeout",
        "60",  # the runner shares two cores with site rebuilds the run itself triggers
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # for the hooks; run in tmp_path, where it keeps its cache
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    found = next((result.stdout.index(h) for h in ("== FAILURES", "== ERRORS") if h in result.stdout), -8000)
    assert result.returncode == 0, result.stdout[found:][:12000] + result.stderr[-2000:]
    selected = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", result.stdout)
    assert selected and len(set(selected.groups())) == 1, result.stdout[-3000:]  # every operation, all tested
    assert int(selected[1]) >= len(operations(app.app.routes)) - 1  # schemathesis sends no HEAD of its own


@pytest.mark.parametrize(
    ("status", "body", "fails"),
    [
        (400, '{"error": "invalid", "fields": {"url": "is required"}}', False),
        (403, '{"message": "Missing Authentication Token"}', True),
        (400, '{"error": "invalid", "fields": {}}', True),
        (404, "<html>not found</html>", True),
        (500, "<html>oops</html>", False),  # not_a_server_error's to catch
    ],
)
def test_the_error_shape_check_fails_what_it_should(status: int, body: str, fails: bool) -> None:
    import json
    from types import SimpleNamespace

    from tests.e2e.schemathesis_checks import api_errors_name_the_field

    response = SimpleNamespace(status_code=status, content=body.encode(), json=lambda: json.loads(body))
    case = SimpleNamespace(operation=SimpleNamespace(path="/api/feed"))
    if fails:
        with pytest.raises(AssertionError):
            api_errors_name_the_field(None, response, case)
    else:
        api_errors_name_the_field(None, response, case)
