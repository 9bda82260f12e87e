"""What counting a click costs at a realistic load (a minimal version; issue 11's full section replaces it).

One slice of clicks at the realistic spread of tests/clickload.py (Zipf over 5,000 links of 2,000
employees in 20 teams, 70% human) written to the event log and counted by the real counting run
(``functions.stats.counting.run_once``); write and read units as DynamoDB on-demand bills them, from the
items' sizes (functions/stats/meter.py): the event itself, then each employee item and board written.
"""

from __future__ import annotations

from typing import Any

CLICKS = 3_600  # a 5-minute slice at 1 million clicks a day


def run(clicks: int = CLICKS) -> Any:
    from infra.local.sandbox import in_process_account
    from tests.clickload import count_slices

    with in_process_account(POWERTOOLS_LOG_LEVEL="ERROR"):
        [load] = count_slices(clicks=clicks)
        return load


def report(load: Any) -> list[str]:
    usage = load.report.usage
    writes = (load.event_write_units + usage.write_units) / load.clicks
    reads = load.read_units_per_click
    operations = ", ".join(f"{n} {op.split(':')[1]}" for op, n in sorted(usage.operations.items()))
    return [
        f"counting: {writes:.2f} write units and {reads:.2f} read units per click at realistic load",
        f"one slice of {load.clicks:,} clicks (the day's first: boards still small): {operations}",
    ]
