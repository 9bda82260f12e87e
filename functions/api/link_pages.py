"""The small pages an employee opens from a signed link in their digest (unsubscribe, preferences, the poll).

Each speaks the employee's language (the request's Accept-Language when the link names nobody), loads
nothing from anyone else, and keeps the link's token to itself: Referrer-Policy no-referrer, no-store, and a
Content-Security-Policy that allows no script, only inline styles and forms posting back here.
"""

from __future__ import annotations

from typing import Any

from chalice import Response
from chalice.app import Request

from functions.api import http

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",  # the token must not travel to anyone else
}
MAX_FORM = 10_000  # bytes: these forms send a few hundred


def page(status: int, template: str, locale: str, **context: Any) -> Response:
    """``site/templates/<template>`` in ``locale`` (autoescaped), with the pages' headers."""
    from functions.i18n import supported_locale, template_callables
    from functions.pages import render

    locale = supported_locale(locale)
    callables = template_callables(locale)
    text = render(template, lang=locale, _=callables["gettext"], **callables, **context)
    response = http.html(status, text)
    response.headers.update(PAGE_HEADERS)
    return response


def problem(request: Request, status: int, reason: str) -> Response:
    """A gentle page for a link that cannot be used, in the reader's language (never a stack trace).

    ``reason`` is a SignatureError's (missing, malformed, forged, expired, revoked, gone) or ``too_large``.
    """
    return page(status, "link_problem.html", request_locale(request), reason=reason)


def request_locale(request: Request) -> str:
    """The first Chorus language in Accept-Language (readers list theirs in order of preference)."""
    from functions.i18n import DEFAULT_LOCALE, LOCALES

    for part in (request.headers.get("accept-language") or "").split(","):
        language = part.split(";", 1)[0].strip().replace("_", "-").split("-", 1)[0].lower()
        if language in LOCALES:
            return language
    return DEFAULT_LOCALE


def form(request: Request) -> dict[str, list[str]] | None:
    """The urlencoded form a page posted, or None when it is larger than any of these forms could be."""
    from urllib.parse import parse_qs

    raw = request.raw_body or b""
    if isinstance(raw, str):  # Chalice hands bytes, though its signature allows str
        raw = raw.encode()
    if len(raw) > MAX_FORM:
        return None
    return parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)


def last(values: dict[str, list[str]], name: str) -> str:
    """A form field's value (the last one, if it was sent more than once), stripped; "" when absent."""
    found = values.get(name)
    return found[-1].strip() if found else ""
