"""The digest's poll in a real browser, on its own running local stack: a link from a sent digest, the page that
asks, the answer recorded, the thank-you page in the employee's language."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from functions.i18n import translations
from tests.conftest import ROOT
from tests.e2e.conftest import PERSON_UA, RunningChorus, fetch, start_chorus

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARTIFACTS = ROOT / "test-artifacts"
SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningChorus]:
    """A stack of its own: sending everyone's digest here leaves the shared stack's outbox to its own tests."""
    running = start_chorus(tmp_path_factory.mktemp("poll-state"))
    yield running
    if running.process.poll() is None:
        running.stop()


def test_an_employee_answers_the_poll_from_a_digest_in_the_outbox(browser: Any, stack: RunningChorus) -> None:
    from axe_playwright_python.sync_playwright import Axe

    sent = json.load(fetch(f"{stack.base}/dev/digests?all=1", method="POST"))
    assert sent["sent"] >= 3, sent
    letters = re.findall(r'href="/dev/outbox/([^"]+\.eml)"', fetch(f"{stack.base}/dev/outbox/").read().decode())
    assert letters

    outbox = browser.new_context(viewport={"width": 700, "height": 900}).new_page()
    outbox.goto(f"{stack.base}/dev/outbox/{letters[0]}")
    email = outbox.frame_locator("iframe")
    language = email.locator("html").get_attribute("lang")
    enps = email.locator("a[href*='/poll/enps-']")
    assert enps.count() == 11 and email.locator("a[href*='/poll/satisfaction-']").count() == 5
    link = enps.nth(9).get_attribute("href")  # the button "9"
    assert link is not None and link.startswith(f"{stack.base}/poll/enps-")
    outbox.context.close()
    catalog = translations(language or "en")

    # A mail scanner opens the link first: the page asks and nothing is recorded.
    assert fetch(link, headers={"User-Agent": "Mozilla/5.0", "Accept": "text/html"}).status == 200

    for width in (375, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800}, user_agent=PERSON_UA)
        page = context.new_page()
        response = page.goto(link)
        assert response is not None and response.status == 200
        assert response.headers["referrer-policy"] == "no-referrer"
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("legend").inner_text() == catalog.gettext("How likely are you to recommend working here?")
        assert page.locator("input[name=score]:checked").get_attribute("value") == "9"
        so_far = catalog.gettext("Your answer so far: %(score)s. Sending replaces it.")
        if width == 375:
            assert page.get_by_text(so_far.split("%")[0].strip()).count() == 0  # the scanner recorded nothing
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        serious = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in SERIOUS]
        assert serious == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"poll-ask-{width}.png"), full_page=True)

        page.locator("label", has_text=re.compile(r"^\s*10\s*$")).click()  # she changes her mind: 10
        page.locator("button[type=submit]").click()
        status = page.locator("[role=status]")
        assert status.inner_text() == catalog.gettext("Your answer is saved: %(score)s.") % {"score": 10}
        assert page.locator("h1").inner_text() == catalog.gettext("Thank you!")
        page.screenshot(path=str(ARTIFACTS / f"poll-thanks-{width}.png"), full_page=True)

        page.goto(link)  # the link again: her answer so far, with the value of the link chosen
        assert page.get_by_text(so_far % {"score": 10}).is_visible()
        context.close()
