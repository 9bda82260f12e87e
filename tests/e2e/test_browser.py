"""A person in a real browser (Debian's chromium driven by Playwright) shares and clicks."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import PERSON_UA, RunningChorus, leaderboard, share_url_nobody_used

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARTIFACTS = ROOT / "test-artifacts"


def follow(page: Any, url: str, host: str) -> str:
    """Open ``url`` and return the URL the browser was sent on to at ``host``.

    There is no internet here, so the final hop fails to resolve; the browser still made the request
    (Playwright's routing cannot answer it: it only sees the first URL of a redirect chain).
    """
    from playwright.sync_api import Error

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    with contextlib.suppress(Error):
        page.goto(url)
    sent = [u for u in requested if urlsplit(u).hostname == host]
    assert sent, f"the browser was not sent to {host}: {requested}"
    return sent[0]


def test_a_person_shares_then_a_reader_clicks_and_the_click_counts_as_human(
    browser: Any, chorus: RunningChorus, tmp_path: Path
) -> None:
    employee, share_url = share_url_nobody_used(chorus, "x")  # the day's first share of it, whatever ran before
    before = next(e for e in leaderboard(chorus) if e["employee"] == employee)

    sharer = browser.new_context(user_agent=PERSON_UA, locale="pl-PL")
    page = sharer.new_page()
    intent = urlsplit(follow(page, share_url, "x.com"))
    assert intent.hostname == "x.com"
    short_link = parse_qs(intent.query)["url"][0]
    assert short_link.startswith(chorus.base)
    sharer.close()

    reader = browser.new_context(user_agent=PERSON_UA, locale="lt-LT")
    page = reader.new_page()
    destination = urlsplit(follow(page, short_link, "example.com"))
    assert destination.path == "/en/product/autumn-launch"
    assert parse_qs(destination.query)["utm_medium"] == ["employee_advocacy"]
    reader.close()

    def counted() -> dict[str, Any] | None:
        entry = next(e for e in leaderboard(chorus) if e["employee"] == employee)
        return entry if entry["human_clicks"] > before["human_clicks"] else None

    deadline = time.monotonic() + 5
    while (entry := counted()) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert entry is not None, "the browser's click did not reach the leaderboard within 5 s"
    assert entry["human_clicks"] == before["human_clicks"] + 1
    assert entry["shares"] == before["shares"] + 1


def test_a_headless_browser_is_redirected_but_not_counted_as_a_person(browser: Any, chorus: RunningChorus) -> None:
    context = browser.new_context()  # Chromium's own "HeadlessChrome" agent
    intent = follow(context.new_page(), chorus.share_urls[1], "www.linkedin.com")
    short_link = next(w for w in parse_qs(urlsplit(intent).query)["text"][0].split() if w.startswith(chorus.base))
    total = sum(e["human_clicks"] for e in leaderboard(chorus))
    follow(context.new_page(), short_link, "example.com")
    time.sleep(1.5)  # two stream rounds
    assert sum(e["human_clicks"] for e in leaderboard(chorus)) == total
    context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_the_404_page_is_readable_on_phone_and_desktop(browser: Any, chorus: RunningChorus, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800}, user_agent=PERSON_UA)
    page = context.new_page()
    response = page.goto(f"{chorus.base}/NoSuchCode9")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Link not found"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"not-found-{width}.png"))
    context.close()
