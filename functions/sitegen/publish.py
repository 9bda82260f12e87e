"""Publishing the generated site: only what changed is written, what disappeared is deleted.

A manifest (``_manifest.json``: path → SHA-256 of the bytes, and of the data the page was rendered from)
kept beside the site says what is there, so a rebuild renders only pages whose data changed (the builder
reads it with :func:`read_manifest`) and uploads only pages whose bytes changed. Each object gets its Content-Type and a
Cache-Control: a year and ``immutable`` for content-hashed assets (``/assets/site.<hash>.css``: a new
version is a new name), a minute for pages (they change when content or leaderboards do).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

MANIFEST = "_manifest.json"
UPLOAD_THREADS = 16
ASSET_CACHE = "public, max-age=31536000, immutable"
PAGE_CACHE = "public, max-age=60"
_HASHED = re.compile(r"^assets/.+\.[0-9a-f]{8,}\.[a-z0-9]+$")
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
}


class Writer(Protocol):
    def read(self, key: str) -> bytes | None: ...
    def write(self, key: str, body: bytes, content_type: str, cache_control: str) -> None: ...
    def delete(self, key: str) -> None: ...


@dataclass(frozen=True)
class Entry:
    sha256: str
    inputs: str = ""  # a fingerprint of what the page was rendered from ("" when unknown)


@dataclass(frozen=True)
class PublishReport:
    written: tuple[str, ...]
    deleted: tuple[str, ...]
    unchanged: int
    bytes_written: int


def content_type_for(key: str) -> str:
    suffix = Path(key).suffix.lower()
    if suffix not in _TYPES:
        raise ValueError(f"no content type is known for {key!r}")
    return _TYPES[suffix]


def cache_control_for(key: str) -> str:
    if key == MANIFEST:
        return "no-store"
    return ASSET_CACHE if _HASHED.match(key) else PAGE_CACHE


def publish(
    files: Mapping[str, bytes],
    writer: Writer,
    inputs: Mapping[str, str] | None = None,
    keep: Iterable[str] = (),
) -> PublishReport:
    """Make the site hold exactly ``files`` plus ``keep``, writing only the differences.

    ``files`` maps bucket keys (``en/index.html``) to bytes; ``inputs`` gives each its data fingerprint;
    ``keep`` names pages the builder did not render because their fingerprint is unchanged: they stay as
    they are. Pages are written before the manifest and stale ones deleted after it, so a failure part-way
    leaves a site that still works and a manifest that makes the next run redo what was missed.
    """
    inputs = inputs or {}
    for key in files:
        if key == MANIFEST or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"not a site path: {key!r}")
        content_type_for(key)  # every type known before anything is written
    previous = read_manifest(writer)
    current = {key: previous[key] for key in keep if key in previous and key not in files}
    current.update({key: Entry(hashlib.sha256(body).hexdigest(), inputs.get(key, "")) for key, body in files.items()})
    changed = sorted(key for key in files if key not in previous or previous[key].sha256 != current[key].sha256)
    _each(changed, lambda key: writer.write(key, files[key], content_type_for(key), cache_control_for(key)))
    gone = sorted(set(previous) - set(current))
    if changed or gone or any(previous.get(key) != entry for key, entry in current.items()):
        manifest = {key: [entry.sha256, entry.inputs] for key, entry in sorted(current.items())}
        body = json.dumps(manifest, separators=(",", ":")).encode()
        writer.write(MANIFEST, body, content_type_for(MANIFEST), cache_control_for(MANIFEST))
    _each(gone, writer.delete)
    return PublishReport(
        written=tuple(changed),
        deleted=tuple(gone),
        unchanged=len(current) - len(changed),
        bytes_written=sum(len(files[key]) for key in changed),
    )


def _each(keys: list[str], action: Callable[[str], None]) -> None:
    """``action`` on every key, UPLOAD_THREADS at a time (S3 round trips dominate); the first error is raised
    after the others finish, so the caller's order (pages, then manifest, then deletions) still holds."""
    if len(keys) <= 1:
        for key in keys:
            action(key)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(UPLOAD_THREADS, len(keys))) as pool:
        for future in [pool.submit(action, key) for key in keys]:
            future.result()


def read_manifest(writer: Writer) -> dict[str, Entry]:
    """What the last publish left: path → Entry (empty when there is none or it cannot be read)."""
    raw = writer.read(MANIFEST)
    if raw is None:
        return {}
    try:
        manifest = json.loads(raw)
    except ValueError:
        return {}  # unreadable: everything is written again, which is always safe
    if not isinstance(manifest, dict):
        return {}
    entries = {}
    for key, value in manifest.items():
        if isinstance(value, str):  # the first format: the SHA-256 alone
            entries[str(key)] = Entry(value)
        elif isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
            entries[str(key)] = Entry(value[0], value[1])
    return entries


class S3Writer:
    """The site bucket (functions.config's ``site_bucket`` by default)."""

    def __init__(self, bucket: str | None = None, client: Any = None) -> None:
        from functions import aws
        from functions.config import settings

        self.bucket = bucket or settings().site_bucket
        self.client = client or aws.client("s3")

    def read(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def write(self, key: str, body: bytes, content_type: str, cache_control: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, CacheControl=cache_control
        )

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


class FolderWriter:
    """A folder on disk, for looking at a build without a bucket (headers are not kept)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, key: str) -> bytes | None:
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def write(self, key: str, body: bytes, content_type: str, cache_control: str) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)

    def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)
