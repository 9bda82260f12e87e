"""`make bench` cannot rot: every section runs once at a tiny size and prints its figures (no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys

from bench.run import SECTIONS
from tests.conftest import ROOT


def test_every_bench_section_runs_at_a_tiny_size_and_prints_figures() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--tiny"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    sections = re.split(r"^== ", result.stdout, flags=re.MULTILINE)[1:]
    assert len(sections) == len(SECTIONS), result.stdout
    for section in sections:
        title, *lines = section.strip().splitlines()
        figures = [line for line in lines if line.strip() and not re.fullmatch(r"\s*\(\d+\.\d s\)", line)]
        assert figures, f"section {title!r} printed no figures"
        assert any(re.search(r"\d", line) for line in figures), f"section {title!r} printed no numbers"
    assert "Traceback" not in result.stderr
