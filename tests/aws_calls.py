"""pytest hooks (imported by tests/conftest.py): record the AWS calls the Lambda code makes in the session.

In this process through infra/local/aws_calls.py's recorder; in the `make run` runners the e2e tests start
through ``CHORUS_AWS_CALL_LOG``, a folder they inherit. tests/integration/test_lambda_policy.py checks the
calls, and runs after every other test so it sees them all.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

POLICY_TESTS = "tests/integration/test_lambda_policy.py"


def pytest_configure(config: Any) -> None:
    from infra.local import aws_calls

    folder = Path(tempfile.mkdtemp(prefix="chorus-aws-calls-"))
    os.environ[aws_calls.LOG_VARIABLE] = str(folder)
    config.chorus_aws_calls = (aws_calls.install(), folder)


def pytest_unconfigure(config: Any) -> None:
    recorded = getattr(config, "chorus_aws_calls", None)
    if recorded is not None:
        shutil.rmtree(recorded[1], ignore_errors=True)


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """The policy tests go last, after every call they check was made."""
    items.sort(key=lambda item: item.nodeid.startswith(POLICY_TESTS))  # a stable sort: the rest keep their order
