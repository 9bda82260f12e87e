"""Chorus in English, Polish, Lithuanian and Russian: gettext catalogs (Babel), dates and numbers per locale.

One domain, ``messages``, shared by the digest email and the static site. Source strings are English; the
catalogs live in ``site/locale/<lang>/LC_MESSAGES/messages.po`` with the compiled ``.mo`` committed beside
them (the Lambda package ships ``site/``). After changing a translatable string, from the repo root:

    .venv/bin/pybabel extract -F babel.cfg -c TRANSLATORS: --no-location --sort-output \
        --project=Chorus --copyright-holder="Chorus contributors" -o site/locale/messages.pot .
    .venv/bin/pybabel update -i site/locale/messages.pot -d site/locale --no-fuzzy-matching
    (translate every empty msgstr in site/locale/{pl,lt,ru}/LC_MESSAGES/messages.po)
    .venv/bin/pybabel compile -d site/locale

A new language: ``pybabel init -i site/locale/messages.pot -d site/locale -l <lang>`` and add it to LOCALES.
tests/unit/test_i18n.py fails while a .mo is stale or a string lacks a translation.

Babel is imported on first use, never at cold start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from functions.config import LANGUAGES

if TYPE_CHECKING:
    from babel.support import NullTranslations

LOCALES = LANGUAGES
LANGUAGE_NAMES = {"en": "English", "pl": "Polski", "lt": "Lietuvių", "ru": "Русский"}  # each in itself
DEFAULT_LOCALE = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "site" / "locale"


def supported_locale(value: str | None) -> str:
    """The Chorus locale for a tag such as ``pl``, ``pl-PL`` or ``ru_RU``; English for anything else."""
    language = (value or "").replace("_", "-").split("-", 1)[0].strip().lower()
    return language if language in LOCALES else DEFAULT_LOCALE


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for ``locale`` (English, the source language, for an unknown one)."""
    from babel.support import Translations

    return Translations.load(str(LOCALE_DIR), [supported_locale(locale)], DOMAIN)


@cache
def template_callables(locale: str) -> dict[str, Callable[..., str]]:
    """``gettext``/``ngettext`` for a Jinja2 render in ``locale``, passed in the render's context.

    They follow Jinja2's "newstyle" gettext (the Environment must set ``newstyle_gettext``): placeholders
    are ``%(name)s`` keyword arguments, filled after translation and escaped when autoescape is on, so one
    Environment serves every locale and nothing global changes between renders.
    """
    from jinja2 import pass_context
    from markupsafe import Markup

    catalog = translations(locale)

    @pass_context
    def gettext(context: Any, message: str, /, **variables: Any) -> str:
        translated = catalog.gettext(message)
        # The catalogs are Chorus's own (trusted markup); ``%`` then escapes every variable.
        return (Markup(translated) if context.eval_ctx.autoescape else translated) % variables  # noqa: S704

    @pass_context
    def ngettext(context: Any, singular: str, plural: str, count: int, /, **variables: Any) -> str:
        variables.setdefault("num", count)
        translated = catalog.ngettext(singular, plural, count)
        return (Markup(translated) if context.eval_ctx.autoescape else translated) % variables  # noqa: S704

    return {"gettext": gettext, "ngettext": ngettext}


def jinja_environment(templates: Path, autoescape: Any = True, **options: Any) -> Any:
    """A Jinja2 Environment for translated templates, with the options babel.cfg extracts them with.

    Newstyle gettext, whose callables come with each render (``template_callables``), and trimmed
    ``{% trans %}`` blocks. Jinja2 is imported here, on first use.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=autoescape,  # noqa: S701 - True, or select_autoescape for mixed HTML and text templates
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
    env.policies["ext.i18n.trimmed"] = True
    return env


def format_number(value: float, locale: str) -> str:
    """``1,234`` in English, ``1 234`` (no-break space) in Polish, Lithuanian and Russian."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=supported_locale(locale))


def local_date(moment: datetime, time_zone: str) -> date:
    """The calendar date of an aware ``moment`` in ``time_zone`` (UTC for an unknown zone)."""
    return moment.astimezone(_zone(time_zone)).date()


def format_date(value: date | datetime, locale: str, time_zone: str = "UTC", width: str = "long") -> str:
    """A date as the locale writes it (``22 listopada 2026``); an aware datetime is read in ``time_zone``."""
    from babel.dates import format_date as babel_format_date

    day = local_date(value, time_zone) if isinstance(value, datetime) else value
    return babel_format_date(day, format=width, locale=supported_locale(locale))


def format_datetime(value: datetime, locale: str, time_zone: str = "UTC", width: str = "medium") -> str:
    """An aware datetime as the locale writes it, in ``time_zone``."""
    from babel.dates import format_datetime as babel_format_datetime

    return babel_format_datetime(value, format=width, tzinfo=_zone(time_zone), locale=supported_locale(locale))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, LookupError):  # ZoneInfoNotFoundError is a KeyError; "" and "../x" are ValueErrors
        return ZoneInfo("UTC")
