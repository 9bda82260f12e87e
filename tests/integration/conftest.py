"""Fixtures shared by the integration tests of the deployable artifact."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make package`'s output (sam.yaml, deployment.zip), built once per session: chalice package is slow."""
    out = tmp_path_factory.mktemp("package")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run(
        [
            str(Path(sys.executable).with_name("chalice")),
            "package",
            "--merge-template",
            "infra/template.yaml",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out
