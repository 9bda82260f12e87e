"""The static site as people use it: `make run` serves it, Debian's chromium (Playwright) clicks through it."""

from __future__ import annotations

import contextlib
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import ROOT, SHARER_HEADERS
from tests.e2e.conftest import PERSON_UA, RunningChorus, api, fetch, share_url_nobody_used, show_name

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARTIFACTS = ROOT / "test-artifacts"
SERIOUS = ("serious", "critical")
XSS = '<script>alert("site")</script><img src=x onerror=alert(2)>'


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(user_agent=PERSON_UA)
    opened = context.new_page()
    yield opened
    context.close()


def sent_to(page: Any, host: str, click: Any) -> str:
    """Click, and return the URL the browser was sent to at ``host`` (no internet here: that hop fails)."""
    from playwright.sync_api import Error

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    with contextlib.suppress(Error):
        click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sent = [u for u in requested if urlsplit(u).hostname == host]
        if sent:
            return sent[0]
        page.wait_for_timeout(100)
    raise AssertionError(f"the browser was not sent to {host}: {requested}")


def rebuild(chorus: RunningChorus) -> dict[str, Any]:
    return api(chorus, "/dev/site", method="POST", body={})


def test_the_home_page_shows_the_cards_at_every_width(chorus: RunningChorus, page: Any) -> None:
    rebuild(chorus)
    everything = api(chorus, "/api/feed?limit=50")["items"]  # newest first, important on top
    ordered = sorted(everything, key=lambda item: (not item["important"], item["language"] != "en"))
    feed = [item["title"] for item in ordered[:12]]  # then English (the page's language), then the rest
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (320, 375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{chorus.base}/en/")
        assert page.locator(".card h2").all_inner_texts() == feed
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"sideways scrolling at {width} px"
        if width != 320:
            shot = ARTIFACTS / f"site-home-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
    page.goto(f"{chorus.base}/en/leaderboard/")
    page.set_viewport_size({"width": 375, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "site-leaderboard-375.png"), full_page=True)


def test_without_a_token_a_share_button_shares_the_public_page(chorus: RunningChorus, page: Any) -> None:
    page.goto(f"{chorus.base}/en/")
    first = page.locator(".card").first
    button = first.get_by_role("link", name="LinkedIn")
    assert button.get_attribute("aria-describedby") == first.locator("h2").get_attribute("id")  # "… : <title>"
    intent = sent_to(page, "www.linkedin.com", button.click)
    shared = parse_qs(urlsplit(intent).query)["text"][0]  # the page: its preview shows the title
    assert shared.startswith(f"{chorus.base}/") and "/items/" in shared
    with urllib.request.urlopen(shared, timeout=10) as response:  # the public page exists
        assert response.status == 200


def test_with_the_digest_token_sharing_goes_through_the_employees_signed_link(chorus: RunningChorus, page: Any) -> None:
    page.goto(f"{chorus.base}/en/#t={chorus.employee_token}")
    page.wait_for_selector(".card a[data-personal]")
    assert urlsplit(page.url).fragment == ""  # the token left the address bar ...
    assert page.evaluate("localStorage.getItem('chorus.token')") == chorus.employee_token  # ... for the browser
    me = page.locator("#me")
    me.wait_for(state="visible")
    assert "Anna Kowalska" in me.inner_text()
    button = page.locator('.card a[data-network="linkedin"]').first
    assert button.get_attribute("href").startswith(f"{chorus.base}/share/")
    intent = sent_to(page, "www.linkedin.com", button.click)
    post = parse_qs(urlsplit(intent).query)["text"][0]
    assert any(word.startswith(f"{chorus.base}/") and "/items/" not in word for word in post.split()), post

    # Kept across pages, without the fragment. The share above is counted within a second or so: compare
    # once the box (read at page load) and the board (read after it) saw the same points.
    deadline = time.monotonic() + 15
    while True:
        page.goto(f"{chorus.base}/pl/leaderboard/?at={time.monotonic()}")
        page.locator("#me").wait_for(state="visible")
        row = page.locator('#me tr[data-period="all"]')
        shown = {f: row.locator(f'td[data-field="{f}"]').inner_text() for f in ("rank", "team_rank", "points")}
        board = api(chorus, "/api/leaderboard?period=all&limit=20")["entries"]
        mine = next(e for e in board if e["employee"] == "Anna Kowalska")
        if shown["points"].replace("\xa0", "") == str(mine["points"]) or time.monotonic() > deadline:
            break
    assert shown["points"].replace("\xa0", "") == str(mine["points"])
    assert shown["rank"] == str(mine["rank"]) and shown["team_rank"].isdigit(), (shown, board)
    progress = page.locator('#me [data-me="progress"]')  # her share earned a badge and started a streak
    assert progress.is_visible(), "no badges or streak shown"
    assert "Pierwsze udostępnienie" in progress.inner_text() and "Seria tygodni: " in progress.inner_text()


def test_a_token_that_fails_verification_is_dropped_with_a_gentle_message(chorus: RunningChorus, page: Any) -> None:
    page.goto(f"{chorus.base}/en/#t={chorus.employee_token[:-3]}%E0%A4%A")  # forged, and not even valid UTF-8
    notice = page.locator("#notice")
    notice.wait_for(state="visible")
    assert "could not be confirmed" in notice.inner_text()
    assert page.evaluate("localStorage.getItem('chorus.token')") is None
    assert page.locator("h1").inner_text() == "Stories to share"
    hrefs = page.locator(".card a[data-network]").evaluate_all("links => links.map(a => a.href)")
    assert hrefs and not any("/share/" in href for href in hrefs)


def points_on_board(page: Any, chorus: RunningChorus, name: str) -> int:
    # Pages may be cached for a minute (Cache-Control); a new query string is a new URL to the browser.
    page.goto(f"{chorus.base}/en/leaderboard/?at={time.monotonic()}")
    row = page.locator("#board-week + .table-wrap tbody tr", has=page.get_by_role("rowheader", name=name))
    return int(row.locator("td").nth(2).inner_text().replace(",", ""))


def test_the_leaderboard_shows_the_ranking_and_updates_after_clicks(chorus: RunningChorus, page: Any) -> None:
    time.sleep(1)  # an earlier test's share is counted within a second
    rebuild(chorus)
    page.goto(f"{chorus.base}/en/leaderboard/?at={time.monotonic()}")
    entries = api(chorus, "/api/leaderboard?period=week&limit=20")["entries"]
    rows = page.locator("#board-week + .table-wrap tbody tr")
    shown = [
        (r.locator("th").inner_text(), int(r.locator("td").nth(2).inner_text().replace(",", ""))) for r in rows.all()
    ]
    assert shown == [(e["employee"], e["points"]) for e in entries]  # the same people, order and points
    podium = sum(1 for e in entries if e["rank"] <= 3)  # ties share a rank
    assert page.locator("#board-week + .table-wrap tbody tr.podium").count() == podium >= 3

    name, share_url = share_url_nobody_used(chorus, "whatsapp")
    # From the API: the page may not have caught up with an earlier test's share yet.
    before = next(
        e["points"] for e in api(chorus, "/api/leaderboard?period=week&limit=20")["entries"] if e["employee"] == name
    )
    intent = fetch(share_url, SHARER_HEADERS).headers["Location"]  # a browser's share is recorded
    short = next(w for w in parse_qs(urlsplit(intent).query)["text"][0].split() if w.startswith(chorus.base))
    for n in range(3):
        reader = {"User-Agent": f"{PERSON_UA} reader{n}", "Accept": "text/html", "Accept-Language": "lt"}
        fetch(short, {**reader, "X-Forwarded-For": f"198.51.100.{60 + n}"})  # three readers, three networks
    deadline = time.monotonic() + 40  # counted within a second; the runner rebuilds the site ~10 s later
    while time.monotonic() < deadline:
        time.sleep(1)
        after = points_on_board(page, chorus, name)
        if after == before + 31:  # a share is a point, each new reader ten
            return
    raise AssertionError(f"{name} had {before} points and now {after}, not {before + 31}")


def test_the_language_switch_keeps_the_page(chorus: RunningChorus, page: Any) -> None:
    from functions.i18n import translations

    page.goto(f"{chorus.base}/en/leaderboard/")
    page.locator("nav.languages").get_by_role("link", name="Polski").click()
    page.wait_for_url(f"{chorus.base}/pl/leaderboard/")
    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.locator("h1").inner_text() == translations("pl").gettext("Leaderboard")
    page.locator("nav.languages").get_by_role("link", name="Русский").click()
    page.wait_for_url(f"{chorus.base}/ru/leaderboard/")
    assert page.locator("h1").inner_text() == translations("ru").gettext("Leaderboard")
    page.goto(f"{chorus.base}/")  # the picker forwards to the browser's language
    page.wait_for_url(f"{chorus.base}/en/")


def test_pages_have_no_serious_accessibility_violations(chorus: RunningChorus, page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(f"{chorus.base}/en/")
    item = page.locator(".card h2 a").first.get_attribute("href")
    topic = page.locator(".card .chips a").first.get_attribute("href")
    axe = Axe()
    for path in ("/en/", item, topic, "/pl/leaderboard/", "/ru/topics/", "/lt/kpi/", "/en/admin/", "/404.html", "/"):
        page.goto(f"{chorus.base}{path}")
        if path == "/":
            page.wait_for_url(f"{chorus.base}/en/")
        violations = axe.run(page).response["violations"]
        serious = [(v["id"], v["impact"], len(v["nodes"])) for v in violations if v["impact"] in SERIOUS]
        assert serious == [], f"{path}: {serious}"
    # With what the script adds: the employee's standing, and the notice for a token that failed.
    for fragment, shown in ((f"#t={chorus.employee_token}", "#me"), ("#t=forged.1.x", "#notice")):
        page.evaluate("localStorage.clear()")  # the forged token is nobody's: with Anna's kept, the page would ask
        page.goto(f"{chorus.base}/lt/leaderboard/?at={time.monotonic()}{fragment}")
        page.locator(shown).wait_for(state="visible")
        violations = axe.run(page).response["violations"]
        serious = [(v["id"], v["impact"], len(v["nodes"])) for v in violations if v["impact"] in SERIOUS]
        assert serious == [], f"{shown}: {serious}"


def test_an_item_with_script_payloads_shows_them_as_text_everywhere(chorus: RunningChorus, page: Any) -> None:
    body = {
        "url": "https://example.com/xss-site",
        "title": XSS,
        "summary": XSS,
        "topics": ["xss<b>"],
        "important": True,
        "status": "published",
        "share_texts": {"linkedin": [XSS]},
    }
    created = api(chorus, "/api/admin/content", method="POST", body=body, token=chorus.admin_token)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        deadline = time.monotonic() + 30  # the content change rebuilds the site by itself
        while time.monotonic() < deadline:
            page.goto(f"{chorus.base}/en/?at={time.monotonic()}")  # pages are cacheable for a minute
            if page.get_by_role("heading", name=XSS).count():
                break
            page.wait_for_timeout(500)
        heading = page.get_by_role("heading", name=XSS)
        assert heading.count() == 1
        item = heading.get_by_role("link").get_attribute("href")
        for path in ("/en/", "/pl/", item, "/en/topics/xss-b/", "/en/topics/"):
            page.goto(f"{chorus.base}{path}?at={time.monotonic()}")
            assert XSS in page.locator("main").inner_text() or "xss<b>" in page.locator("main").inner_text(), path
            assert page.locator("main script, main img[src=x]").count() == 0, path
        assert dialogs == []
    finally:
        api(chorus, f"/api/admin/content/{created['id']}", method="DELETE", token=chorus.admin_token)
    rebuild(chorus)


def test_site_objects_carry_their_type_and_cache_policy(chorus: RunningChorus) -> None:
    with urllib.request.urlopen(f"{chorus.base}/en/", timeout=10) as response:
        html = response.read().decode()
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["Cache-Control"] == "public, max-age=60"
    head = urllib.request.Request(f"{chorus.base}/en/", method="HEAD")
    with urllib.request.urlopen(head, timeout=10) as response:
        assert response.read() == b"" and int(response.headers["Content-Length"]) == len(html.encode())
        assert response.headers["Cache-Control"] == "public, max-age=60"
    css = html.split('rel="stylesheet" href="')[1].split('"')[0]
    with urllib.request.urlopen(f"{chorus.base}{css}", timeout=10) as response:
        assert response.headers["Content-Type"] == "text/css; charset=utf-8"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{chorus.base}/en/items/no-such-item/", timeout=10)
    lost = missing.value.read().decode()
    assert missing.value.code == 404 and "Page not found" in lost
    assert "Nie znaleziono strony" in lost and "Страница не найдена" in lost and 'href="/lt/"' in lost


def test_a_name_hidden_leaves_the_public_leaderboard_within_seconds(chorus: RunningChorus, page: Any) -> None:
    def board_text() -> str:
        page.goto(f"{chorus.base}/en/leaderboard/?at={time.monotonic()}")
        return page.locator("section.board").first.inner_text()

    assert "Anna Kowalska" in board_text()
    show_name(chorus, False)
    try:
        deadline = time.monotonic() + 30  # the directory's stream rebuilds the site; no schedule, no manual build
        while "Anna Kowalska" in board_text() and time.monotonic() < deadline:
            page.wait_for_timeout(500)
        text = board_text()
        assert "Anna Kowalska" not in text and "Anonymous colleague" in text
    finally:
        show_name(chorus, True)


def test_someone_elses_digest_link_takes_over_only_when_the_person_says_so(chorus: RunningChorus, page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    anna, piotr = (chorus.site_links[name].replace("/pl/", "/en/") for name in ("Anna Kowalska", "Piotr Nowak"))
    anna_token, piotr_token = (link.split("#t=", 1)[1] for link in (anna, piotr))
    dialog = page.get_by_role("dialog", name="Share in a different name?")

    def open_link(link: str) -> None:  # a new query each time: a fragment alone would not load the page again
        page.goto(link.replace("/#t=", f"/?at={time.monotonic()}#t="))

    def kept() -> str:
        return page.evaluate("localStorage.getItem('chorus.token')")

    def standing_of(name: str) -> None:
        page.locator("#me").wait_for(state="visible")
        assert name in page.locator("#me").inner_text()

    # Her own newer link replaces her older token without a word.
    page.goto(f"{chorus.base}/en/")
    page.evaluate(f"localStorage.setItem('chorus.token', '{anna_token.split('.')[0]}.{int(time.time()) + 3600}.old')")
    open_link(anna)
    standing_of("Anna Kowalska")
    assert kept() == anna_token and not dialog.is_visible()

    # A colleague's link (a forwarded digest, a shared computer): asked first, and the page stays hers meanwhile.
    open_link(piotr)
    dialog.wait_for()
    assert urlsplit(page.url).fragment == ""  # the other token left the address bar all the same
    assert page.evaluate("document.activeElement.getAttribute('data-switch')") == "keep"  # the safe answer first
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], v["impact"]) for v in violations if v["impact"] in SERIOUS] == []
    dialog.get_by_role("button", name="Keep it as it is").click()
    assert not dialog.is_visible() and kept() == anna_token
    standing_of("Anna Kowalska")

    open_link(piotr)
    dialog.get_by_role("button", name="Switch to the link I opened").click()
    standing_of("Piotr Nowak")  # the page came back as his
    assert kept() == piotr_token and not dialog.is_visible()

    open_link(anna)  # Escape closes the question: nothing changes
    dialog.wait_for()
    page.keyboard.press("Escape")
    assert not dialog.is_visible() and kept() == piotr_token

    # Someone else's expired token is not worth a question.
    page.evaluate(f"localStorage.setItem('chorus.token', '{piotr_token.split('.')[0]}.1000.old')")
    open_link(anna)
    standing_of("Anna Kowalska")
    assert kept() == anna_token and not dialog.is_visible()

    page.goto(f"{chorus.base}/pl/")  # the question speaks the page's language
    page.evaluate(f"localStorage.setItem('chorus.token', '{piotr_token}')")
    open_link(anna.replace("/en/", "/pl/"))
    page.get_by_role("dialog", name="Udostępniać w imieniu innej osoby?").wait_for()
