"""Reading a feed: RSS or Atom bytes in, the entries the library can use out. No I/O.

This module owns what an entry offers (a usable http(s) link and a title; a summary as plain text; an
image only if it is itself a usable destination) and the limits of one reading. It fetches nothing and
stores nothing: functions.content.feed_pulls fetches the bytes and turns entries into drafts.
feedparser is imported on the first reading, never at import time (Lambda cold starts stay light).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from functions.content.urls import without_tracking
from functions.links.destinations import DestinationError, validate_destination
from functions.text import shorten

MAX_ENTRIES_PER_PULL = 50
MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_SUMMARY = 1000  # what the content model accepts
MAX_TITLE = 300


@dataclass(frozen=True)
class FeedEntry:
    """What one feed entry offers the library, before it becomes a draft."""

    url: str
    title: str
    summary: str = ""
    image_url: str | None = None


@dataclass(frozen=True)
class FeedReading:
    entries: list[FeedEntry]
    skipped: int = 0  # entries without a usable link or title
    error: str | None = None  # set when the bytes are not a feed at all


class _TextOnly(HTMLParser):
    """Text of an HTML fragment: tags dropped, entities decoded, script and style content ignored."""

    _SKIP = frozenset({"script", "style", "template"})
    _BREAKS = frozenset({"p", "br", "div", "li", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """The text of an HTML fragment on one line: tags, scripts and styles dropped, entities decoded."""
    reader = _TextOnly()
    reader.feed(html)
    reader.close()
    return " ".join("".join(reader.parts).split())


def _text_of(value: Any, detail: Any) -> str:
    if not isinstance(value, str):
        return ""
    kind = (detail or {}).get("type", "text/html")
    # text/plain is already text: "a < b" must not be read as a tag.
    return plain_text(value) if "html" in kind else " ".join(value.split())


def _image_of(entry: Any) -> str | None:
    candidates = [
        m.get("url")
        for m in entry.get("media_content") or []
        if m.get("medium") == "image" or str(m.get("type", "")).startswith("image/")
    ]
    candidates += [m.get("url") for m in entry.get("media_thumbnail") or []]
    candidates += [e.get("href") for e in entry.get("enclosures") or [] if str(e.get("type", "")).startswith("image/")]
    for url in candidates:
        try:
            return validate_destination(url)
        except DestinationError:
            continue  # an unusable image never costs the article
    return None


def entry_of(entry: Any) -> FeedEntry | None:
    """A feedparser entry as a FeedEntry, or None without a usable http(s) link and title."""
    title = shorten(_text_of(entry.get("title"), entry.get("title_detail")), MAX_TITLE)
    try:
        url = without_tracking(validate_destination(entry.get("link")))
    except DestinationError:
        return None
    if not title:
        return None
    summary_html, detail = entry.get("summary"), entry.get("summary_detail")
    if not summary_html and entry.get("content"):
        summary_html, detail = entry["content"][0].get("value"), entry["content"][0]
    summary = shorten(_text_of(summary_html, detail), MAX_SUMMARY)
    return FeedEntry(url=url, title=title, summary=summary, image_url=_image_of(entry))


def read_feed(data: bytes, feed_url: str, limit: int = MAX_ENTRIES_PER_PULL) -> FeedReading:
    """Parse RSS or Atom bytes; relative links resolve against ``feed_url``. No I/O."""
    import feedparser

    if len(data) > MAX_FEED_BYTES:
        return FeedReading([], error=f"the feed is larger than {MAX_FEED_BYTES} bytes")
    # A file object, never bare bytes: given bytes, feedparser first tries them as a local file name.
    parsed = feedparser.parse(
        io.BytesIO(data), response_headers={"content-type": "application/xml", "content-location": feed_url}
    )
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        reason = parsed.get("bozo_exception")
        return FeedReading([], error=f"not an RSS or Atom feed ({reason})" if reason else "not an RSS or Atom feed")
    entries: list[FeedEntry] = []
    skipped = 0
    for raw in parsed.entries[:limit]:
        entry = entry_of(raw)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    return FeedReading(entries, skipped)
