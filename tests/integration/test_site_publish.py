"""Publishing the site to the bucket: headers right, only changes written, removed pages deleted."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from functions.config import settings
from functions.sitegen.publish import MANIFEST, FolderWriter, S3Writer, publish

SITE = {
    "index.html": b"<!doctype html><title>Chorus</title>",
    "en/index.html": b"<!doctype html><title>Home</title>",
    "en/items/launch/index.html": b"<!doctype html><title>Launch</title>",
    "assets/site.0123abcd.css": b"body{margin:0}",
    "assets/chorus.89abcdef.js": b"'use strict';",
}


def head(key: str) -> dict[str, str]:
    found = boto3.client("s3").head_object(Bucket=settings().site_bucket, Key=key)
    return {"type": found["ContentType"], "cache": found["CacheControl"]}


def test_every_object_gets_its_type_and_cache_policy(aws: None) -> None:
    report = publish(SITE, S3Writer())
    assert sorted(report.written) == sorted(SITE) and report.deleted == ()
    assert head("en/index.html") == {"type": "text/html; charset=utf-8", "cache": "public, max-age=60"}
    assert head("assets/site.0123abcd.css") == {
        "type": "text/css; charset=utf-8",
        "cache": "public, max-age=31536000, immutable",
    }
    assert head("assets/chorus.89abcdef.js")["type"] == "text/javascript; charset=utf-8"
    assert head(MANIFEST)["cache"] == "no-store"


def test_a_rebuild_writes_only_what_changed_and_deletes_what_went(aws: None) -> None:
    publish(SITE, S3Writer())
    again = publish(SITE, S3Writer())
    assert (again.written, again.deleted, again.unchanged) == ((), (), len(SITE))

    changed = {k: v for k, v in SITE.items() if k != "en/items/launch/index.html"}
    changed["en/index.html"] = b"<!doctype html><title>Home, changed</title>"
    report = publish(changed, S3Writer())
    assert report.written == ("en/index.html",) and report.deleted == ("en/items/launch/index.html",)
    assert report.bytes_written == len(changed["en/index.html"])
    keys = {o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=settings().site_bucket)["Contents"]}
    assert keys == set(changed) | {MANIFEST}
    manifest = json.loads(S3Writer().read(MANIFEST) or b"{}")
    assert set(manifest) == set(changed)


def test_a_lost_or_broken_manifest_means_everything_is_written_again(tmp_path: Path) -> None:
    writer = FolderWriter(tmp_path)
    publish(SITE, writer)
    (tmp_path / MANIFEST).write_text("{not json")
    assert len(publish(SITE, writer).written) == len(SITE)
    assert (tmp_path / "en/items/launch/index.html").read_bytes() == SITE["en/items/launch/index.html"]


@pytest.mark.parametrize("key", ["/en/index.html", "../secret.html", MANIFEST, "en/page.exe"])
def test_paths_outside_the_site_or_of_unknown_type_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        publish({**SITE, key: b"x"}, FolderWriter(tmp_path))
    assert not any(tmp_path.iterdir())  # nothing half-written


class FailingWriter(FolderWriter):
    """A folder whose writes of one key fail (a throttled or broken upload)."""

    def __init__(self, root: Path, failing: str) -> None:
        super().__init__(root)
        self.failing = failing

    def write(self, key: str, body: bytes, content_type: str, cache_control: str) -> None:
        if key == self.failing:
            raise OSError(f"upload of {key} failed")
        super().write(key, body, content_type, cache_control)


def test_an_upload_that_fails_leaves_the_old_manifest_so_the_next_run_redoes_it(tmp_path: Path) -> None:
    publish(SITE, FolderWriter(tmp_path))
    changed = {**SITE, "en/index.html": b"<!doctype html><title>New</title>", "pl/index.html": b"<!doctype html>"}
    with pytest.raises(OSError, match=r"en/index\.html"):
        publish(changed, FailingWriter(tmp_path, "en/index.html"))
    assert (tmp_path / "pl/index.html").is_file()  # the other uploads finished
    retried = publish(changed, FolderWriter(tmp_path))
    assert set(retried.written) == {"en/index.html", "pl/index.html"}


def test_pages_kept_by_the_builder_stay_with_their_fingerprints(tmp_path: Path) -> None:
    from functions.sitegen.publish import read_manifest

    writer = FolderWriter(tmp_path)
    publish(SITE, writer, inputs=dict.fromkeys(SITE, "v1"))
    rest = {k: v for k, v in SITE.items() if k != "en/items/launch/index.html"}
    report = publish(rest, writer, inputs=dict.fromkeys(rest, "v1"), keep=["en/items/launch/index.html"])
    assert (report.written, report.deleted) == ((), ())
    manifest = read_manifest(writer)
    assert manifest["en/items/launch/index.html"].inputs == "v1" and set(manifest) == set(SITE)
