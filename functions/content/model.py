"""Content items and the rules for registering one."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from functions.config import NETWORKS
from functions.links.destinations import DestinationError, validate_destination

LANGUAGES = ("en", "pl", "lt", "ru")
KINDS = ("company", "third_party")
STATUSES = ("draft", "scheduled", "published", "expired", "archived")


class ContentValidationError(ValueError):
    """One or more fields are invalid; ``fields`` maps each to its message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid content: " + ", ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class ContentItem:
    id: str
    url: str
    title: str
    slug: str
    language: str = "en"
    summary: str = ""
    image_url: str | None = None
    topics: tuple[str, ...] = ()
    campaign: str | None = None
    kind: str = "company"
    important: bool = False
    status: str = "published"
    share_texts: dict[str, list[str]] = field(default_factory=dict)
    created_at: str = ""

    @property
    def is_shareable(self) -> bool:
        return self.status == "published"

    @property
    def utm_campaign(self) -> str:
        return self.campaign or self.slug

    def suggested_text(self, network: str, variant_seed: int) -> str:
        """One of the suggested texts for the network, chosen per employee so posts don't all read alike."""
        variants = self.share_texts.get(network) or self.share_texts.get("default") or [self.title]
        return variants[variant_seed % len(variants)]


def new_content(
    *,
    url: str,
    title: str,
    language: str = "en",
    summary: str = "",
    image_url: str | None = None,
    topics: list[str] | tuple[str, ...] = (),
    campaign: str | None = None,
    kind: str = "company",
    important: bool = False,
    status: str = "published",
    share_texts: dict[str, list[str]] | None = None,
    content_id: str | None = None,
    now: datetime | None = None,
) -> ContentItem:
    """Validate the fields of a new content item; raise ContentValidationError naming each bad field."""
    errors: dict[str, str] = {}
    try:
        url = validate_destination(url)
    except DestinationError as exc:
        errors["url"] = str(exc)
    if not isinstance(title, str) or not title.strip():
        errors["title"] = "is required"
    elif len(title) > 300:
        errors["title"] = "must be at most 300 characters"
    if language not in LANGUAGES:
        errors["language"] = f"must be one of {', '.join(LANGUAGES)}"
    if kind not in KINDS:
        errors["kind"] = f"must be one of {', '.join(KINDS)}"
    if status not in STATUSES:
        errors["status"] = f"must be one of {', '.join(STATUSES)}"
    if image_url is not None:
        try:
            validate_destination(image_url)
        except DestinationError as exc:
            errors["image_url"] = str(exc)
    texts = share_texts or {}
    for network in texts:
        if network not in (*NETWORKS, "default"):
            errors[f"share_texts.{network}"] = "is not a supported network"
    if errors:
        raise ContentValidationError(errors)
    created = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return ContentItem(
        id=content_id or uuid.uuid4().hex[:12],
        url=url,
        title=title.strip(),
        slug=slugify(title),
        language=language,
        summary=summary,
        image_url=image_url,
        topics=tuple(topics),
        campaign=campaign,
        kind=kind,
        important=important,
        status=status,
        share_texts={k: list(v) for k, v in texts.items()},
        created_at=created,
    )


def slugify(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-_")
    return slug[:60].strip("-") or "item"


def content_from_record(record: dict[str, Any]) -> ContentItem:
    return ContentItem(
        id=record["id"],
        url=record["url"],
        title=record["title"],
        slug=record.get("slug") or slugify(record["title"]),
        language=record.get("language", "en"),
        summary=record.get("summary", ""),
        image_url=record.get("image_url"),
        topics=tuple(record.get("topics", ())),
        campaign=record.get("campaign"),
        kind=record.get("kind", "company"),
        important=bool(record.get("important", False)),
        status=record.get("status", "published"),
        share_texts=record.get("share_texts", {}),
        created_at=record.get("created_at", ""),
    )
