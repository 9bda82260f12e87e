"""Start `make run`'s runner as a real process on free ports, and talk to it over real HTTP."""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.process import RunningChorus, free_port, start_chorus  # noqa: F401 - the e2e tests import them here


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirects)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes | None = None) -> Any:
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=body)
    try:
        return OPENER.open(request, timeout=10)
    except urllib.error.HTTPError as response:
        return response


def api(chorus: RunningChorus, path: str, method: str = "GET", body: Any = None, token: str = "") -> Any:
    """The JSON a Chorus API answers (an admin's with ``token``); an HTTP error status raises, as urlopen does."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{chorus.base}{path}", data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def leaderboard(chorus: RunningChorus, period: str = "week", limit: int = 100) -> list[dict[str, Any]]:
    """The public leaderboard API's entries."""
    return api(chorus, f"/api/leaderboard?period={period}&limit={limit}")["entries"]


def wait_for(condition: Any, seconds: float = 5.0) -> Any:
    """``condition()``'s first true value, polled until ``seconds`` have passed (then the test fails)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not true within {seconds} s")


@pytest.fixture(scope="session")
def chorus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningChorus]:
    running = start_chorus(tmp_path_factory.mktemp("state"))
    yield running
    if running.process.poll() is None:
        running.stop()


def show_name(chorus: RunningChorus, show: bool, token: str | None = None) -> None:
    """The employee (the runner's demo employee unless ``token`` says otherwise) shows or hides their name."""
    request = urllib.request.Request(
        f"{chorus.base}/api/me/name-visibility",
        data=json.dumps({"show_name": show}).encode(),
        headers={"Authorization": f"Employee {token or chorus.employee_token}", "Content-Type": "application/json"},
        method="PUT",
    )
    urllib.request.urlopen(request, timeout=10).close()


# A person's Chrome. Headless Chromium announces itself as "HeadlessChrome", which Chorus rightly counts as a
# bot, so the tests' people browse with an ordinary desktop agent.
PERSON_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def share_url_nobody_used(chorus: RunningChorus, network: str) -> tuple[str, str]:
    """(the first demo employee's name, a share link of theirs for the item of the runner's printed links on
    ``network``), signed with the stack's own secret: a share no other test makes, so it is the day's first
    (a share counts once per employee, item, network and day, and the session's tests share one stack)."""
    from urllib.parse import unquote, urlsplit

    from functions.secrets import derived_key
    from functions.shares.service import PURPOSE, share_path

    employee_id, content_id = (unquote(part) for part in urlsplit(chorus.share_urls[0]).path.split("/")[2:4])
    key = derived_key(PURPOSE, master=(chorus.state_dir / "secret").read_text().strip().encode())
    return chorus.share_names[0], chorus.base + share_path(employee_id, content_id, network, key=key)
