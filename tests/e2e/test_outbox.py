"""`make digest ALL=1` against the running local stack, and the outbox that shows what was sent."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import RunningChorus

pytestmark = pytest.mark.e2e


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def test_make_digest_all_sends_each_demo_employee_one_digest_and_the_outbox_shows_it(
    chorus: RunningChorus, browser: Any
) -> None:
    command = [sys.executable, "-m", "infra.local.digest", "--all", "--port", str(chorus.port)]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True).stdout
    queued = int(re.search(r"Queued (\d+)", first).group(1))  # type: ignore[union-attr]
    assert queued >= 3, first  # the demo employees with digests on

    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True).stdout
    assert re.search(r"sent 0 ", again), again  # exactly once per period

    # Each of them has this period's digest exactly once: sent by `--all`, or already by the runner's hourly
    # plan, which fires at start too (for the demo employees whose 08:00 is this hour).
    listing = fetch(f"{chorus.base}/dev/outbox/")
    recipients = re.findall(r"<tr><td>[^<]*</td><td>([^<]+)</td>", listing)
    assert len(recipients) >= queued
    assert len(set(recipients)) == len(recipients), recipients  # nobody twice
    links = re.findall(r'href="/dev/outbox/([^"]+\.eml)"', listing)
    assert len(links) == len(recipients)
    assert list((chorus.state_dir / "outbox").glob("*.eml"))  # kept as .eml files in the state folder

    page = browser.new_context(viewport={"width": 700, "height": 900}).new_page()
    page.goto(f"{chorus.base}/dev/outbox/{links[0]}")
    frame = page.frame_locator("iframe")
    assert frame.locator("a[href*='/share/']").count() >= 5  # every network's signed share link
    assert "List-Unsubscribe-Post" in page.locator("table").inner_text()
    page.context.close()


def test_outbox_names_cannot_leave_the_outbox_folder(chorus: RunningChorus) -> None:
    for name in ("..%2F..%2Fstate.json", "x.eml", "%2e%2e"):
        assert "No such message" in fetch(f"{chorus.base}/dev/outbox/{name}")
    body = json.loads(fetch(f"{chorus.base}/api/health"))
    assert body == {"status": "ok"}
