"""The public feed and the admin library listing, one Query per page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from functions.content.model import LANGUAGES, STATUSES, ContentItem, iso_utc
from functions.content.store import ContentStore
from functions.cursors import decode_cursor, encode_cursor

MAX_LIMIT = 50


class FeedQueryError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class FeedPage:
    items: list[ContentItem]
    next_cursor: str | None
    consumed_capacity: float = 0.0


def feed(
    language: str | None = None,
    topic: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
    now: datetime | None = None,
    store: ContentStore | None = None,
) -> FeedPage:
    """Published, in-window items: important first, then newest. A page may hold fewer than ``limit``
    items when a topic or the window filters some out; follow ``next_cursor`` until it is None."""
    if language is not None and language not in LANGUAGES:
        raise FeedQueryError("lang", f"must be one of {', '.join(LANGUAGES)}")
    if topic is not None and not 0 < len(topic) <= 40:
        raise FeedQueryError("topic", "must be 1 to 40 characters")
    _check_limit(limit)
    query = ("feed", language or "", (topic or "").lower(), str(limit))
    start = _start_key(cursor, query)
    page = (store or ContentStore()).feed_page(
        language, (topic or "").lower() or None, iso_utc(now or datetime.now(UTC)), limit, start
    )
    next_cursor = encode_cursor(page.last_key, query) if page.last_key else None
    return FeedPage(page.items, next_cursor, page.consumed_capacity)


def library(
    status: str,
    limit: int = 20,
    cursor: str | None = None,
    now: datetime | None = None,
    store: ContentStore | None = None,
) -> FeedPage:
    """The admin's list by status (draft, scheduled, published, expired, archived), newest change first."""
    if status not in STATUSES:
        raise FeedQueryError("status", f"must be one of {', '.join(STATUSES)}")
    _check_limit(limit)
    query = ("library", status, str(limit))
    stored = status if status in ("draft", "archived") else "published"
    page = (store or ContentStore()).by_status(stored, limit, _start_key(cursor, query))
    moment = now or datetime.now(UTC)
    items = [item for item in page.items if item.status_at(moment) == status]
    next_cursor = encode_cursor(page.last_key, query) if page.last_key else None
    return FeedPage(items, next_cursor, page.consumed_capacity)


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise FeedQueryError("limit", f"must be between 1 and {MAX_LIMIT}")


def _start_key(cursor: str | None, query: tuple[str, ...]) -> dict | None:
    if not cursor:
        return None
    from functions.cursors import CursorError

    try:
        return decode_cursor(cursor, query)
    except CursorError as exc:
        raise FeedQueryError("cursor", str(exc)) from None
