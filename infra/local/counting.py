"""The counting run on `make run`: its schedule every second instead of every 5 minutes, with 1-second slices.

In AWS the count_events schedule folds 5-minute slices a minute after they end; locally a slice is one
second, counted a second after it ends (``LOCAL_SETTINGS``), so a click reaches /api/leaderboard in about
two. Around restarts: the lease of a run the last stop interrupted is cleared (this process is the only
counter), and the slices of the time the stack was down are skipped — nothing could be written then —
after counting what the restored snapshot holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

LOCAL_SETTINGS = {
    "COUNT_SLICE_SECONDS": "1",
    "COUNT_GRACE_SECONDS": "1",
    "EVENT_BUCKET_SECONDS": "1",
    "EVENT_SHARDS": "2",
}
STATES_KEPT_SECONDS = 3600  # the bucket's lifecycle keeps decision states 3 days; locally an hour will do


class LocalCounting:
    def __init__(self, fire: Callable[[str], Any]) -> None:
        self.fire = fire  # runs one of app.py's schedules by name, as the runner's ScheduleDriver does

    def count(self) -> int:
        """Run the count_events schedule once; returns how many events it counted."""
        return int((self.fire("count_events") or {}).get("events", 0))

    def settle(self) -> int:
        """Wait until the slice being written now is closed, then count it (after the demo, at shutdown)."""
        from functions.config import settings

        s = settings()
        time.sleep(s.count_slice_seconds + s.count_grace_seconds + 0.1)
        return self.count()

    def resume(self, saved_at: float | None) -> None:
        """After restoring a snapshot taken at ``saved_at``: count what it holds, skip the downtime."""
        from functions import events
        from functions.config import settings
        from functions.stats.aggregates import AggregateStore, Checkpoint
        from functions.stats.counting import run_once

        store = AggregateStore()
        store.clear_lease()
        if saved_at is None or store.checkpoint() is None:
            return
        s = settings()
        run_once(at=saved_at + s.count_slice_seconds + s.count_grace_seconds)
        checkpoint = store.checkpoint()
        quiet_until = int((events.now() - s.count_grace_seconds) // s.count_slice_seconds) * s.count_slice_seconds
        if checkpoint is not None and checkpoint.slice_end < quiet_until:
            store.move_checkpoint(checkpoint, Checkpoint(quiet_until, checkpoint.state_key))

    def sweep(self, s3: Any, bucket: str) -> int:
        """The data bucket's lifecycle rule for decision states, which moto does not apply; returns the deleted."""
        from functions.stats.aggregates import AggregateStore
        from functions.stats.archive import STATE_PREFIX, slice_of_state

        checkpoint = AggregateStore().checkpoint()
        if checkpoint is None or not checkpoint.state_key:
            return 0
        oldest = slice_of_state(checkpoint.state_key) - STATES_KEPT_SECONDS
        old = [
            entry["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=STATE_PREFIX)
            for entry in page.get("Contents", [])
            if slice_of_state(entry["Key"]) < oldest
        ]
        for start in range(0, len(old), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in old[start : start + 1000]]})
        return len(old)
