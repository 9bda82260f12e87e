"""Domain objects as the API shows them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from functions.content.model import ContentItem

_PUBLIC = (
    "id",
    "url",
    "title",
    "slug",
    "language",
    "summary",
    "image_url",
    "topics",
    "kind",
    "important",
    "share_texts",
    "publish_start",
    "publish_end",
)


def content_view(item: ContentItem, now: datetime | None = None) -> dict[str, Any]:
    view = asdict(item)
    view["topics"] = list(item.topics)
    view["status"] = item.status_at(now or datetime.now(UTC))
    return view


def public_content_view(item: ContentItem) -> dict[str, Any]:
    view = asdict(item)
    view["topics"] = list(item.topics)
    return {key: view[key] for key in _PUBLIC}
