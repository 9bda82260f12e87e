"""The digest email as the employee reads it: HTML and plain text in their locale, wrapped as a raw MIME message.

Templates are ``site/email/digest.html`` and ``digest.txt``, rendered by one Jinja2 Environment (autoescape
on for HTML) with the gettext catalogs of functions.i18n; css-inline then moves the HTML's styles inline,
keeping only the ``@media`` rules in ``<style>``. Jinja2, Babel and css-inline load on first render.

User-provided text (titles, summaries, suggested texts, names) is escaped by autoescape; user-provided links
(an item's page and image) are kept only when they are http(s), and Chorus's own links must be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any

from functions.config import NETWORK_NAMES, NETWORKS
from functions.i18n import format_date, format_number, supported_locale, template_callables, translations
from functions.links.destinations import web_link

TEMPLATES = Path(__file__).resolve().parents[2] / "site" / "email"
RULE = "-" * 72
_LINE_BREAKS = re.compile(r"[\x00-\x20\x7f\x85\u2028\u2029]+")
LIST_NAME = "Chorus digest"


@dataclass(frozen=True)
class DigestItem:
    content_id: str
    title: str
    summary: str
    image_url: str | None
    url: str  # the item's public page or destination
    share_text: str  # the suggested text chosen for this employee (one variant)
    share_links: dict[str, str]  # network -> signed share URL (linkedin, x, facebook, whatsapp, email)
    important: bool = False
    kind: str = "company"


@dataclass(frozen=True)
class DigestPoll:
    """A one-question poll the digest carries (functions.polls): every answer with its signed link."""

    poll_id: str  # "enps-2026Q4", "satisfaction-2026-11"
    kind: str  # "enps" (0-10) or "satisfaction" (1-5): which question
    links: tuple[tuple[int, str], ...]  # (answer, signed link), lowest first


@dataclass(frozen=True)
class WeekFigures:
    shares: int
    human_clicks: int
    rank: int | None  # None: not ranked yet
    streak: int = 0  # consecutive ISO weeks with a counted share (functions/stats/badges.py); 0: none running
    badges: tuple[str, ...] = ()  # earned, in the order they are shown


@dataclass(frozen=True)
class Digest:
    employee_id: str
    name: str
    email: str
    locale: str
    time_zone: str
    items: tuple[DigestItem, ...]
    site_url: str  # the site, carrying the employee's signed token
    preferences_url: str  # signed preferences page
    unsubscribe_url: str  # https one-click target (RFC 8058 POST)
    # mailto:...?subject=unsubscribe...; None where no one reads that mailbox (InboundUnsubscribe off)
    unsubscribe_mailto: str | None
    week: WeekFigures
    period: str  # "2026-11-22" or "2026-W47"
    created_at: datetime  # aware
    polls: tuple[DigestPoll, ...] = ()  # in the first digest of each poll's period only


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    html: str
    text: str


class DigestLinkError(ValueError):
    """One of Chorus's own links in a digest is not a usable https/http (or mailto) URL."""


def render_digest(digest: Digest) -> RenderedDigest:
    """The subject, HTML part and plain-text part of ``digest``, in the employee's locale."""
    locale = supported_locale(digest.locale)
    _own_link(digest.site_url)
    _own_link(digest.preferences_url)
    _own_link(digest.unsubscribe_url)
    date = format_date(digest.created_at, locale, digest.time_zone)
    context = {
        **template_callables(locale),
        "lang": locale,
        "digest": digest,
        "items": [_item_view(item) for item in digest.items],
        "date": date,
        "number": partial(format_number, locale=locale),
        "network_names": NETWORK_NAMES,
        "week_line": week_line(digest.week, locale),
        "progress_line": progress_line(digest.week, locale),
        "polls": [_poll_view(poll, locale) for poll in digest.polls],
        "preheader": " · ".join(item.title for item in digest.items[:3]),
        "rule": RULE,
    }
    context["subject"] = subject = digest_subject(len(digest.items), date, locale)
    env = environment()
    html = _inliner().inline(env.get_template("digest.html").render(context))
    text = env.get_template("digest.txt").render(context)
    return RenderedDigest(subject=subject, html=html, text=text)


def digest_subject(count: int, date: str, locale: str) -> str:
    """``8 items to share, 22 November 2026``, in ``locale``."""
    catalog = translations(locale)
    template = catalog.ngettext("%(num)s item to share, %(date)s", "%(num)s items to share, %(date)s", count)
    return template % {"num": format_number(count, locale), "date": date}


def week_line(week: WeekFigures, locale: str) -> str:
    """``Your week: 3 shares, 12 clicks, #4 on the leaderboard.``, pluralised and formatted for ``locale``."""
    catalog = translations(locale)
    # TRANSLATORS: the employee's figures for this week; clicks are clicks by people on their links.
    shares = catalog.ngettext("%(num)s share", "%(num)s shares", week.shares)
    clicks = catalog.ngettext("%(num)s click", "%(num)s clicks", week.human_clicks)
    if week.rank is None:
        rank = catalog.gettext("not on the leaderboard yet")
    else:
        # TRANSLATORS: the employee's position on this week's leaderboard (%(rank)s is a number).
        rank = catalog.gettext("#%(rank)s on the leaderboard") % {"rank": format_number(week.rank, locale)}
    # TRANSLATORS: the three parts are the translations of "%(num)s share", "%(num)s click" and the rank.
    return catalog.gettext("Your week: %(shares)s, %(clicks)s, %(rank)s.") % {
        "shares": shares % {"num": format_number(week.shares, locale)},
        "clicks": clicks % {"num": format_number(week.human_clicks, locale)},
        "rank": rank,
    }


def badge_names(locale: str) -> dict[str, str]:
    """Each badge's name in ``locale`` (the site's standing box shows the same strings)."""
    catalog = translations(locale)
    return {
        "first_share": catalog.gettext("First share"),
        "ten_readers": catalog.gettext("Ten readers"),
        "story_100": catalog.gettext("A story with 100 readers"),
    }


def progress_line(week: WeekFigures, locale: str) -> str:
    """``You have a 3-week streak. Your badges: First share and Ten readers.`` or "" when there is neither."""
    from babel.lists import format_list

    catalog = translations(locale)
    parts = []
    if week.streak:
        # TRANSLATORS: consecutive weeks in which the employee shared at least once.
        streak = catalog.ngettext("You have a %(num)s-week streak.", "You have a %(num)s-week streak.", week.streak)
        parts.append(streak % {"num": format_number(week.streak, locale)})
    if week.badges:
        names = badge_names(locale)
        listed = format_list([names.get(badge, badge) for badge in week.badges], locale=locale)
        # TRANSLATORS: %(badges)s is a list of badge names, e.g. "First share and Ten readers".
        parts.append(catalog.gettext("Your badges: %(badges)s.") % {"badges": listed})
    return " ".join(parts)


def build_message(digest: Digest, rendered: RenderedDigest, sender: str) -> bytes:
    """The raw MIME message for SES SendRawEmail: text then HTML alternatives, one-click unsubscribe headers.

    ``sender`` is ``digest@example.org`` or ``Chorus <digest@example.org>``. The Message-ID is derived from
    the employee and the period, so a retried send of the same digest carries the same id.
    """
    from email import policy
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.utils import format_datetime, parseaddr

    sender_name, sender_address = parseaddr(sender)
    if "@" not in sender_address:
        raise ValueError(f"sender has no address: {sender!r}")
    domain = sender_address.rpartition("@")[2]
    if digest.unsubscribe_mailto is not None and not digest.unsubscribe_mailto.startswith("mailto:"):
        raise DigestLinkError(f"not a mailto: URL: {digest.unsubscribe_mailto!r}")
    _own_link(digest.unsubscribe_url)
    unsubscribe = [url for url in (digest.unsubscribe_url, digest.unsubscribe_mailto) if url is not None]
    for url in unsubscribe:
        if not url.isascii() or any(c in url for c in "<>, \t\r\n"):
            raise DigestLinkError(f"cannot go in List-Unsubscribe: {url!r}")

    message = EmailMessage(policy=policy.SMTP)
    message["From"] = Address(_one_line(sender_name), addr_spec=sender_address)
    message["To"] = Address(_one_line(digest.name), addr_spec=digest.email)
    message["Subject"] = _one_line(rendered.subject)
    message["Date"] = format_datetime(digest.created_at)
    message["Message-ID"] = f"<digest.{_atom(digest.period)}.{_atom(digest.employee_id)}@{domain}>"
    message["List-Id"] = f"{LIST_NAME} <digest.{domain}>"
    message["List-Unsubscribe"] = _VerbatimHeader("List-Unsubscribe", *(f"<{url}>" for url in unsubscribe))
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Out-of-office replies to a digest help nobody.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = supported_locale(digest.locale)  # after the parts: they take Content-* headers
    return message.as_bytes()


class _VerbatimHeader(str):
    """A header of ASCII parts written as given, one part per line.

    The email package folds a long unstructured header into RFC 2047 encoded words, which mail providers
    do not decode in List-Unsubscribe: its URLs must arrive as URLs. A value with a ``name`` is a header
    object to the email policy, which then asks it to fold itself.
    """

    name: str
    parts: tuple[str, ...]

    def __new__(cls, name: str, *parts: str) -> _VerbatimHeader:
        header = super().__new__(cls, ", ".join(parts))
        header.name, header.parts = name, parts
        return header

    def fold(self, *, policy: Any) -> str:
        return f"{self.name}: " + f",{policy.linesep} ".join(self.parts) + policy.linesep


@cache
def environment() -> Any:
    """The one Jinja2 Environment for email templates: autoescape for .html, newstyle gettext, trimmed trans."""
    import jinja2

    from functions.i18n import jinja_environment

    autoescape = jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False)
    env = jinja_environment(TEMPLATES, autoescape, keep_trailing_newline=True)
    env.filters["nl2br"] = _nl2br
    return env


@cache
def _inliner() -> Any:
    import css_inline

    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def _item_view(item: DigestItem) -> dict[str, Any]:
    links = []
    for network in NETWORKS:
        url = item.share_links.get(network)
        if url is not None:
            links.append((network, _own_link(url)))
    return {"item": item, "url": web_link(item.url), "image_url": web_link(item.image_url), "share_links": links}


def _poll_view(poll: DigestPoll, locale: str) -> dict[str, Any]:
    """The poll's question and what its scale's ends mean, in ``locale``, and its links, each checked."""
    from functions.polls.model import wording

    return {"text": wording(poll.kind, locale), "links": [(score, _own_link(url)) for score, url in poll.links]}


def _own_link(url: str) -> str:
    checked = web_link(url)
    if checked is None:
        raise DigestLinkError(f"not an http(s) URL: {url!r}")
    return checked


def _nl2br(value: str) -> Any:
    from markupsafe import Markup, escape

    return Markup("<br>\n").join(escape(line) for line in value.splitlines())


def _one_line(value: str) -> str:
    """Header text on one line: CR, LF and other control characters would start a new header.

    No-break spaces stay: the locale's dates and numbers use them.
    """
    return _LINE_BREAKS.sub(" ", value).strip()


def _atom(value: str) -> str:
    """``value`` with anything but ASCII letters, digits, ``-`` and ``_`` replaced: safe inside a Message-ID."""
    return "".join(c if (c.isascii() and c.isalnum()) or c in "-_" else "-" for c in value)
