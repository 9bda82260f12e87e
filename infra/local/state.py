"""Local state that survives restarts of `make run`: table snapshots, uploaded images, the counting run's
data bucket and the secret.

moto keeps everything in memory; on a schedule and at shutdown the runner writes every table to one
JSON file (atomically: a crash mid-write leaves the previous snapshot), and restores it at start.
Uploaded images (the bucket's media/, never rewritten) are kept as files, each written once; so are the
data bucket's objects (the counting run's decision state after each slice, and the archive of raw
events): the checkpoint in the snapshot names a state object, which must come back with it. The
generated site is not kept: it is rebuilt at start.

The folder is ``.state/`` in the repository unless ``CHORUS_STATE_DIR`` names another, so several stacks
can run side by side. `make reset` (``python -m infra.local.state reset``) wipes the same folder.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def default_state_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``CHORUS_STATE_DIR`` (relative to the working directory), or the repository's ``.state/``."""
    return Path(env.get("CHORUS_STATE_DIR") or ROOT / ".state")  # set but empty: unset, never "here"


class NotStateError(RuntimeError):
    """The folder to wipe holds something other than `make run`'s state."""


class LocalState:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.snapshot_file = folder / "dynamodb.json"
        self.secret_file = folder / "secret"

    @property
    def exists(self) -> bool:
        return self.snapshot_file.exists()

    @property
    def saved_at(self) -> float | None:
        """When the table snapshot was written (epoch seconds): nothing in it is newer."""
        return self.snapshot_file.stat().st_mtime if self.exists else None

    def wipe(self) -> bool:
        """Delete the folder, if `make run` made it (it holds the secret or a snapshot); False if nothing was there.

        Anything else is refused: ``CHORUS_STATE_DIR`` pointing at a home folder must not empty it.
        """
        if not self.folder.exists():
            return False
        if not (self.secret_file.exists() or self.snapshot_file.exists()):
            raise NotStateError(f"{self.folder} is not a `make run` state folder (no secret, no snapshot): not wiped")
        shutil.rmtree(self.folder)
        return True

    def secret(self) -> str:
        """The local deployment secret, generated on first start and kept with the state."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.secret_file.exists():
            _write_atomically(self.secret_file, secrets.token_urlsafe(48))
        return self.secret_file.read_text().strip()

    def save(self, snapshot: dict[str, list[dict[str, Any]]]) -> int:
        """Write the tables' items (DynamoDB JSON, by table name) as the snapshot; returns how many."""
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.snapshot_file, json.dumps(snapshot))
        return sum(len(items) for items in snapshot.values())

    def save_media(self, s3: Any, bucket: str) -> int:
        """Keep the images uploaded since the last save; returns how many were new."""
        from functions.content.images import PREFIX

        folder = self.folder / PREFIX
        folder.mkdir(parents=True, exist_ok=True)
        saved = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX):
            for entry in page.get("Contents", []):
                target = folder / entry["Key"].removeprefix(PREFIX)
                if not target.exists():
                    _write_atomically(target, s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read())
                    saved += 1
        return saved

    def restore_media(self, s3: Any, bucket: str) -> int:
        """Put the kept images back, with the headers an upload stores."""
        from functions.content.images import CACHE_CONTROL, EXTENSIONS, PREFIX

        types = {extension: content_type for content_type, extension in EXTENSIONS.items()}
        kept = [path for path in sorted((self.folder / PREFIX).glob("*")) if path.suffix[1:] in types]
        for path in kept:
            s3.put_object(
                Bucket=bucket,
                Key=PREFIX + path.name,
                Body=path.read_bytes(),
                ContentType=types[path.suffix[1:]],
                CacheControl=CACHE_CONTROL,
            )
        return len(kept)

    def save_data(self, s3: Any, bucket: str) -> int:
        """Mirror the data bucket into the state folder: new objects written once, deleted ones removed."""
        folder = self.folder / "data"
        kept: set[Path] = set()
        saved = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                target = folder / entry["Key"]
                kept.add(target)
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    _write_atomically(target, s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read())
                    saved += 1
        for path in folder.rglob("*") if folder.exists() else ():
            if path.is_file() and path not in kept:
                path.unlink()
        return saved

    def restore_data(self, s3: Any, bucket: str) -> int:
        folder = self.folder / "data"
        files = sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []
        for path in files:
            s3.put_object(Bucket=bucket, Key=path.relative_to(folder).as_posix(), Body=path.read_bytes())
        return len(files)

    def restore(self, dynamodb: Any) -> int:
        if not self.exists:
            return 0
        snapshot = json.loads(self.snapshot_file.read_text())
        from functions.dynamo import put_all

        return sum(put_all(dynamodb, table, items) for table, items in snapshot.items())


def _write_atomically(path: Path, content: str | bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(handle, "wb" if isinstance(content, bytes) else "w") as file:
        file.write(content)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    """`make reset`: ``python -m infra.local.state reset`` wipes the state folder `make run` would use."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["reset"]:
        print("usage: python -m infra.local.state reset", file=sys.stderr)
        return 2
    folder = default_state_dir()
    try:
        wiped = LocalState(folder).wipe()
    except NotStateError as exc:
        print(exc, file=sys.stderr)
        return 1
    done = "wiped" if wiped else "was already empty"
    print(f"Local state in {folder} {done}: the next 'make run' starts with fresh demo data.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
