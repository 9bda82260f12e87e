"""/api/docs in a real browser: the API document for people, from files in the repository, under its CSP."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import RunningChorus, api, fetch

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_the_api_page_shows_every_operation_and_loads_nothing_from_elsewhere(
    browser: Any, chorus: RunningChorus
) -> None:
    document = api(chorus, "/api/openapi.json")
    summaries = [op["summary"] for ops in document["paths"].values() for op in ops.values()]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    hosts: set[str] = set()
    problems: list[str] = []
    page.on("requestfinished", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.on(
        "console",
        lambda message: (
            problems.append(f"{message.text} {message.location.get('url')}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{chorus.base}/api/docs")
    page.get_by_role("heading", name="Chorus API").first.wait_for(timeout=20_000)
    page.locator("h2", has_text="Create a content item").first.wait_for()
    rendered = page.locator("body").inner_text()
    missing = [s for s in summaries if s.split(" (")[0][:40] not in rendered]
    page.screenshot(path=str(ROOT / "test-artifacts" / "api-docs-1280.png"))
    context.close()
    assert not missing, missing
    # Nothing loaded from a CDN: Redoc's one outside address, its sidebar logo, is refused by the page's CSP
    # (and the logo hides itself when it cannot load).
    assert hosts - {""} == {urlsplit(chorus.base).netloc}  # "": the blob: worker Redoc's search runs in
    assert [p for p in problems if "cdn.redoc.ly/redoc/logo-mini.svg" not in p] == []
    assert len(problems) <= 1


def test_the_api_page_s_script_is_the_vendored_redoc(chorus: RunningChorus) -> None:
    page = fetch(f"{chorus.base}/api/docs")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = fetch(f"{chorus.base}/api/docs/redoc.standalone.js")
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert script.read() == (ROOT / "site" / "vendor" / "redoc" / "redoc.standalone.js").read_bytes()
