"""`make run` as developers and tests use it: visitors from many networks, stacks side by side, threads."""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from infra.local.expiry import ttl_attributes
from infra.resources import tables
from tests.conftest import BROWSER_HEADERS
from tests.e2e.conftest import RunningChorus, fetch, leaderboard, start_chorus, wait_for

pytestmark = pytest.mark.e2e


def standing(chorus: RunningChorus, name: str) -> dict[str, Any]:
    return next(entry for entry in leaderboard(chorus, "all") if entry["employee"] == name)


def test_clicks_forwarded_for_different_networks_from_loopback_are_different_visitors(chorus: RunningChorus) -> None:
    name, share = chorus.share_names[2], chorus.share_urls[2]
    opened = fetch(share, {**BROWSER_HEADERS, "X-Forwarded-For": "192.0.2.77"})  # the employee, sharing
    text = parse_qs(urlsplit(opened.headers["Location"]).query)["text"][0]
    short = next(word for word in text.split() if word.startswith(chorus.base + "/"))
    before = standing(chorus, name)
    for address in ("198.51.100.10", "203.0.113.20", "198.51.100.10"):  # the same browser on two networks
        assert fetch(short, {**BROWSER_HEADERS, "X-Forwarded-For": address}).status == 302

    after = wait_for(
        lambda: (s := standing(chorus, name))["human_clicks"] == before["human_clicks"] + 3 and s,
        seconds=30,
    )
    assert after["unique_human_clicks"] == before["unique_human_clicks"] + 2  # two networks: two visitors


def test_a_client_that_never_finishes_its_request_holds_up_no_one(chorus: RunningChorus) -> None:
    with socket.create_connection(("127.0.0.1", chorus.port)) as slow:
        slow.sendall(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n")  # and then nothing
        with urllib.request.urlopen(f"{chorus.base}/api/health", timeout=10) as response:
            assert response.status == 200


def snapshot(state: Path) -> dict[str, list[dict[str, Any]]]:
    return json.loads((state / "dynamodb.json").read_text())


def test_a_second_stack_runs_beside_the_first_with_its_own_port_and_state_and_expires_ttl_items(
    chorus: RunningChorus, tmp_path: Path
) -> None:
    """`PORT=… CHORUS_STATE_DIR=… make run` beside the running stack; TTL items expire in it as in DynamoDB."""
    state = tmp_path / "second stack"
    second = start_chorus(state, via_make=True)
    try:
        assert second.port != chorus.port
        assert any(f"state in {state}" in line for line in second.output)
        for stack in (chorus, second):
            assert fetch(f"{stack.base}/api/health").status == 200
    finally:
        assert second.stop() == -signal.SIGINT  # make dies of the Ctrl-C it passed on, after the runner stopped
    assert (state / "dynamodb.json").exists() and (state / "secret").exists()
    assert state.resolve() != chorus.state_dir.resolve()

    # Kept in the second stack's state: one event that expired an hour ago, one that expires in an hour.
    events = tables()["EventsTable"]["create"]
    table, ttl = events["TableName"], ttl_attributes()[events["TableName"]]
    saved = snapshot(state)
    for label, expires in (("expired", time.time() - 3600), ("current", time.time() + 3600)):
        key = {part["AttributeName"]: {"S": f"ttl-check-{label}"} for part in events["KeySchema"]}
        saved[table].append({**key, ttl: {"N": str(int(expires))}})
    (state / "dynamodb.json").write_text(json.dumps(saved))

    again = start_chorus(state, via_make=True)
    assert again.stop() == -signal.SIGINT
    kept = {item[events["KeySchema"][0]["AttributeName"]]["S"] for item in snapshot(state)[table]}
    assert "ttl-check-current" in kept
    assert "ttl-check-expired" not in kept
