"""An admin in a real browser (Debian's chromium driven by Playwright) curates content at /admin."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import RunningChorus, api, show_name

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARTIFACTS = ROOT / "test-artifacts"
PAYLOAD = '<img src=x onerror="window.__pwned=1">Autumn release <script>window.__pwned=1</script>'


@pytest.fixture
def admin(browser: Any, chorus: RunningChorus) -> Iterator[Any]:
    """A signed-in admin's page at 1280 px."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{chorus.base}/admin/")
    page.get_by_label("Admin token").fill(chorus.admin_token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Add content").wait_for()
    yield page
    context.close()


def error_for(page: Any, control_id: str) -> str:
    """The error text announced for a control (waiting for it): the element its aria-describedby names."""
    page.locator(f"#{control_id}-error").wait_for()
    control = page.locator(f"#{control_id}")
    assert control.get_attribute("aria-invalid") == "true"
    described = (control.get_attribute("aria-describedby") or "").split()
    assert f"{control_id}-error" in described
    return page.locator(f"#{control_id}-error").inner_text()


def test_a_wrong_token_is_refused_and_the_right_one_kept_for_the_tab_only(browser: Any, chorus: RunningChorus) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{chorus.base}/admin")
    assert page.get_by_role("heading", name="Add content").is_hidden()
    page.get_by_label("Admin token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    assert "not accepted" in error_for(page, "f-token")
    assert page.evaluate("sessionStorage.length") == 0

    page.get_by_label("Admin token").fill(chorus.admin_token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Add content").wait_for()
    assert page.evaluate("localStorage.length") == 0  # never beyond the browser session
    page.reload()
    page.get_by_role("heading", name="Add content").wait_for()  # the same tab stays signed in
    context.close()

    fresh = browser.new_context().new_page()  # a new session asks again
    fresh.goto(f"{chorus.base}/admin")
    fresh.get_by_label("Admin token").wait_for()
    assert fresh.get_by_role("heading", name="Add content").is_hidden()
    fresh.context.close()


def test_an_admin_adds_an_item_and_sees_it_in_the_list_and_the_feed(admin: Any, chorus: RunningChorus) -> None:
    page = admin
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.get_by_label("Destination URL").fill("https://example.com/news/autumn-release")
    page.get_by_label("Title").fill(PAYLOAD)
    page.get_by_label("Summary").fill("Faster reports & a new mobile app.")
    page.get_by_label("Language").select_option("en")
    page.get_by_label("Status").select_option("published")
    page.get_by_label("Topics").fill("Product, mobile")
    page.get_by_label("Important / call to action").check()
    page.get_by_label("LinkedIn, variant 1").fill("Proud of what we shipped this autumn.")
    page.get_by_label("LinkedIn, variant 2").fill("Have a look at our autumn release.")
    page.get_by_label("X, variant 1").fill("Autumn release is out:")
    page.get_by_role("button", name="Save item").click()

    page.get_by_role("status").filter(has_text="Saved").wait_for()
    row = page.locator("#library tbody tr", has_text="Autumn release")
    row.wait_for()
    assert row.locator("a").first.inner_text() == PAYLOAD  # shown as text, never run
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src='x'], #library script").count() == 0 and dialogs == []  # nothing injected
    assert "published" in row.inner_text() and "important" in row.inner_text()

    feed = api(chorus, "/api/feed?lang=en")["items"]
    item = next(entry for entry in feed if entry["title"] == PAYLOAD)
    assert feed[0]["important"]  # important first
    assert item["url"] == "https://example.com/news/autumn-release"
    assert item["topics"] == ["product", "mobile"]
    assert item["share_texts"]["linkedin"] == [
        "Proud of what we shipped this autumn.",
        "Have a look at our autumn release.",
    ]

    row.get_by_role("button", name="Archive").click()  # a quick action: gone from the public feed
    page.get_by_role("status").filter(has_text="is now archived").wait_for()
    assert all(entry["id"] != item["id"] for entry in api(chorus, "/api/feed?lang=en")["items"])


def test_an_invalid_form_shows_the_api_errors_next_to_the_fields(admin: Any) -> None:
    page = admin
    page.get_by_role("button", name="Save item").click()  # empty: checked before anything is sent
    assert "enter a title" in error_for(page, "f-title")
    assert "address" in error_for(page, "f-url")

    page.get_by_label("Destination URL").fill("http://192.168.1.10/intranet")
    page.get_by_label("Title").fill("Internal page")
    page.get_by_label("X, variant 1").fill("x" * 300)
    page.get_by_label("Publish from").fill("2026-12-10T09:00")
    page.get_by_label("Publish until").fill("2026-12-01T09:00")
    page.get_by_role("button", name="Save item").click()

    page.locator("#f-url-error", has_text="public").wait_for()  # the API's words, not the form's own check
    assert page.get_by_role("alert").filter(has_text="Destination URL").is_visible()
    assert "280" in error_for(page, "f-share_texts-x-0")
    assert error_for(page, "f-publish_end")
    assert page.locator("#f-title").get_attribute("aria-invalid") is None  # only what is wrong is marked
    page.locator("#content-summary a", has_text="Destination URL").click()
    assert page.evaluate("document.activeElement.id") == "f-url"

    page.get_by_label("Page address").fill("http://169.254.169.254/latest/meta-data/")
    page.get_by_role("button", name="Fill in from the page").click()
    page.locator("#f-import-url-error").wait_for()
    assert "refused address" in error_for(page, "f-import-url")


def photo_png(width: int = 1280, height: int = 1300) -> bytes:
    """A real, uncompressible photo-sized PNG of about 5.0 MB (over the ~4.4 MB that used to fail in AWS)."""
    import random
    import struct
    import zlib

    pixels = random.Random(7).randbytes(width * 3 * height)
    rows = b"".join(b"\x00" + pixels[y * width * 3 : (y + 1) * width * 3] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b"")


def test_an_admin_uploads_a_large_image_and_sees_it_on_the_items_page(admin: Any, chorus: RunningChorus) -> None:
    page = admin
    photo = photo_png()
    assert 4.6e6 < len(photo) < 5 * 1024 * 1024
    requests: list[Any] = []
    page.on("requestfinished", lambda request: requests.append(request))

    page.get_by_label("…or upload an image").set_input_files(
        {"name": "launch.png", "mimeType": "image/png", "buffer": photo}
    )
    page.get_by_role("status").filter(has_text="Image uploaded").wait_for(timeout=60_000)
    image_url = page.get_by_label("Image URL").input_value()
    assert image_url.startswith(f"{chorus.base}/media/") and image_url.endswith(".png")
    sent = {urlsplit(r.url).path: r for r in requests if r.method == "POST"}
    started = sent.pop("/api/admin/images")  # the API is told the type and size, and never gets the file
    assert started.post_data_json == {"content_type": "image/png", "size": len(photo)}
    assert [path for path in sent if not path.startswith("/api/")] == ["/chorus-dev-site-000000000000"]
    page.get_by_label("Destination URL").fill("https://example.com/news/launch-photo")
    page.get_by_label("Title").fill("Launch day in pictures")
    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Save item").click()
    page.get_by_role("status").filter(has_text="Saved").wait_for()

    site = page.context.new_page()
    heading = site.get_by_role("heading", name="Launch day in pictures")
    for _ in range(60):  # the content change rebuilds the site by itself
        site.goto(f"{chorus.base}/en/?at={time.monotonic()}")
        if heading.count():
            break
        site.wait_for_timeout(500)
    site.goto(chorus.base + heading.get_by_role("link").get_attribute("href"))
    shown = site.locator(f'main img[src="{image_url}"]')
    shown.wait_for()
    assert shown.evaluate("img => img.complete && img.naturalWidth") == 1280  # decoded from /media/

    page.get_by_label("…or upload an image").set_input_files(
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"<svg onload=alert(1)></svg>"}
    )
    assert "checked by content" in error_for(page, "f-image")
    page.get_by_label("…or upload an image").set_input_files(
        {"name": "huge.png", "mimeType": "image/png", "buffer": photo + bytes(400_000)}
    )
    page.locator("#f-image-error", has_text="at most 5 MB").wait_for()
    assert page.get_by_label("Image URL").input_value() == ""  # a refused file fills in nothing (saved: cleared)

    refusal = "<Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy expired.</Message></Error>"
    page.route(  # what S3 answers when its policy refuses a POST (moto never does)
        "**/chorus-dev-site-*",
        lambda route: route.fulfill(
            status=403, body=refusal, content_type="application/xml", headers={"Access-Control-Allow-Origin": "*"}
        ),
    )
    page.get_by_label("…or upload an image").set_input_files(
        {"name": "late.png", "mimeType": "image/png", "buffer": photo}
    )
    page.locator("#f-image-error", has_text="refused by the storage").wait_for()


def test_an_admin_imports_employees_and_reads_the_report(admin: Any, chorus: RunningChorus) -> None:
    page = admin
    rows = [
        "email,name,team,locale,time_zone,digest_cadence,topics",
        "lena.sokolova@example.com,Lena Sokolova,Support,ru,Europe/Riga,weekly:mon,product",
        "not-an-email,Nobody,Support,en,Europe/Riga,daily,",
        "jonas.kazlauskas@example.com,Jonas Kazlauskas,Sales,lt,Europe/Vilnius,daily,hiring",
        "mark@example.com,Mark,Sales,de,Mars/Base,hourly,",
    ]
    csv = ("\n".join(rows) + "\n").encode()
    page.get_by_label("Import nothing until every row is right").check()
    page.get_by_label("CSV file").set_input_files({"name": "team.csv", "mimeType": "text/csv", "buffer": csv})
    page.get_by_role("button", name="Import", exact=True).click()
    page.locator("#directory-report-title", has_text="Nothing was imported").wait_for()
    errors = page.locator("#directory-errors tbody tr")
    assert errors.count() == 2
    assert errors.nth(0).inner_text().startswith("3")  # spreadsheet line numbers
    assert "mark@example.com" in errors.nth(1).inner_text() and "locale" in errors.nth(1).inner_text()

    page.get_by_label("Import the valid rows and list the others").check()
    page.get_by_role("button", name="Import", exact=True).click()
    page.locator("#directory-report-title", has_text="Imported the valid rows; 2 rows were not imported").wait_for()
    assert page.locator("#directory-report-counts").inner_text() == "2 created, 0 updated, 0 unchanged."

    not_csv = {"name": "photo.png", "mimeType": "text/csv", "buffer": b"\x89PNG\r\n"}
    page.get_by_label("CSV file").set_input_files(not_csv)
    page.get_by_role("button", name="Import", exact=True).click()
    page.locator("#f-csv-error").wait_for()
    assert error_for(page, "f-csv").startswith("CSV file:")


def test_the_import_report_names_the_choices_the_employees_made_themselves(admin: Any, chorus: RunningChorus) -> None:
    show_name(chorus, True)  # Anna (the demo employee whose token the runner prints) chooses to appear by name ...
    # ... and HR's export says to hide her: her choice stands, and the report says so.
    csv = b"email,name,team,show_name\nanna.kowalska@example.com,Anna Kowalska,Marketing,no\n"
    page = admin
    page.get_by_label("Import the valid rows and list the others").check()
    page.get_by_label("CSV file").set_input_files({"name": "hr.csv", "mimeType": "text/csv", "buffer": csv})
    page.get_by_role("button", name="Import", exact=True).click()
    page.locator("#directory-report-title", has_text="Imported all 1 row").wait_for()
    assert page.locator("#directory-report-counts").inner_text() == "0 created, 0 updated, 1 unchanged."
    kept = page.get_by_role("table", name="Kept the employee's own choice").locator("tbody tr")
    assert kept.count() == 1
    assert [cell.strip() for cell in kept.first.locator("td").all_inner_texts()] == [
        "2",
        "anna.kowalska@example.com",
        "show_name: yes",
    ]
    board = api(chorus, "/api/leaderboard?period=all&limit=100")
    assert "Anna Kowalska" in [entry["employee"] for entry in board["entries"]]


def test_an_admin_moderates_an_employee_suggestion(admin: Any, chorus: RunningChorus) -> None:
    request = urllib.request.Request(
        f"{chorus.base}/api/suggestions",
        data=json.dumps(
            {"url": "https://example.com/blog/<b>bold</b>", "comment": "<script>window.__pwned=1</script>"}
        ).encode(),
        headers={"Authorization": f"Employee {chorus.employee_token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
    page = admin
    page.reload()
    page.get_by_role("heading", name="Add content").wait_for()
    card = page.locator("#moderation .card", has_text="<script>window.__pwned=1</script>")
    card.wait_for()
    assert page.evaluate("window.__pwned") is None

    card.get_by_role("button", name="Reject").click()  # a rejection needs a note for the employee
    assert "note" in card.get_by_role("alert").inner_text()
    card.get_by_label("Note for the employee").fill("Thanks! Not for this quarter.")
    card.get_by_role("button", name="Reject").click()
    page.get_by_role("status").filter(has_text="Suggestion rejected").wait_for()
    assert card.count() == 0

    demo = page.locator("#moderation .card", has_text="remote-onboarding")  # the demo data's suggestion
    demo.get_by_role("button", name="Approve as draft").click()
    page.get_by_role("status").filter(has_text="Suggestion approved").wait_for()
    page.get_by_label("List items that are").select_option("draft")
    page.locator("#library tbody tr", has_text="example.com").first.wait_for()
    queue = api(chorus, "/api/admin/suggestions", token=chorus.admin_token)["items"]
    assert all("remote-onboarding" not in entry["url"] for entry in queue)


@pytest.mark.parametrize("width", [375, 1280])
def test_the_admin_page_fits_phones_and_desktops(browser: Any, chorus: RunningChorus, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{chorus.base}/admin")
    page.get_by_label("Admin token").fill(chorus.admin_token)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#library tbody tr").first.wait_for()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{width}.png"), full_page=True)
    context.close()
