"""The gettext catalogs: compiled, complete, with the plural forms and the number and date formats of each locale."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from functions.i18n import (
    LOCALE_DIR,
    LOCALES,
    format_date,
    format_number,
    supported_locale,
    template_callables,
    translations,
)
from tests.conftest import ROOT

TRANSLATED = ("pl", "lt", "ru")  # English is the source language: its catalog may stay empty
NBSP = "\N{NO-BREAK SPACE}"
NNBSP = "\N{NARROW NO-BREAK SPACE}"  # CLDR's space before Russian "г." (year)


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


@cache
def catalog(locale: str) -> Catalog:
    with po_path(locale).open("rb") as po:
        return read_po(po, locale=locale)


@cache
def extracted() -> dict[str, tuple[str, ...]]:
    """Every translatable string in the code and templates, found as `pybabel extract -F babel.cfg` finds them."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    messages: dict[str, tuple[str, ...]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        ids = message if isinstance(message, tuple) else (message,)
        messages[ids[0]] = (*ids, filename)
    return messages


@pytest.mark.parametrize("locale", LOCALES)
def test_every_compiled_catalog_matches_its_po_file(locale: str) -> None:
    from babel.messages.mofile import write_mo

    compiled = io.BytesIO()
    write_mo(compiled, catalog(locale))
    mo = po_path(locale).with_suffix(".mo")
    assert mo.read_bytes() == compiled.getvalue(), f"{mo} is stale: run `pybabel compile -d site/locale`"


def test_the_template_holds_every_string_in_the_code_and_templates() -> None:
    with (LOCALE_DIR / "messages.pot").open("rb") as pot:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}
    assert set(extracted()) == template, "run `pybabel extract` (commands in functions/i18n.py)"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_string_is_translated_with_every_plural_form(locale: str) -> None:
    po = catalog(locale)
    nplurals = po.num_plurals
    missing = []
    for msgid, (*ids, filename) in extracted().items():
        message = po.get(msgid if len(ids) == 1 else tuple(ids))
        if message is None or message.fuzzy:
            missing.append(f"{filename}: {msgid!r}")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if (len(ids) > 1 and len(strings) != nplurals) or not all(s.strip() for s in strings):
            missing.append(f"{filename}: {msgid!r} has {strings!r}")
    assert not missing, f"untranslated in {po_path(locale)}:\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders_of_their_source(locale: str) -> None:
    problems = [f"{message.id!r}: {errors}" for message, errors in catalog(locale).check()]
    assert not problems


@pytest.mark.parametrize(
    ("locale", "singular", "plural", "cases"),
    [
        (
            "pl",
            "%(num)s share",
            "%(num)s shares",
            {
                1: "1 udostępnienie",
                2: "2 udostępnienia",
                4: "4 udostępnienia",
                5: "5 udostępnień",
                12: "12 udostępnień",
                22: "22 udostępnienia",
                25: "25 udostępnień",
                0: "0 udostępnień",
            },
        ),
        ("pl", "%(num)s click", "%(num)s clicks", {1: "1 kliknięcie", 3: "3 kliknięcia", 11: "11 kliknięć"}),
        (
            "ru",
            "%(num)s click",
            "%(num)s clicks",
            {
                1: "1 переход",
                2: "2 перехода",
                5: "5 переходов",
                11: "11 переходов",
                21: "21 переход",
                22: "22 перехода",
                111: "111 переходов",
            },
        ),
        ("ru", "%(num)s share", "%(num)s shares", {1: "1 репост", 3: "3 репоста", 14: "14 репостов"}),
        (
            "lt",
            "%(num)s click",
            "%(num)s clicks",
            {1: "1 paspaudimas", 2: "2 paspaudimai", 10: "10 paspaudimų", 11: "11 paspaudimų", 21: "21 paspaudimas"},
        ),
        ("en", "%(num)s share", "%(num)s shares", {1: "1 share", 2: "2 shares", 0: "0 shares"}),
    ],
)
def test_plural_forms_follow_the_language(locale: str, singular: str, plural: str, cases: dict[int, str]) -> None:
    chosen = {n: translations(locale).ngettext(singular, plural, n) % {"num": n} for n in cases}
    assert chosen == cases


def test_numbers_and_dates_are_written_as_each_locale_writes_them() -> None:
    assert format_number(1234, "en") == "1,234"
    assert format_number(1234, "pl") == f"1{NBSP}234"
    assert format_number(1234567, "ru") == f"1{NBSP}234{NBSP}567"
    day = date(2026, 11, 22)
    assert format_date(day, "en") == "November 22, 2026"
    assert format_date(day, "pl") == "22 listopada 2026"
    assert format_date(day, "lt") == "2026 m. lapkričio 22 d."
    assert format_date(day, "ru") == f"22 ноября 2026{NNBSP}г."


def test_a_moment_is_dated_in_the_readers_time_zone() -> None:
    late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert format_date(late, "pl", "Europe/Warsaw") == "23 listopada 2026"
    assert format_date(late, "pl", "America/New_York") == "22 listopada 2026"
    assert format_date(late, "pl", "Not/AZone") == "22 listopada 2026"  # unknown zones read as UTC


@pytest.mark.parametrize(
    ("tag", "locale"), [("pl", "pl"), ("pl-PL", "pl"), ("ru_RU", "ru"), ("LT", "lt"), ("de", "en"), ("", "en")]
)
def test_language_tags_map_to_a_supported_locale(tag: str, locale: str) -> None:
    assert supported_locale(tag) == locale


def test_template_callables_translate_and_escape_what_they_fill_in() -> None:
    import jinja2

    env = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    page = env.from_string(
        "{{ _('Hi %(name)s,', name=name) }} {{ ngettext('%(num)s share', '%(num)s shares', n) }}"
        " {% trans num=n %}{{ num }} click{% pluralize %}{{ num }} clicks{% endtrans %}"
    )
    assert page.render(name="<b>Ewa</b>", n=5, **template_callables("pl")) == (
        "Dzień dobry, &lt;b&gt;Ewa&lt;/b&gt;! 5 udostępnień 5 kliknięć"
    )
