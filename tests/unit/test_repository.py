"""The repository stands alone: a clone of it (with no sibling folders) has everything its tests read."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import CORPORA, ROOT

# Ways a path can leave the repository: its parent folder, or a sibling folder named outright.
OUTSIDE = re.compile(r"ROOT\.parent\b|\.\./shared|/work/|[\"']shared[\"']\s*/")


def test_the_user_agent_corpora_are_in_the_repository_with_their_licence() -> None:
    assert CORPORA.resolve().is_relative_to(ROOT)
    assert {p.name for p in CORPORA.iterdir()} >= {"isbot-browsers.yml", "isbot-crawlers.yml", "LICENSE"}
    assert "Unlicense" in (CORPORA / "README.md").read_text()


def test_no_code_or_test_reads_a_path_outside_the_repository() -> None:
    sources = [
        ROOT / "app.py",
        *(p for d in ("functions", "infra", "tests", "bench") for p in (ROOT / d).rglob("*.py")),
    ]
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources
        if path != Path(__file__)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []
