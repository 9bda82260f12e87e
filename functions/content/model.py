"""Content items and the rules for registering one."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from functions.clock import parse_utc, utc_stamp
from functions.config import LANGUAGES, NETWORKS
from functions.content.limits import over_limit
from functions.links.destinations import DestinationError, validate_destination

KINDS = ("company", "third_party")
# What an admin sets. "scheduled" and "expired" are derived from the publish window (see ``status_at``).
STORED_STATUSES = ("draft", "published", "archived")
STATUSES = ("draft", "scheduled", "published", "expired", "archived")
MAX_VARIANTS = 10
MAX_TOPICS = 20


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
    status: str = "published"  # as stored: draft, published or archived
    share_texts: dict[str, list[str]] = field(default_factory=dict)
    publish_start: str = ""  # ISO 8601 UTC; empty: from creation
    publish_end: str | None = None
    created_at: str = ""
    created_by: str = ""
    updated_at: str = ""
    updated_by: str = ""

    def status_at(self, now: datetime) -> str:
        """draft, scheduled, published, expired or archived, as a reader sees it at ``now``."""
        if self.status != "published":
            return self.status
        moment = iso_utc(now)
        if self.publish_start and self.publish_start > moment:
            return "scheduled"
        if self.publish_end and self.publish_end <= moment:
            return "expired"
        return "published"

    def is_live(self, now: datetime | None = None) -> bool:
        return self.status_at(now or datetime.now(UTC)) == "published"

    @property
    def is_shareable(self) -> bool:
        return self.is_live()

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
    publish_start: str | datetime | None = None,
    publish_end: str | datetime | None = None,
    content_id: str | None = None,
    actor: str = "",
    now: datetime | None = None,
) -> ContentItem:
    """Validate the fields of a new content item; raise ContentValidationError naming each bad field."""
    now = now or datetime.now(UTC)
    fields = _validated(
        url=url,
        title=title,
        language=language,
        summary=summary,
        image_url=image_url,
        topics=topics,
        campaign=campaign,
        kind=kind,
        important=important,
        status=status,
        share_texts=share_texts or {},
        publish_start=publish_start,
        publish_end=publish_end,
    )
    moment = iso_utc(now)
    return ContentItem(
        id=content_id or uuid.uuid4().hex[:12],
        slug=slugify(fields["title"]),
        created_at=moment,
        created_by=actor,
        updated_at=moment,
        updated_by=actor,
        **{**fields, "publish_start": fields["publish_start"] or moment},
    )


def revised(item: ContentItem, changes: dict[str, Any], actor: str = "", now: datetime | None = None) -> ContentItem:
    """``item`` with ``changes`` applied and validated as a whole (the slug follows the title)."""
    current = {name: getattr(item, name) for name in _EDITABLE}
    fields = _validated(**{**current, **changes})
    if not fields["publish_start"]:
        fields["publish_start"] = item.publish_start or item.created_at
    return replace(
        item, slug=slugify(fields["title"]), updated_at=iso_utc(now or datetime.now(UTC)), updated_by=actor, **fields
    )


_EDITABLE = (
    "url",
    "title",
    "language",
    "summary",
    "image_url",
    "topics",
    "campaign",
    "kind",
    "important",
    "status",
    "share_texts",
    "publish_start",
    "publish_end",
)


def _validated(**values: Any) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = dict(values)
    try:
        out["url"] = validate_destination(values["url"])
    except DestinationError as exc:
        errors["url"] = str(exc)
    title = values["title"]
    if not isinstance(title, str) or not title.strip():
        errors["title"] = "is required"
    elif len(title) > 300:
        errors["title"] = "must be at most 300 characters"
    else:
        out["title"] = title.strip()
    if not isinstance(values["summary"], str) or len(values["summary"]) > 1000:
        errors["summary"] = "must be text of at most 1000 characters"
    if values["language"] not in LANGUAGES:
        errors["language"] = f"must be one of {', '.join(LANGUAGES)}"
    if values["kind"] not in KINDS:
        errors["kind"] = f"must be one of {', '.join(KINDS)}"
    if values["status"] not in STORED_STATUSES:
        errors["status"] = f"must be one of {', '.join(STORED_STATUSES)} (scheduled and expired follow the window)"
    if values["image_url"] is not None:
        from functions.content.images import own_media_url

        try:  # an uploaded image is served by the site itself (its older API address is updated)
            out["image_url"] = own_media_url(values["image_url"]) or validate_destination(values["image_url"])
        except DestinationError as exc:
            errors["image_url"] = str(exc)
    out["topics"] = _topics(values["topics"], errors)
    out["share_texts"] = _share_texts(values["share_texts"], errors)
    out["publish_start"], out["publish_end"] = _window(values["publish_start"], values["publish_end"], errors)
    out["campaign"] = (values["campaign"] or "").strip()[:100] or None
    out["important"] = bool(values["important"])
    if errors:
        raise ContentValidationError(errors)
    return out


def _topics(topics: Any, errors: dict[str, str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(str(t).strip().lower() for t in topics if str(t).strip()))
    if len(cleaned) > MAX_TOPICS or any(len(t) > 40 for t in cleaned):
        errors["topics"] = f"at most {MAX_TOPICS} topics of at most 40 characters"
    return cleaned


def _share_texts(texts: dict[str, list[str]], errors: dict[str, str]) -> dict[str, list[str]]:
    cleaned: dict[str, list[str]] = {}
    for network, variants in texts.items():
        if network not in (*NETWORKS, "default"):
            errors[f"share_texts.{network}"] = "is not a supported network"
            continue
        variants = [v.strip() for v in variants if isinstance(v, str) and v.strip()]
        if not variants or len(variants) > MAX_VARIANTS:
            errors[f"share_texts.{network}"] = f"needs 1 to {MAX_VARIANTS} non-empty variants"
            continue
        # A default text stands in for every network without its own variants; hold it to the strictest.
        checked = network if network != "default" else ("x" if "x" not in texts else "linkedin")
        for n, variant in enumerate(variants):
            problem = over_limit(checked, variant)
            if problem:
                errors[f"share_texts.{network}[{n}]"] = problem
        cleaned[network] = variants
    return cleaned


def _window(start: Any, end: Any, errors: dict[str, str]) -> tuple[str, str | None]:
    parsed: dict[str, str | None] = {}
    for name, value in (("publish_start", start), ("publish_end", end)):
        try:
            parsed[name] = iso_utc(value) if value else None
        except (TypeError, ValueError):
            errors[name] = "must be an ISO 8601 date-time, e.g. 2026-11-22T09:00:00Z"
            parsed[name] = None
    if parsed["publish_start"] and parsed["publish_end"] and parsed["publish_end"] <= parsed["publish_start"]:
        errors["publish_end"] = "must be after publish_start"
    return parsed["publish_start"] or "", parsed["publish_end"]


def iso_utc(value: str | datetime) -> str:
    """A UTC ISO 8601 string with seconds, comparable as text; a time without a zone is taken as UTC."""
    moment = parse_utc(value) if isinstance(value, str) else value
    return utc_stamp(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def slugify(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-_")
    return slug[:60].strip("-") or "item"


def content_from_record(record: dict[str, Any]) -> ContentItem:
    known = ContentItem.__dataclass_fields__
    values = {k: v for k, v in record.items() if k in known}
    values["topics"] = tuple(values.get("topics", ()))
    values.setdefault("slug", slugify(record["title"]))
    return ContentItem(**values)
