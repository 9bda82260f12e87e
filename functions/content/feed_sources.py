"""Registering an RSS or Atom feed whose entries become draft content items.

This module owns the rules a feed source must meet to be registered: a usable destination URL, and a
language, topics and kind the content model accepts (every entry becomes a content item with them, so a
bad source would fail every pull). Storing sources is functions.content.feed_store's; reading a feed is
functions.content.feed_parsing's; pulling one into drafts is functions.content.feed_pulls'.

An article's identity is its canonical URL: the content id is derived from it, so the content table's
conditional put is the de-duplication (no Scan, no extra index). The same article in two feeds, pulled
twice, or also suggested by an employee, becomes one item. A feed's id is likewise its canonical URL's,
so one feed cannot be registered twice under two spellings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from functions.clock import utc_stamp
from functions.content.feed_store import FeedSource, FeedSourceStore
from functions.content.model import ContentValidationError, new_content
from functions.content.urls import feed_source_id_for_url
from functions.links.destinations import DestinationError, validate_destination


class FeedSourceValidationError(ValueError):
    """The feed source cannot be registered; ``fields`` maps each bad field to its message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid feed source: " + ", ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def add_feed_source(
    url: str,
    *,
    language: str = "en",
    topics: Iterable[str] = (),
    kind: str = "third_party",
    added_by: str,
    now: datetime | None = None,
    store: FeedSourceStore | None = None,
) -> FeedSource:
    """Register a feed; its entries will become drafts in ``language`` with ``topics`` and ``kind``.

    Raises FeedSourceValidationError naming every bad field, or feed_store.FeedSourceExistsError if the
    feed is registered already; nothing is stored in either case.
    """
    errors: dict[str, str] = {}
    topics = (topics,) if isinstance(topics, str) else tuple(topics)
    if not isinstance(added_by, str) or not added_by.strip():
        errors["added_by"] = "is required"
    # Checked through the content model itself, so that a bad source cannot fail every pull.
    try:
        probe = new_content(url=url, title="feed", language=language, topics=topics, kind=kind, status="draft")
    except ContentValidationError as exc:
        errors.update(exc.fields)
    try:
        url = validate_destination(url)
    except DestinationError as exc:
        errors["url"] = str(exc)
    if errors:
        raise FeedSourceValidationError(errors)
    source = FeedSource(
        id=feed_source_id_for_url(url),
        url=url,
        added_by=added_by.strip(),
        added_at=utc_stamp(now),
        language=probe.language,
        topics=probe.topics,
        kind=probe.kind,
    )
    (store or FeedSourceStore()).add(source)
    return source
