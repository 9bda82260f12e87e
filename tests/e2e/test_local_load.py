"""The local stack stays flat: `make run` takes 10,000 clicks over HTTP from 8 threads and counts every one.

Every click is redirected, the events table holds exactly one click event per request (read from the
snapshot the runner saves when Ctrl-C stops it), and the leaderboard's counters equal those events. The
throughput is a figure `make bench` prints (section "make run under load"); nothing here is timed except
the issue's bound on how long the counters may lag (30 s after the last click).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.local_load import CLICKS, MEMORY_LIMIT, THREADS, load, report_lines, stop_or_kill, stored_clicks
from tests.e2e.conftest import start_chorus

pytestmark = pytest.mark.e2e


def test_ten_thousand_clicks_from_eight_threads_are_all_redirected_stored_once_and_counted_in_under_a_gigabyte(
    tmp_path: Path,
) -> None:
    assert THREADS == 8
    chorus = start_chorus(tmp_path / "state")
    try:
        report = load(chorus, CLICKS, THREADS, memory_ceiling=MEMORY_LIMIT)  # killed if it passes the limit
    finally:
        stopped = stop_or_kill(chorus)
    if stopped == 0:
        report.stored = stored_clicks(chorus.state_dir, report.since)
    figures = "\n".join(report_lines(report))
    print(figures)
    assert not report.stopped, figures
    assert report.redirected == CLICKS, figures
    assert report.peak_rss < MEMORY_LIMIT, figures
    assert stopped == 0, figures  # and Ctrl-C still stops it cleanly afterwards (saving the tables)
    assert report.stored == CLICKS, figures  # events stored equal requests: none lost, none written twice
    assert report.counted == report.stored and report.settled_after is not None, figures
