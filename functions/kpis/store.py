"""The KPI files in the private data bucket, and their local cache. The only module that knows their keys.

- ``facts/day=YYYY-MM-DD/slice=<end>.parquet``: one counting slice's fact rows for that day (a repeated
  slice rewrites the same key with the same rows);
- ``facts/day=YYYY-MM-DD/part-<through>.parquet``: the day's slices up to slice end ``through``, compacted
  (rows of equal dimensions summed);
- ``events-parquet/…``: the raw events with their decisions, laid out the same way (parts concatenate);
- ``readers/through=YYYY-MM-DD.parquet``: every employee's items' readers, all time, through that day
  (functions/kpis/readers.py); a new one is written before the one it replaces is deleted.

A day's content is its newest part plus the slice files after it (``current``). Compaction writes a new
part first and deletes what it replaced after, so a run that dies in between leaves files that the next
reader ignores and the next compaction deletes: never a row counted twice. Late events counted after a
day was compacted land in new slice files and are folded into a newer part by the next compaction.

Objects are immutable once written (a new part has a new name), so the cache keeps each by key and ETag
and a warm Lambda reads a past day from S3 no more.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from functions import aws
from functions.config import settings
from functions.kpis import engine, queries
from functions.kpis.facts import EVENT_COLUMNS, FACT_COLUMNS

FACTS = "facts/"
EVENTS = "events-parquet/"
READERS = "readers/"
COLUMNS = {FACTS: FACT_COLUMNS, EVENTS: EVENT_COLUMNS}
_READERS_NAME = re.compile(r"^readers/through=(?P<day>\d{4}-\d{2}-\d{2})\.parquet$")
_NAME = re.compile(r"^(?P<prefix>[a-z-]+/)day=(?P<day>\d{4}-\d{2}-\d{2})/(?P<kind>slice=|part-)(?P<end>\d+)\.parquet$")
DOWNLOADS = 16  # concurrent GETs: S3 answers each in tens of milliseconds; the cost is the round trips


@dataclass(frozen=True)
class StoredFile:
    key: str
    etag: str
    size: int
    day: str
    part: bool  # a compacted part (else one slice's file)
    end: int  # the slice's end, or the last slice end a part holds

    @classmethod
    def parse(cls, entry: Mapping[str, Any]) -> StoredFile | None:
        found = _NAME.match(entry["Key"])
        if found is None:
            return None
        return cls(
            entry["Key"],
            str(entry.get("ETag", "")).strip('"'),
            int(entry.get("Size", 0)),
            found["day"],
            found["kind"] == "part-",
            int(found["end"]),
        )


@dataclass
class DayFiles:
    day: str
    files: list[StoredFile] = field(default_factory=list)

    @property
    def part(self) -> StoredFile | None:
        parts = [f for f in self.files if f.part]
        return max(parts, key=lambda f: f.end) if parts else None

    @property
    def through(self) -> int:
        part = self.part
        return part.end if part else -1

    def current(self) -> list[StoredFile]:
        """The files that hold the day: its newest part and the slices after it."""
        part = self.part
        newer = sorted((f for f in self.files if not f.part and f.end > self.through), key=lambda f: f.end)
        return ([part] if part else []) + newer

    def replaced(self) -> list[StoredFile]:
        """Files a compaction already folded into the newest part (left by a run that died before deleting)."""
        part = self.part
        return [f for f in self.files if f is not part and f.end <= self.through]


@dataclass
class ReadStats:
    listed: int = 0  # ListObjectsV2 calls
    fetched: int = 0  # GETs
    fetched_bytes: int = 0
    cached: int = 0  # files found in the local cache
    files: int = 0
    bytes: int = 0


class KpiFiles:
    def __init__(self, bucket: str | None = None, s3: Any = None, cache_dir: str | Path | None = None) -> None:
        self.bucket = bucket or settings().data_bucket
        self.s3 = s3 or aws.client("s3")
        self.cache = Path(cache_dir or settings().kpi_cache_dir)

    # -- writing (the counting run) --

    def put_slice(self, prefix: str, day: str, slice_end: int, rows: Sequence[Mapping[str, Any]]) -> int:
        """Write one slice's rows for a day; returns the bytes written (0 for no rows: nothing is written)."""
        if not rows:
            return 0
        return self.put_file(prefix, day, slice_end, lambda path: engine.write_parquet(rows, COLUMNS[prefix], path))

    def put_file(self, prefix: str, day: str, slice_end: int, produce: Callable[[Path], int]) -> int:
        """Write one slice's file for a day, made by ``produce(local_path)``; returns its size."""
        return self._upload(f"{prefix}day={day}/slice={slice_end}.parquet", produce)

    def put_part(self, prefix: str, day: str, through: int, rows: Sequence[Mapping[str, Any]]) -> int:
        """Write a day's part holding every slice up to ``through`` (a recompute); the next compaction
        deletes the files it replaces."""
        key = f"{prefix}day={day}/part-{through}.parquet"
        return self._upload(key, lambda path: engine.write_parquet(rows, COLUMNS[prefix], path))

    def readers(self) -> list[StoredFile]:
        """The readers snapshots, oldest first (one, unless a run died between writing and deleting)."""
        page = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=READERS)
        found = []
        for entry in page.get("Contents", []):
            name = _READERS_NAME.match(entry["Key"])
            if name is not None:
                etag = str(entry.get("ETag", "")).strip('"')
                found.append(StoredFile(entry["Key"], etag, int(entry.get("Size", 0)), name["day"], True, 0))
        return sorted(found, key=lambda f: f.day)

    def put_readers(self, through: str, produce: Callable[[Path], int]) -> int:
        """Write the readers snapshot through ``through``, made by ``produce(local_path)``; returns its size."""
        return self._upload(f"{READERS}through={through}.parquet", produce)

    def delete(self, stored: StoredFile) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=stored.key)

    def _upload(self, key: str, produce: Callable[[Path], int]) -> int:
        with tempfile.TemporaryDirectory(dir=self._work()) as work:
            path = Path(work) / "file.parquet"
            size = int(produce(path))
            self.s3.put_object(
                Bucket=self.bucket, Key=key, Body=path.read_bytes(), ContentType="application/vnd.apache.parquet"
            )
        return size

    def compact(self, prefix: str, day: str, *, closed: bool, at_least: int = 12) -> bool:
        """Fold a day's newer slices into a new part when the day is closed (no event of it can be counted
        any more but as too late) or holds ``at_least`` of them; delete what the part replaced. Idempotent."""
        files = self.day(prefix, day)
        newer = [f for f in files.current() if not f.part]
        compacted = False
        if newer and (closed or len(newer) >= at_least):
            sources = files.current()
            through = max(f.end for f in sources)
            local = self.fetch(sources)
            key = f"{prefix}day={day}/part-{through}.parquet"
            self._upload(key, lambda path: self._merge(prefix, local, path))
            files.files.append(StoredFile(key, "", 0, day, True, through))
            for path in local:  # replaced: never read again
                path.unlink(missing_ok=True)
            compacted = True
        for stale in files.replaced():
            self.delete(stale)
        return compacted

    def _merge(self, prefix: str, paths: Sequence[Path], target: Path) -> int:
        connection = engine.connect(self._work())
        try:
            relation, query = ("fact_rows", "compact_facts") if prefix == FACTS else ("event_rows", "compact_events")
            engine.register(connection, relation, paths, COLUMNS[prefix])
            engine.copy(connection, queries.sql(query), target)
        finally:
            connection.close()
        return target.stat().st_size

    # -- reading (requests, recompute, the benchmark) --

    def day(self, prefix: str, day: str, stats: ReadStats | None = None) -> DayFiles:
        return self.days(prefix, day, day, stats).get(day, DayFiles(day))

    def days(self, prefix: str, start: str, end: str, stats: ReadStats | None = None) -> dict[str, DayFiles]:
        """Every file of the days from ``start`` to ``end`` (inclusive): one paged listing from ``start`` on."""
        found: dict[str, DayFiles] = {}
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "StartAfter": f"{prefix}day={start}"}
        while True:
            page = self.s3.list_objects_v2(**kwargs)
            if stats is not None:
                stats.listed += 1
            for entry in page.get("Contents", []):
                stored = StoredFile.parse(entry)
                if stored is None:
                    continue
                if stored.day > end:
                    return found
                found.setdefault(stored.day, DayFiles(stored.day)).files.append(stored)
            if not page.get("IsTruncated"):
                return found
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def current(self, prefix: str, start: str, end: str, stats: ReadStats | None = None) -> list[Path]:
        """Local copies of every file that holds the days from ``start`` to ``end``."""
        files = [f for day in self.days(prefix, start, end, stats).values() for f in day.current()]
        return self.fetch(files, stats)

    def fetch(self, files: Sequence[StoredFile], stats: ReadStats | None = None) -> list[Path]:
        """Local copies of these objects: from the cache when there (by key and ETag), else from S3."""
        local = [self._cached(f) for f in files]
        for path in local:
            if path.exists():
                path.touch()  # recently used: the last to be trimmed
        missing = [(f, path) for f, path in zip(files, local, strict=True) if not path.exists()]
        if missing:
            with ThreadPoolExecutor(max_workers=min(DOWNLOADS, len(missing))) as pool:
                sizes = list(pool.map(lambda pair: self._download(*pair), missing))
            if stats is not None:
                stats.fetched += len(missing)
                stats.fetched_bytes += sum(sizes)
            self._trim(set(local))
        if stats is not None:
            stats.files += len(files)
            stats.cached += len(files) - len(missing)
            stats.bytes += sum(path.stat().st_size for path in local)
        return local

    def _trim(self, keep: set[Path]) -> None:
        """Keep the cache under ``KPI_CACHE_MB`` (Lambda's /tmp is 512 MB by default): the files used longest
        ago go first, never those being read now."""
        limit = settings().kpi_cache_mb * 1024 * 1024
        cached = [(path.stat(), path) for path in (self.cache / "files").rglob("*") if path.is_file()]
        total = sum(stat.st_size for stat, _ in cached)
        for stat, path in sorted(cached, key=lambda entry: entry[0].st_mtime):
            if total <= limit:
                return
            if path not in keep:
                path.unlink(missing_ok=True)
                total -= stat.st_size

    def _cached(self, stored: StoredFile) -> Path:
        etag = re.sub(r"[^A-Za-z0-9-]", "", stored.etag) or "none"
        return self.cache / "files" / f"{stored.key}.{etag}"

    def _download(self, stored: StoredFile, path: Path) -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = self.s3.get_object(Bucket=self.bucket, Key=stored.key)["Body"].read()
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_bytes(body)
        os.replace(partial, path)
        return len(body)

    def _work(self) -> Path:
        work = self.cache / "work"
        work.mkdir(parents=True, exist_ok=True)
        return work

    def forget(self) -> None:
        """Empty the local cache (the benchmark's cold reads; tests)."""
        shutil.rmtree(self.cache, ignore_errors=True)
