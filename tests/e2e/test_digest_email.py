"""The digest email in a real browser (Debian's chromium through Playwright), on a phone and on a wide window."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace
from typing import Any

import pytest

from functions.digest.render import render_digest
from tests.conftest import ROOT
from tests.unit.test_digest_render import item, sample_digest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARTIFACTS = ROOT / "test-artifacts"


def wide_png(width: int = 1200, height: int = 630) -> bytes:
    """A plain image wider than any phone, as content images usually are (Open Graph size)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes((70, 110, 170)) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("width", [375, 700])
def test_the_digest_reads_without_sideways_scrolling_and_its_share_buttons_show(browser: Any, width: int) -> None:
    long_word = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen"  # must wrap, not widen the page
    base = sample_digest("pl")
    digest = replace(base, items=(*base.items, item(4, title=long_word * 2, summary=long_word)))
    html = render_digest(digest).html
    png = wide_png()

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.route("https://cdn.example.com/**", lambda route: route.fulfill(body=png, content_type="image/png"))
    page.set_content(html, wait_until="load")

    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    assert page.locator("html").get_attribute("lang") == "pl"
    buttons = page.locator("a.button[href*='/share/']")
    assert buttons.count() == 5 * len(digest.items)
    for index in range(buttons.count()):
        button = buttons.nth(index)
        assert button.is_visible()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    for image in page.locator("img").all():
        box = image.bounding_box()
        assert box is not None and 0 < box["width"] <= width
        assert image.evaluate("img => img.naturalWidth") == 1200  # it loaded, and was scaled down to fit
    assert page.get_by_text("Wypisz się").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"digest-{width}.png"), full_page=True)
    context.close()
