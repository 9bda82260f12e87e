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
        "type": "text/css; charset=utf-8", "cache": "public, max-age=31536000, immutable"}
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
