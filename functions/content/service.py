"""What admins do to the content library: create, revise, archive; and what the public may read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from functions.content.model import ContentItem, new_content, revised
from functions.content.store import ContentExistsError, ContentNotFoundError, ContentStore
from functions.links.destinations import with_utm


class DuplicateContentError(ValueError):
    """An item with this id already exists."""


def create_content(fields: dict[str, Any], actor: str, now: datetime | None = None) -> ContentItem:
    """Validate and store a new item (ContentValidationError names each bad field)."""
    store = ContentStore()
    item = new_content(**fields, actor=actor, now=now)
    try:
        store.add(item)
    except ContentExistsError:
        raise DuplicateContentError(item.id) from None
    return item


def update_content(content_id: str, changes: dict[str, Any], actor: str, now: datetime | None = None) -> ContentItem:
    """Apply ``changes``; links already shared follow a new destination or campaign."""
    store = ContentStore()
    current = store.get(content_id)
    if current is None:
        raise ContentNotFoundError(content_id)
    item = revised(current, changes, actor, now)
    store.replace(item, current.updated_at)
    if (item.url, item.utm_campaign) != (current.url, current.utm_campaign):
        from functions.links.store import LinkStore

        LinkStore().retarget(item.id, lambda network: with_utm(item.url, network, item.utm_campaign))
    return item


def archive_content(content_id: str, actor: str, now: datetime | None = None) -> ContentItem:
    """Take an item out of the feed and the digests; links already shared keep redirecting."""
    return update_content(content_id, {"status": "archived"}, actor, now)


def public_content(content_id: str, now: datetime | None = None) -> ContentItem:
    item = ContentStore().get(content_id)
    if item is None or not item.is_live(now or datetime.now(UTC)):
        raise ContentNotFoundError(content_id)
    return item
