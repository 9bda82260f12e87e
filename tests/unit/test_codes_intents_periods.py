from datetime import date
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from functions.links.codes import ALPHABET, is_valid_code, new_code
from functions.shares.intents import intent_url
from functions.stats.periods import period_keys

SHORT = "https://go.example.org/Ab3dE6gH"


def test_codes_are_at_least_eight_base62_characters_and_do_not_repeat() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) >= 8 and set(c) <= set(ALPHABET) for c in codes)
    assert all(is_valid_code(c) for c in codes)


@pytest.mark.parametrize("code", ["", "short", "has-dash1", "../../etc", "a" * 17, "ab%20cdefg", "ÄbcdefghI"])
def test_malformed_codes_are_recognised(code: str) -> None:
    assert not is_valid_code(code)


@pytest.mark.parametrize(
    ("network", "host"),
    [("linkedin", "www.linkedin.com"), ("x", "x.com"), ("facebook", "www.facebook.com"), ("whatsapp", "wa.me")],
)
def test_web_intents_carry_the_short_link_and_the_text(network: str, host: str) -> None:
    url = intent_url(network, SHORT, "Proud of this & more", "Launch")
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.hostname == host
    carried = " ".join(v for values in parse_qs(parts.query).values() for v in values)
    assert SHORT in carried
    assert "Proud of this & more" in carried


def test_email_intent_is_a_mailto_with_subject_and_body() -> None:
    url = intent_url("email", SHORT, "Have a look", "Our launch")
    assert url.startswith("mailto:?")
    query = parse_qs(urlsplit(url).query)
    assert query["subject"] == ["Our launch"]
    assert unquote(query["body"][0]) == f"Have a look {SHORT}"


def test_unknown_network_has_no_intent() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        intent_url("myspace", SHORT, "t", "t")


def test_period_keys_use_iso_weeks_across_the_new_year() -> None:
    assert period_keys("2026-11-22") == {"day": "D#2026-11-22", "week": "W#2026-W47", "month": "M#2026-11", "all": "A"}
    assert period_keys(date(2027, 1, 1))["week"] == "W#2026-W53"
    assert period_keys(date(2024, 12, 30))["week"] == "W#2025-W01"
