"""`make run` serves a thread per connection: the redirect's warm caches must survive concurrent use."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from cachetools import LRUCache, TTLCache

from functions.links import redirect
from functions.links.store import ShortLink

KNOWN = [f"Known{n:03d}" for n in range(30)]
UNKNOWN = [f"Nobody{n:03d}" for n in range(10)]


class FakeLinks:
    """The link table as the redirect reads it: one GetItem per code, here a dict."""

    def __init__(self) -> None:
        self.links = {
            code: ShortLink(code, "emp", "item", "linkedin", "Sales", f"https://example.com/{code}") for code in KNOWN
        }

    def get(self, code: str) -> ShortLink | None:
        return self.links.get(code)


@pytest.fixture
def tiny_caches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Caches that expire and evict all the time, so threads meet inside them, and fast thread switches."""
    fresh, negative, known = TTLCache(8, ttl=0.0005), TTLCache(4, ttl=0.0005), LRUCache(8)
    links = FakeLinks()
    monkeypatch.setattr(redirect, "_cache", lambda: fresh)
    monkeypatch.setattr(redirect, "_negative_cache", lambda: negative)
    monkeypatch.setattr(redirect, "_known", lambda: known)
    monkeypatch.setattr(redirect, "_links", lambda: links)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def test_links_resolve_right_from_four_threads_at_once(tiny_caches: None) -> None:
    failures: list[str] = []

    def visit(offset: int) -> None:
        codes = KNOWN + UNKNOWN
        for n in range(3_000):
            code = codes[(n * 7 + offset) % len(codes)]
            try:
                link = redirect.resolve(code)
            except Exception as exc:  # noqa: BLE001 - collected: the assertion below shows them
                failures.append(f"{code}: {exc!r}")
                continue
            if (link.code if link else None) != (code if code in KNOWN else None):
                failures.append(f"{code}: resolved to {link!r}")

    threads = [threading.Thread(target=visit, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [], f"{len(failures)} of 12,000 lookups failed, e.g. {failures[:3]}"
