"""The whole flow over real HTTP against `make run`'s runner: share, click, see it on the leaderboard."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import BROWSER_HEADERS, SHARER_HEADERS
from tests.e2e.conftest import RunningChorus, fetch, leaderboard, start_chorus, wait_for

pytestmark = pytest.mark.e2e


def share_and_click(chorus: RunningChorus, share_url: str, agent_suffix: str = "") -> str:
    response = fetch(share_url, SHARER_HEADERS)  # the employee's browser: the share is recorded
    assert response.status == 302
    intent = urlsplit(response.headers["Location"])
    assert intent.hostname == "www.linkedin.com"
    text = parse_qs(intent.query)["text"][0]
    short = next(word for word in text.split() if word.startswith(chorus.base + "/"))
    headers = {**BROWSER_HEADERS, "User-Agent": BROWSER_HEADERS["User-Agent"] + agent_suffix}
    click = fetch(short, headers)
    assert click.status == 302
    assert click.headers["Location"].startswith("https://example.com/en/product/autumn-launch?src=site&utm_source=")
    return short


def test_the_runner_prints_what_to_open_and_serves_the_demo(chorus: RunningChorus) -> None:
    assert chorus.admin_token.startswith("chorus_adm_")
    assert all(url.startswith(f"{chorus.base}/share/") for url in chorus.share_urls)
    entries = leaderboard(chorus)
    assert len(entries) >= 5 and entries[0]["rank"] == 1 and entries[0]["human_clicks"] > 0


def test_share_click_and_the_click_reaches_the_leaderboard_within_five_seconds(chorus: RunningChorus) -> None:
    name = next(line for line in chorus.output if line.startswith("Share as")).split(" (")[0].removeprefix("Share as ")
    before = next(e for e in leaderboard(chorus) if e["employee"] == name)
    share_and_click(chorus, chorus.share_urls[0], " e2e-visitor")
    after = wait_for(
        lambda: next(
            (e for e in leaderboard(chorus) if e["employee"] == name and e["human_clicks"] > before["human_clicks"]),
            None,
        )
    )
    assert after["human_clicks"] == before["human_clicks"] + 1 and after["shares"] == before["shares"] + 1
    assert after["unique_human_clicks"] == before["unique_human_clicks"] + 1


def test_the_printed_admin_token_is_accepted_and_a_wrong_one_is_not(chorus: RunningChorus) -> None:
    share_path = urlsplit(chorus.share_urls[0]).path.split("/")
    body = json.dumps({"employee_id": share_path[2], "content_id": share_path[3]}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {chorus.admin_token}"}
    assert fetch(f"{chorus.base}/api/admin/share-links", headers, "POST", body).status == 201
    headers["Authorization"] = "Bearer chorus_adm_not-a-real-token"
    refused = fetch(f"{chorus.base}/api/admin/share-links", headers, "POST", body)
    assert refused.status == 401 and "Traceback" not in refused.read().decode()


def test_unknown_codes_get_the_404_page(chorus: RunningChorus) -> None:
    response = fetch(f"{chorus.base}/NoSuchCode1", BROWSER_HEADERS)
    assert response.status == 404 and "Link not found" in response.read().decode()


def upload_image(chorus: RunningChorus, data: bytes) -> str:
    """As the admin form does: start, POST the file to the (local) S3, complete; returns the image's URL."""
    import requests

    api = {"Authorization": f"Bearer {chorus.admin_token}"}
    started = requests.post(
        f"{chorus.base}/api/admin/images", json={"content_type": "image/png"}, headers=api, timeout=10
    )
    upload = started.json()
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("a.png", data)}, timeout=30)
    assert sent.status_code == 204
    completed = requests.post(f"{chorus.base}/api/admin/images/{upload['upload_id']}/complete", headers=api, timeout=10)
    assert completed.status_code == 201, completed.text
    return completed.json()["image_url"]


def test_state_survives_a_restart_and_ctrl_c_frees_the_port(tmp_path: Any) -> None:
    first = start_chorus(tmp_path / "state")
    total = sum(e["human_clicks"] for e in leaderboard(first))
    share_and_click(first, first.share_urls[1], " restart-visitor")
    wait_for(lambda: sum(e["human_clicks"] for e in leaderboard(first)) == total + 1)
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    image_url = upload_image(first, image)
    before = leaderboard(first)
    assert first.stop() == 0
    with socket.socket() as probe:
        # Any server sets SO_REUSEADDR; with it, bind+listen fails only while someone still listens.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", first.port))
        probe.listen()
    second = start_chorus(tmp_path / "state", port=first.port)
    try:
        assert leaderboard(second) == before
        kept = fetch(image_url)  # uploaded images are kept too, with their headers
        assert kept.status == 200 and kept.read() == image and kept.headers["Content-Type"] == "image/png"
        share_and_click(second, second.share_urls[1], " after-restart")
        wait_for(lambda: sum(e["human_clicks"] for e in leaderboard(second)) == total + 2)
    finally:
        assert second.stop() == 0
