"""One list of languages: what the API's schema and its document accept is functions.config.LANGUAGES."""

from __future__ import annotations

from typing import get_args

from functions.config import LANGUAGES


def test_the_request_schemas_language_type_is_the_one_list() -> None:
    from functions.api.schemas import Language

    # A Literal cannot be built from a tuple for type checkers, so it is spelled out once more and held here.
    assert get_args(Language) == LANGUAGES


def test_the_site_the_catalogs_and_the_directory_use_the_one_list() -> None:
    from functions.directory.model import LOCALES
    from functions.i18n import LOCALES as CATALOGS
    from infra.local.static import SITE_LANGUAGES

    assert LOCALES is CATALOGS is SITE_LANGUAGES is LANGUAGES
