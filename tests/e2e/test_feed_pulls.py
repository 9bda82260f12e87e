"""`make run` drives the feed-pull queue as Lambda's event source would: pull now, and each source shows how it went."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.e2e.conftest import RunningChorus, fetch

pytestmark = pytest.mark.e2e


def call(chorus: RunningChorus, method: str, path: str, body: object = None) -> Any:
    headers = {"Authorization": f"Bearer {chorus.admin_token}", "Content-Type": "application/json"}
    data = None if body is None else json.dumps(body).encode()
    return fetch(f"{chorus.base}{path}", headers, method, data)


def test_pull_now_queues_each_feed_and_the_runner_pulls_it(chorus: RunningChorus) -> None:
    added = call(chorus, "POST", "/api/admin/feed-sources", {"url": "https://feeds.invalid/rss", "topics": ["e2e"]})
    assert added.status == 201
    source_id = json.load(added)["id"]

    pulled = call(chorus, "POST", "/api/admin/feed-sources/pull")
    assert pulled.status == 202 and json.load(pulled)["queued"] >= 1

    deadline = time.monotonic() + 30  # the runner's worker takes the message within a second; resolving may wait
    while time.monotonic() < deadline:
        sources = {s["id"]: s for s in json.load(call(chorus, "GET", "/api/admin/feed-sources"))["sources"]}
        if sources[source_id]["last_pulled_at"]:
            break
        time.sleep(0.3)
    source = sources[source_id]
    assert source["last_pulled_at"], "the queued pull never ran"
    assert "could not be resolved" in source["last_error"] and source["consecutive_failures"] >= 1  # .invalid
    assert call(chorus, "DELETE", f"/api/admin/feed-sources/{source_id}").status == 204
