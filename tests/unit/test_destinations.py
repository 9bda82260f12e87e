import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.links.destinations import DestinationError, is_redirectable, validate_destination, with_utm
from functions.web.addresses import is_public_address


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com/news/launch",
        "http://example.org/a?b=1#c",
        "https://[2606:4700:4700::1111]/dns",
        "https://example.com:8443/x",
    ],
)
def test_public_http_destinations_are_accepted(url: str) -> None:
    assert validate_destination(url).startswith(("http://", "https://"))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("javascript:alert(document.cookie)", "http or https"),
        ("JaVaScRiPt:alert(1)", "http or https"),
        ("data:text/html,<script>alert(1)</script>", "http or https"),
        ("ftp://example.com/file", "http or https"),
        ("//example.com/no-scheme", "http or https"),
        ("https://", "host"),
        ("http://localhost:8000/admin", "internal"),
        ("http://printer.local/", "internal"),
        ("http://intranet/", "internal"),
        ("http://127.0.0.1/", "private"),
        ("http://127.1/", "private"),
        ("http://2130706433/", "private"),
        ("http://0x7f.0.0.1/", "private"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.10/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "private"),
        ("http://[::1]/", "private"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://[fd00::1]/", "private"),
        ("http://[::7f00:1]/", "private"),  # IPv4-compatible 127.0.0.1
        ("http://[2002:a9fe:a9fe::]/", "private"),  # 6to4 of 169.254.169.254
        ("http://[64:ff9b::a9fe:a9fe]/", "private"),  # NAT64 of 169.254.169.254
        ("http://[fec0::1]/", "private"),  # site-local
        ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "private"),  # Teredo
        ("https://user:secret@example.com/", "user name"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/\r\nLocation: https://evil.example", "spaces"),
        ("https://example.com/" + "a" * 2100, "2048"),
        ("https://example.com:99999/", "cannot be read"),
    ],
)
def test_unsafe_destinations_are_refused_with_a_reason(url: str, why: str) -> None:
    with pytest.raises(DestinationError, match=why):
        validate_destination(url)


@pytest.mark.parametrize("value", [None, 42, "", "   "])
def test_missing_or_non_text_destination_is_refused(value: object) -> None:
    with pytest.raises(DestinationError):
        validate_destination(value)


def test_utm_tags_are_added_and_the_destination_query_and_fragment_kept() -> None:
    tagged = with_utm("https://example.com/p?ref=home&utm_source=newsletter#top", "linkedin", "autumn")
    assert tagged == (
        "https://example.com/p?ref=home&utm_source=linkedin&utm_medium=employee_advocacy&utm_campaign=autumn#top"
    )


def test_utm_values_are_encoded() -> None:
    tagged = with_utm("https://example.com/", "x", "spring sale & more")
    assert tagged.endswith("utm_campaign=spring+sale+%26+more")


def test_only_absolute_http_urls_are_redirectable() -> None:
    assert is_redirectable("https://example.com/")
    assert not is_redirectable("javascript:alert(1)")
    assert not is_redirectable("//evil.example")
    assert not is_redirectable(None)


@given(st.ip_addresses())
def test_a_literal_address_is_a_destination_exactly_when_the_fetcher_would_connect_to_it(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    host = f"[{address}]" if address.version == 6 else str(address)
    try:
        validate_destination(f"https://{host}/page")
        accepted = True
    except DestinationError:
        accepted = False
    assert accepted is is_public_address(address)
