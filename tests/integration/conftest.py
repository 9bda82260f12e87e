"""The deployable artifact and merged template, built once per session by the real `chalice package`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT


def chalice_package(project: Path, out: Path, *extra: str) -> Path:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run(
        [str(Path(sys.executable).with_name("chalice")), "package", *extra, str(out)],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


@pytest.fixture
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Powertools publishes metrics (EMF lines on stdout), as in Lambda; the test settings turn them off."""
    from functions import observability

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    observability.metrics_enabled.cache_clear()


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make package`'s output: deployment.zip and sam.yaml (chalice's template merged with infra/template.yaml)."""
    return chalice_package(ROOT, tmp_path_factory.mktemp("package"), "--merge-template", "infra/template.yaml")


@pytest.fixture(scope="session")
def merged_template(package: Path) -> dict[str, Any]:
    """sam.yaml as data (chalice writes intrinsics long-form; short-form tags would load as None)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load((package / "sam.yaml").read_text(), Loader=Loader)  # noqa: S506 - SafeLoader subclass


def references(value: Any) -> set[str]:
    """The logical ids ``value`` refers to (Ref, Fn::GetAtt, ${X} and ${X.Attr} in Fn::Sub)."""
    if isinstance(value, dict):
        found = set()
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item[0] if isinstance(item, list) else item.split(".")[0])
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                found |= references(item[1:] if isinstance(item, list) else [])
            else:
                found |= references(item)
        return found
    if isinstance(value, list):
        return set().union(*(references(item) for item in value)) if value else set()
    return set()
