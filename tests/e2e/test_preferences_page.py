"""The digest's preferences page in a real browser, on the running local stack: change, save, unsubscribe."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import RunningChorus

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_an_employee_moves_their_digest_to_friday_picks_a_topic_then_unsubscribes(
    browser: Any, chorus: RunningChorus
) -> None:
    # The digest's "Email preferences" link: <api>/preferences?token=<its own 7-day token> (preferences_url).
    url = chorus.preferences_url
    assert url.startswith(f"{chorus.base}/preferences?token=")
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    assert page.locator("html").get_attribute("lang") == "pl"  # the demo employee reads Polish

    before = {
        "cadence": page.locator("input[name=cadence]:checked").get_attribute("value"),
        "weekday": page.locator("#weekday").input_value(),
    }
    topic = page.locator("input[name=topics]:not(:checked)").first  # one of the library's topics
    chosen = topic.get_attribute("value")
    page.check("input[name=cadence][value=weekly]")
    page.select_option("#weekday", "friday")
    topic.check()
    page.click("button[type=submit]:not([name])")
    assert page.locator("[role=status]").inner_text() == "Zapisano."

    page.goto(url)  # what is stored, read afresh
    assert page.locator("input[name=cadence][value=weekly]").is_checked()
    assert page.locator("#weekday").input_value() == "friday"
    assert page.locator(f"input[name=topics][value='{chosen}']").is_checked()

    page.click("button[name=action][value=unsubscribe]")
    assert "nie będą już przychodzić" in page.locator("[role=status]").inner_text()
    page.goto(url)
    assert page.locator("input[name=cadence][value=off]").is_checked()

    # Leave the shared demo stack as it was for the other end-to-end tests.
    page.check(f"input[name=cadence][value={before['cadence']}]")
    page.select_option("#weekday", before["weekday"])
    page.uncheck(f"input[name=topics][value='{chosen}']")
    page.click("button[type=submit]:not([name])")
    assert page.locator("[role=status]").inner_text() == "Zapisano."
    context.close()
