"""The counting run's objects in the private data bucket (never the site bucket: CloudFront serves all of it).

- ``state/<slice_end>.json.gz``: the decision state after a slice (who was seen today and yesterday…),
  one object per slice so that re-running a slice starts again from the state before it. The bucket's
  lifecycle expires them after 3 days.
- ``events/day=YYYY-MM-DD/<slice_end>.jsonl.gz``: each slice's raw events with how each was counted, one
  JSON object a line, by the event's day: the KPIs read them, and any day can be counted again from them.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from functions import aws
from functions.config import settings
from functions.events import Event
from functions.stats.decide import DayState, Decision

STATE_PREFIX = "state/"
EVENTS_PREFIX = "events/"
STATE_KEPT_SECONDS = 2 * 86400  # a state older than this covers no day still being counted


class StateLostError(RuntimeError):
    """The decision state the checkpoint names is gone while it still matters: counting stops, loudly."""


class SliceRecord:
    """A slice's events with their decisions, gzipped per event day as they come (a viral slice need not fit
    in memory as objects, only compressed)."""

    def __init__(self) -> None:
        self._days: dict[str, tuple[Any, list[bytes]]] = {}

    def add(self, events: Iterable[Event], decisions: Iterable[Decision]) -> None:
        for event, decision in zip(events, decisions, strict=True):
            if decision.event_id != event.id:
                raise ValueError(f"decision for {decision.event_id} does not match event {event.id}")
            row = {**asdict(event), "counted": decision.counted, "decision": decision.reason, "unique": decision.unique}
            compressor, chunks = self._days.setdefault(event.day, (zlib.compressobj(6, zlib.DEFLATED, 31), []))
            chunks.append(compressor.compress(json.dumps(row, separators=(",", ":")).encode() + b"\n"))

    @property
    def empty(self) -> bool:
        return not self._days

    def finish(self) -> dict[str, bytes]:
        """Each day's gzip stream, complete."""
        days = sorted(self._days.items())
        return {day: b"".join([*chunks, compressor.flush()]) for day, (compressor, chunks) in days}


def state_key(slice_end: int) -> str:
    return f"{STATE_PREFIX}{slice_end}.json.gz"


def slice_of_state(key: str) -> int:
    return int(key.removeprefix(STATE_PREFIX).split(".", 1)[0])


class CountingArchive:
    def __init__(self, bucket: str | None = None, s3: Any = None) -> None:
        self.bucket = bucket or settings().data_bucket
        self.s3 = s3 or aws.client("s3")

    def load_state(self, key: str, now: float) -> DayState:
        """The state an earlier slice left; an empty one before the first slice or once it is too old to matter."""
        if not key:
            return DayState()
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            if now - slice_of_state(key) > STATE_KEPT_SECONDS:
                return DayState()  # expired by the lifecycle rule, and it held only days long past
            raise StateLostError(f"s3://{self.bucket}/{key} is missing") from None
        return DayState.from_bytes(gzip.decompress(body))

    def save_state(self, slice_end: int, state: DayState) -> tuple[str, int]:
        key = state_key(slice_end)
        return key, self._put(key, gzip.compress(state.to_bytes(), 1), "application/json")

    def archive(self, slice_end: int, record: SliceRecord) -> dict[str, int]:
        """Write a slice's events with their decisions, one object per event day; returns bytes per key."""
        written = {}
        for day, body in record.finish().items():
            key = f"{EVENTS_PREFIX}day={day}/{slice_end}.jsonl.gz"
            written[key] = self._put(key, body, "application/x-ndjson")
        return written

    def archived_day(self, day: str) -> Iterator[dict[str, Any]]:
        """Every archived event of a day with its decision, slice by slice (for recounting and the KPIs)."""
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{EVENTS_PREFIX}day={day}/"):
            for entry in page.get("Contents", []):
                body = self.s3.get_object(Bucket=self.bucket, Key=entry["Key"])["Body"].read()
                for line in gzip.decompress(body).decode().splitlines():
                    if line:
                        yield json.loads(line)

    def _put(self, key: str, body: bytes, content_type: str) -> int:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
        return len(body)
