"""The site's Results page in a real browser: the public summary for anyone, the charts for an admin with a token."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PERSON_UA, RunningChorus, api
from tests.e2e.test_site import ARTIFACTS, SERIOUS

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
TOKEN_KEY = "chorus.adminToken"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(user_agent=PERSON_UA, accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


def serious_violations(page: Any) -> list[tuple[str, str, int]]:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [(v["id"], v["impact"], len(v["nodes"])) for v in violations if v["impact"] in SERIOUS]


def open_results(page: Any, chorus: RunningChorus, lang: str = "en") -> None:
    page.goto(f"{chorus.base}/{lang}/kpi/?at={time.monotonic()}")  # pages are cacheable for a minute


def shown_figures(page: Any) -> dict[str, int]:
    expect(page.locator('[data-summary="shares"]')).not_to_have_text("–")  # filled from the API
    cells = page.locator("#summary [data-summary]").all()
    # "1,234" in English, "1 234" in Polish: the digits are the number.
    return {cell.get_attribute("data-summary"): int("".join(filter(str.isdigit, cell.inner_text()))) for cell in cells}


def sign_in(page: Any, token: str) -> None:
    page.get_by_label("Admin token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def test_the_public_summary_shows_the_programme_totals_at_every_width(chorus: RunningChorus, page: Any) -> None:
    totals = api(chorus, "/api/results/summary")
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        open_results(page, chorus)
        figures = shown_figures(page)
        expected = {k: totals[k] for k in ("shares", "human_clicks", "unique_human_clicks", "employees_sharing")}
        assert figures == expected
        assert page.locator("#summary-range").inner_text().startswith("From ")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"sideways scrolling at {width} px"
        assert page.get_by_role("button", name="Sign in").is_visible()  # no token yet: no report
        assert page.locator("#results-report svg").count() == 0
        assert serious_violations(page) == [], width


def test_an_admin_sees_the_charts_and_their_tables_at_every_width(chorus: RunningChorus, page: Any) -> None:
    open_results(page, chorus)
    sign_in(page, chorus.admin_token)
    report = page.locator("#results-report")
    report.locator("svg.chart").first.wait_for()
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") == chorus.admin_token  # this tab only
    assert page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')") is None
    assert not page.get_by_role("button", name="Sign in").is_visible()
    assert page.evaluate("document.activeElement.id") == "r-from"  # focus goes on to the form, not to the top
    assert report.locator("svg.chart[role='img']").count() >= 1
    assert report.locator("details table").count() >= 1  # each chart's data, for screen readers and anyone
    assert "are shown below" in page.locator("#results-status").inner_text()
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        open_results(page, chorus)  # the token stays for the tab: the report comes back by itself
        report.locator("svg.chart").first.wait_for()
        chart = report.locator("svg.chart").first.bounding_box()
        assert chart is not None and chart["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"sideways scrolling at {width} px"
        report.locator("details").first.locator("summary").click()  # the data table opened, as a reader would
        assert report.locator("details table").first.is_visible()
        assert serious_violations(page) == [], width
        shot = ARTIFACTS / f"results-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000


def test_a_csv_table_downloads_with_the_admins_token(chorus: RunningChorus, page: Any) -> None:
    open_results(page, chorus)
    sign_in(page, chorus.admin_token)
    page.locator("#results-report svg.chart").first.wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Headline numbers").click()
    saved = download.value
    assert saved.suggested_filename.startswith("chorus-headline-") and saved.suggested_filename.endswith(".csv")
    with open(saved.path(), encoding="utf-8") as csv:
        rows = csv.read().splitlines()
    assert len(rows) >= 2 and "," in rows[0]  # a header and at least one row
    assert "downloaded" in page.locator("#results-status").inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name="Teams", exact=True).click()
    assert download.value.suggested_filename.startswith("chorus-team_ranking-")
    with open(download.value.path(), encoding="utf-8") as csv:
        header = csv.readline().strip()
    assert header == "team,active_members,points,points_per_member,shares,unique_human_clicks"


def test_dates_the_wrong_way_round_are_named_next_to_the_field(chorus: RunningChorus, page: Any) -> None:
    open_results(page, chorus)
    sign_in(page, chorus.admin_token)
    page.locator("#results-report svg.chart").first.wait_for()
    page.get_by_label("From", exact=True).fill("2026-12-31")
    page.get_by_label("To", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Show").click()
    errors = page.locator("#results-filters .error")
    errors.first.wait_for()
    assert errors.first.inner_text().startswith(("From:", "To:"))
    invalid = page.locator("#results-filters [aria-invalid='true']")
    assert invalid.count() >= 1 and invalid.first.get_attribute("id") in ("r-from", "r-to")
    assert page.locator("#results-report svg").count() == 0  # no stale report beside the error
    assert serious_violations(page) == []


def test_a_wrong_token_is_refused_and_not_kept(chorus: RunningChorus, page: Any) -> None:
    open_results(page, chorus)
    sign_in(page, chorus.admin_token[:-4] + "xxxx")
    error = page.locator("#r-token-error")
    error.wait_for()
    assert "not accepted" in error.inner_text()
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
    assert page.evaluate("document.activeElement.id") == "r-token"
    assert page.get_by_label("Admin token").input_value() == ""
    assert page.locator("#results-report svg").count() == 0 and not page.locator("#results-workspace").is_visible()
    assert serious_violations(page) == []
    # A token that stops working (rotated while the tab was open) is dropped at the next request.
    page.evaluate(f"sessionStorage.setItem('{TOKEN_KEY}', 'revoked')")
    open_results(page, chorus)
    page.locator("#r-token-error").wait_for()
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
