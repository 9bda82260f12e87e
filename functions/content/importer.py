"""Import by URL: prefill a content item from what its page says about itself.

The page is fetched safely (functions.web.fetch) and its metadata read in this order of trust:
title from og:title, twitter:title, then <title>; summary from og:description, twitter:description, then
<meta name=description>; image from og:image (its https secure_url first), then twitter:image, resolved
against the page's final URL; the URL from <link rel=canonical>, then og:url, then the final URL; the
language from <html lang> (og:locale when there is none); the site name from og:site_name.

Everything is a suggestion for the admin's form: values that could not be registered (an image on a private
address, an unsupported language) are left out rather than failing the import.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from functions.content.model import LANGUAGES
from functions.links.destinations import DestinationError, validate_destination
from functions.text import shorten
from functions.web.fetch import FetchError, FetchPolicy, fetch_page

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

MAX_TITLE = 300
MAX_SUMMARY = 1000
MAX_SITE_NAME = 200
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_LEFTOVER_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TITLE_SEPARATORS = ("|", "-", "–", "—", "·", "•", ":", "/")
_IMAGE_KEYS = ("og:image:secure_url", "og:image", "og:image:url", "twitter:image", "twitter:image:src")


class PageImportError(Exception):
    """The page could not be imported; ``reason`` is a stable code, the message says why in words."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ImportedPage:
    url: str
    title: str = ""
    summary: str = ""
    image_url: str | None = None
    language: str | None = None
    site_name: str = ""

    @property
    def found_anything(self) -> bool:
        return bool(self.title or self.summary or self.image_url)

    def as_dict(self) -> dict[str, Any]:
        """The prefill as the admin API returns it: the content item's own field names."""
        return {
            "url": self.url,
            "title": self.title,
            "summary": self.summary,
            "image_url": self.image_url,
            "language": self.language,
            "site_name": self.site_name,
        }


def import_url(url: str, *, policy: FetchPolicy | None = None) -> ImportedPage:
    """The prefilled fields for the page at ``url``; raises PageImportError saying why it cannot be read.

    Reasons: invalid_url, refused_address, timeout, too_large, not_html, http_status, too_many_redirects,
    unreachable.
    """
    policy = policy or FetchPolicy()
    try:
        page = fetch_page(url, policy=policy)
    except FetchError as exc:
        raise PageImportError(str(exc), exc.reason) from exc
    imported = read_page(page.text, page.final_url)
    if page.truncated and not imported.found_anything:
        megabytes = policy.max_bytes / (1024 * 1024)
        raise PageImportError(
            f"too large: the page is over {megabytes:g} MB and has no title, description or image in its first "
            f"{megabytes:g} MB",
            "too_large",
        )
    return imported


def read_page(markup: str, page_url: str) -> ImportedPage:
    """The prefilled fields from a page's HTML, relative URLs resolved against ``page_url``. No I/O."""
    from bs4 import BeautifulSoup

    head = _HEAD_END.split(markup, maxsplit=1)[0]  # the metadata lives in <head>; parsing the body is waste
    soup = BeautifulSoup(head, "html.parser")
    meta = _meta_values(soup)
    site_name = _clean(meta.get("og:site_name", ""), MAX_SITE_NAME)
    title = _first(meta, "og:title", "twitter:title") or _without_site_name(_title_tag(soup), site_name)
    summary = _first(meta, "og:description", "twitter:description", "description")
    return ImportedPage(
        url=_page_url(soup, meta, page_url),
        title=_clean(title, MAX_TITLE),
        summary=_clean(summary, MAX_SUMMARY),
        image_url=_image_url(soup, meta, page_url),
        language=_language(soup, meta),
        site_name=site_name,
    )


def _meta_values(soup: BeautifulSoup) -> dict[str, str]:
    """Each <meta> key (property or name, lower case) to its first non-empty content."""
    values: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        content = tag.get("content")
        if not isinstance(content, str) or not content.strip():
            continue
        for attribute in ("property", "name"):  # OG belongs in property=, Twitter in name=; sites mix them up
            key = tag.get(attribute)
            if isinstance(key, str) and key.strip():
                values.setdefault(key.strip().lower(), content)
    return values


def _first(meta: dict[str, str], *keys: str) -> str:
    return next((meta[key] for key in keys if key in meta), "")


def _title_tag(soup: BeautifulSoup) -> str:
    for tag in soup.find_all("title"):
        if tag.find_parent("svg") is None:  # an inline icon's <title> is not the page's
            return tag.get_text()
    return ""


def _without_site_name(title: str, site_name: str) -> str:
    """'Launch day | Example News' → 'Launch day', when the site's name is known."""
    title = " ".join(title.split())
    if site_name and title.endswith(site_name):
        rest = title[: -len(site_name)].rstrip()
        if rest.endswith(_TITLE_SEPARATORS) and rest[:-1].strip():
            return rest[:-1].strip()
    return title


def _page_url(soup: BeautifulSoup, meta: dict[str, str], page_url: str) -> str:
    canonical = next((link.get("href") for link in soup.find_all("link") if _has_rel(link, "canonical")), None)
    for candidate in (canonical, meta.get("og:url")):
        url = _registrable(candidate, page_url)
        if url:
            return url
    try:
        return validate_destination(page_url)
    except DestinationError as exc:
        raise PageImportError(f"invalid URL: the page's address {exc}", "invalid_url") from None


def _image_url(soup: BeautifulSoup, meta: dict[str, str], page_url: str) -> str | None:
    values: list[object] = [meta.get(key) for key in _IMAGE_KEYS]
    values += [link.get("href") for link in soup.find_all("link") if _has_rel(link, "image_src")]
    images = [url for url in (_registrable(value, page_url) for value in values) if url]
    return next((url for url in images if url.startswith("https://")), images[0] if images else None)


def _language(soup: BeautifulSoup, meta: dict[str, str]) -> str | None:
    root = soup.find("html")
    declared = (root.get("lang") or root.get("xml:lang")) if root is not None else None
    if not isinstance(declared, str) or not declared.strip():
        declared = meta.get("og:locale", "")  # "pl_PL"
    primary = re.split(r"[-_]", declared.strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else None


def _has_rel(link: Any, rel: str) -> bool:
    values = link.get("rel") or []
    return rel in [value.lower() for value in (values.split() if isinstance(values, str) else values)]


def _registrable(value: object, page_url: str) -> str | None:
    """The value as an absolute http(s) URL Chorus could register, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return validate_destination(urljoin(page_url, value.strip()))
    except (DestinationError, ValueError):
        return None


def _clean(text: str, limit: int) -> str:
    """Whitespace collapsed, control characters and leftover (double-escaped) entities removed, at most
    ``limit`` characters, cut at a word where one is near."""
    if _LEFTOVER_ENTITY.search(text):
        text = html.unescape(text)  # "Tom &amp;amp; Jerry" arrives as "Tom &amp; Jerry" from some CMSs
    return shorten(" ".join(_CONTROL.sub(" ", text).split()), limit)
