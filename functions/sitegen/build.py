"""The static site generator: data in, HTML, CSS and a little JavaScript out, per locale, only what changed.

Every page is described first by its path, template and a JSON-able context (the data it shows). The
fingerprint of a page is the SHA-256 of that context, the locale and the build's version (templates,
catalogs and assets): a page whose fingerprint matches the one in the bucket's manifest is not rendered
again, and of those rendered only the ones whose bytes changed are uploaded (functions.sitegen.publish).

Paths, per locale ``<l>`` (en, pl, lt, ru)::

    /index.html                       language picker (keeps the #t= token when it forwards)
    /404.html  /sitemap.xml  /robots.txt
    /<l>/  /<l>/page/<n>/             content cards: important first, then the page's language
    /<l>/items/<slug>-<id>/           one item, with Open Graph and Twitter card tags
    /<l>/topics/  /<l>/topics/<topic>/[page/<n>/]
    /<l>/leaderboard/  /<l>/leaderboard/<team>/
    /<l>/kpi/  /<l>/admin/
    /assets/site.<hash>.css  /assets/chorus.<hash>.js  /assets/results.<hash>.js (the Results page's own)

Jinja2 (autoescape on for every template) and Babel load on first build, never at cold start.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from functions.config import NETWORK_NAMES, NETWORKS
from functions.content.model import ContentItem, slugify
from functions.i18n import LANGUAGE_NAMES, LOCALES
from functions.links.destinations import web_link
from functions.sitegen.data import SiteData
from functions.sitegen.publish import Entry
from functions.stats.leaderboard import Standing
from functions.stats.periods import LEADERBOARD_PERIODS
from functions.text import shorten

SITE_DIR = Path(__file__).resolve().parents[2] / "site"
TEMPLATES = SITE_DIR / "templates" / "site"
STATIC = SITE_DIR / "static"
PAGE_SIZE = 12
CARD_SUBJECT = 80  # characters of a title in a card's email subject
SLUG_LENGTH = 40
GENERATOR_VERSION = "1"  # bump when this module changes what it renders


@dataclass(frozen=True)
class PageSpec:
    key: str  # the bucket key, e.g. "pl/items/launch-3f2a/index.html"
    template: str
    locale: str
    context: dict[str, Any]  # JSON-able: what the page shows
    path: str  # the URL path of the page in every locale: "/{l}/items/launch-3f2a/"


@dataclass(frozen=True)
class Build:
    files: dict[str, bytes]  # what was rendered (pages whose data changed, and the assets)
    inputs: dict[str, str]  # key -> fingerprint, for the manifest
    kept: tuple[str, ...]  # pages not rendered: their fingerprint is unchanged
    pages: int  # every HTML page of the site

    @property
    def rendered(self) -> int:
        return sum(1 for key in self.files if key.endswith(".html"))


@dataclass(frozen=True)
class Assets:
    files: dict[str, bytes]  # hashed key -> bytes
    css: str  # URL path of the stylesheet
    js: str  # URL path of the script every page loads
    results_js: str  # URL path of the Results page's script (only that page loads it)
    version: str  # changes when a template, catalog, asset or this generator does


@cache
def assets() -> Assets:
    files, names = {}, {}
    for source in ("site.css", "chorus.js", "results.js"):
        body = (STATIC / source).read_bytes()
        stem, suffix = source.rsplit(".", 1)
        key = f"assets/{stem}.{hashlib.sha256(body).hexdigest()[:12]}.{suffix}"
        files[key] = body
        names[source] = "/" + key
    version = hashlib.sha256(GENERATOR_VERSION.encode())
    for path in sorted([*TEMPLATES.rglob("*.*"), *(SITE_DIR / "locale").rglob("*.mo")]):
        version.update(path.name.encode() + path.read_bytes())
    for key in sorted(files):
        version.update(key.encode())
    return Assets(files, names["site.css"], names["chorus.js"], names["results.js"], version.hexdigest())


def build(
    data: SiteData, previous: Mapping[str, Entry], site_url: str, api_url: str, everything: bool = False
) -> Build:
    """Render the pages whose fingerprint differs from ``previous`` (all of them with ``everything``)."""
    bundle = assets()
    files: dict[str, bytes] = dict(bundle.files)
    inputs: dict[str, str] = {}
    kept: list[str] = []
    pages = 0
    site = _Site(data, site_url.rstrip("/"), api_url.rstrip("/"), bundle)
    version = f"{bundle.version} {site.site_url} {site.api_url}"  # every page links to both
    for spec in site.pages():
        pages += spec.key.endswith(".html")
        fingerprint = _fingerprint(spec, version)
        inputs[spec.key] = fingerprint
        seen = previous.get(spec.key)
        if not everything and seen is not None and seen.inputs == fingerprint:
            kept.append(spec.key)
            continue
        files[spec.key] = site.render(spec).encode()
    return Build(files, inputs, tuple(kept), pages)


@dataclass(frozen=True)
class RebuildReport:
    pages: int
    rendered: int
    written: int
    deleted: int
    bytes_written: int
    seconds: float


class SiteBusyError(RuntimeError):
    """Another build holds the site: this one did nothing (the stream handler retries, the schedule skips)."""


LEASE_SECONDS = 300  # longer than a build may run (the build functions' timeout)


def rebuild(writer: Any = None, client: Any = None, everything: bool = False) -> RebuildReport:
    """Read the data, render what changed, publish it to the site bucket (or ``writer``).

    One build at a time: two interleaved builds could leave a page from the older snapshot under the
    newer one's fingerprint, and it would stay stale until its data changed again. A lease (a conditional
    write in the digests table, which holds Chorus's small system records) keeps them apart.
    """
    from functions import aws
    from functions.config import settings
    from functions.sitegen.data import read_site_data
    from functions.sitegen.publish import S3Writer, publish, read_manifest

    client = client or aws.dynamodb()
    owner = _acquire(client)
    try:
        started = time.perf_counter()
        writer = writer or S3Writer()
        data = read_site_data(client=client)
        result = build(data, read_manifest(writer), settings().site_base_url, settings().api_base_url, everything)
        report = publish(result.files, writer, result.inputs, keep=result.kept)
    finally:
        _release(client, owner)
    return RebuildReport(
        pages=result.pages,
        rendered=result.rendered,
        written=len(report.written),
        deleted=len(report.deleted),
        bytes_written=report.bytes_written,
        seconds=time.perf_counter() - started,
    )


def _acquire(client: Any) -> str:
    import uuid

    from functions.lease import site_build_lease

    owner = uuid.uuid4().hex
    if not site_build_lease(client).take(owner, int(time.time()), LEASE_SECONDS):
        raise SiteBusyError("another build of the site is running")
    return owner


def _release(client: Any, owner: str) -> None:
    """End our lease at once (unless it ran out and someone else holds it now: theirs to end)."""
    from functions.lease import site_build_lease

    site_build_lease(client).release(owner)


def clear_lease(client: Any) -> None:
    """Forget any build lease: only for a process that is the one builder, at its start (``make run``, whose
    saved state may hold the lease of a run killed mid-build)."""
    from functions.lease import site_build_lease

    site_build_lease(client).clear()


def _fingerprint(spec: PageSpec, version: str) -> str:
    payload = json.dumps([version, spec.template, spec.locale, spec.context], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def in_reading_order(items: Iterable[ContentItem], locale: str) -> list[ContentItem]:
    """Important first, then items in the page's language, then the rest; newest first within each
    (``items`` come newest first, and the sort keeps that order)."""
    return sorted(items, key=lambda item: (not item.important, item.language != locale))


def item_path(item: ContentItem, locale: str) -> str:
    """``/<locale>/items/<slug>-<id>/``: readable, and unique whatever the title (percent-encoded)."""
    slug = slugify(item.title)[:SLUG_LENGTH].strip("-")
    return f"/{locale}/items/{quote(slug)}-{item.id}/"


class _Site:
    """Page specs and their rendering for one snapshot of the data."""

    def __init__(self, data: SiteData, site_url: str, api_url: str, bundle: Assets) -> None:
        self.data = data
        self.site_url = site_url
        self.api_url = api_url
        self.assets = bundle
        self.topics = sorted({topic for item in data.items for topic in item.topics})
        self.topic_slugs = _unique_slugs(tuple(self.topics))  # "C++" and "c" both slugify to "c"
        self.topic_counts = {topic: sum(topic in item.topics for item in data.items) for topic in self.topics}
        self.team_paths = _unique_slugs(data.teams)

    # --- what pages there are ------------------------------------------------------------------

    def pages(self) -> Iterator[PageSpec]:
        yield PageSpec("index.html", "root.html", "en", {"locales": list(LOCALES)}, "/")
        yield PageSpec("404.html", "404.html", "en", {"locales": list(LOCALES)}, "/404.html")
        listed = []
        for locale in LOCALES:
            for spec in self._locale_pages(locale):
                listed.append(spec.path)
                yield spec
        # For search engines: every page in every language, and where that list is.
        yield PageSpec("sitemap.xml", "sitemap.xml", "en", {"paths": listed}, "/sitemap.xml")
        yield PageSpec("robots.txt", "robots.txt", "en", {}, "/robots.txt")

    def _locale_pages(self, locale: str) -> Iterator[PageSpec]:
        items = in_reading_order(self.data.items, locale)
        cards = [self._card(item, locale) for item in items]
        yield from self._listing(locale, "home.html", "", cards, {"topics": self._topic_links(locale)})
        for item, card in zip(items, cards, strict=True):
            canonical = item_path(item, item.language)
            context = {
                "item": card,
                "original": web_link(item.url),
                "canonical": canonical,
                "shares": self._shares(item, self.site_url + canonical, suggested=True),
            }
            yield self._spec(locale, "item.html", card["path"].split("/", 2)[2], context)
        yield self._spec(locale, "topics.html", "topics/", {"topics": self._topic_links(locale)})
        for topic in self.topics:
            chosen = [card for item, card in zip(items, cards, strict=True) if topic in item.topics]
            section = f"topics/{self.topic_slugs[topic]}/"
            yield from self._listing(locale, "topic.html", section, chosen, {"topic": topic})
        teams = [{"name": team, "path": f"/{locale}/leaderboard/{slug}/"} for team, slug in self.team_paths.items()]
        yield self._spec(locale, "leaderboard.html", "leaderboard/", {"boards": self._boards(None), "teams": teams})
        for team, slug in self.team_paths.items():
            context = {"boards": self._boards(team), "teams": teams, "team": team}
            yield self._spec(locale, "leaderboard.html", f"leaderboard/{slug}/", context)
        filters = {"teams": sorted(self.data.teams), "networks": list(NETWORKS), "locales": list(LOCALES)}
        yield self._spec(locale, "kpi.html", "kpi/", filters)  # the Results page's filters
        yield self._spec(locale, "admin.html", "admin/", {"admin_url": self.api_url + "/admin"})

    def _listing(
        self, locale: str, template: str, section: str, cards: list[dict[str, Any]], extra: dict[str, Any]
    ) -> Iterator[PageSpec]:
        """A list of cards, PAGE_SIZE per page: ``<section>``, then ``<section>page/2/`` and on."""
        chunks = [cards[start : start + PAGE_SIZE] for start in range(0, len(cards), PAGE_SIZE)] or [[]]

        def where(number: int) -> str:
            return section if number == 1 else f"{section}page/{number}/"

        for number, chunk in enumerate(chunks, start=1):
            pager = {
                "number": number,
                "count": len(chunks),
                "previous": f"/{locale}/{where(number - 1)}" if number > 1 else None,
                "next": f"/{locale}/{where(number + 1)}" if number < len(chunks) else None,
            }
            yield self._spec(locale, template, where(number), {"cards": chunk, "pager": pager, **extra})

    def _spec(self, locale: str, template: str, where: str, context: dict[str, Any]) -> PageSpec:
        path = f"/{locale}/{where}"  # percent-encoded, as links carry it; the bucket key is the decoded path
        return PageSpec(unquote(f"{locale}/{where}index.html"), template, locale, context, path)

    # --- the data each page shows (JSON-able, it is the page's fingerprint) ---------------------

    def _card(self, item: ContentItem, locale: str) -> dict[str, Any]:
        path = item_path(item, locale)
        public_page = self.site_url + item_path(item, item.language)
        return {
            "id": item.id,
            "title": item.title,
            "summary": item.summary,
            "image": web_link(item.image_url),
            "language": item.language,
            "important": item.important,
            "kind": item.kind,
            "published": item.publish_start or item.created_at,
            "path": path,
            "topics": [{"name": t, "path": self._topic_path(t, locale)} for t in item.topics],
            "shares": self._shares(item, public_page, suggested=False),
        }

    def _shares(self, item: ContentItem, page_url: str, suggested: bool) -> list[dict[str, str]]:
        """Share intents for the item's public page (the script swaps in the employee's signed links).

        The item's own page suggests a text; a card shares the page alone (its preview shows the title),
        with at most CARD_SUBJECT characters of the title as an email's subject, so twelve cards with the
        longest titles stay well under 100 KB.
        """
        from functions.shares.intents import intent_url

        text = (lambda network: item.suggested_text(network, 0)) if suggested else (lambda network: "")
        title = item.title if suggested else shorten(item.title, CARD_SUBJECT)
        return [{"network": n, "url": intent_url(n, page_url, text(n), title)} for n in NETWORKS]

    def _topic_links(self, locale: str) -> list[dict[str, Any]]:
        return [{"name": t, "path": self._topic_path(t, locale), "count": self.topic_counts[t]} for t in self.topics]

    def _topic_path(self, topic: str, locale: str) -> str:
        return f"/{locale}/topics/{self.topic_slugs[topic]}/"

    def _boards(self, team: str | None) -> list[dict[str, Any]]:
        return [
            {"period": period, "rows": [_row(s) for s in self.data.boards.get((period, team), ())]}
            for period in LEADERBOARD_PERIODS
        ]

    # --- rendering ----------------------------------------------------------------------------

    def render(self, spec: PageSpec) -> str:
        from functools import partial

        from functions.i18n import format_date, format_number, template_callables

        alternates = [
            {"locale": other, "url": self.site_url + _in_locale(spec.path, other), "path": _in_locale(spec.path, other)}
            for other in LOCALES
        ]
        context = {
            **template_callables(spec.locale),
            **spec.context,
            "lang": spec.locale,
            "path": spec.path,
            "url": self.site_url + spec.path,
            "site_url": self.site_url,
            "api_url": self.api_url,
            "css": self.assets.css,
            "js": self.assets.js,
            "results_js": self.assets.results_js,
            "alternates": alternates if spec.path.startswith(f"/{spec.locale}/") else [],
            "language_names": LANGUAGE_NAMES,
            "network_names": NETWORK_NAMES,
            "number": partial(format_number, locale=spec.locale),
            "date": lambda iso: format_date(_day(iso), spec.locale, width="medium") if iso else "",
            "in_every_language": self._in_every_language,
        }
        return _environment().get_template(spec.template).render(context)

    def _in_every_language(self, template: str) -> Any:
        """A partial rendered once per locale with that locale's catalog (for the one, shared 404 page)."""
        from markupsafe import Markup

        from functions.i18n import template_callables

        parts = (
            _environment().get_template(template).render({**template_callables(locale), "lang": locale})
            for locale in LOCALES
        )
        return Markup("".join(parts))  # noqa: S704 - rendered by the autoescaping environment


def _row(standing: Standing) -> dict[str, Any]:
    return {
        "rank": standing.rank,
        "name": None if standing.anonymous else standing.employee,
        "team": standing.team,
        "shares": standing.shares,
        "clicks": standing.unique_human_clicks,
        "points": standing.points,
    }


def _in_locale(path: str, locale: str) -> str:
    parts = path.split("/", 2)
    return f"/{locale}/{parts[2]}" if len(parts) == 3 and parts[1] in LOCALES else path


def _unique_slugs(names: tuple[str, ...]) -> dict[str, str]:
    """name -> URL slug, unique: a clash gets ``-2``, ``-3`` in sorted order (so it is stable)."""
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(names):
        base = quote(slugify(name))
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs[name] = slug
    return slugs


def _day(iso: str) -> Any:
    from datetime import date

    return date.fromisoformat(iso[:10])


@cache
def _environment() -> Any:
    from functions.i18n import jinja_environment

    return jinja_environment(TEMPLATES)
