"""Import by URL, without I/O: what a page's metadata prefills, how its bytes are decoded, which hosts are refused."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import sys
from typing import Any

import pytest

from functions.content.importer import MAX_SUMMARY, MAX_TITLE, PageImportError, read_page
from functions.web.fetch import (
    FetchPolicy,
    InvalidURLError,
    RefusedAddressError,
    decode_html,
    fetch_page,
    is_public_address,
)
from tests.conftest import ROOT

PAGE = "https://news.example.com/2026/launch?ref=home"


def page(head: str = "", body: str = "", lang: str = "en") -> str:
    return f'<!doctype html><html lang="{lang}"><head>{head}</head><body>{body}</body></html>'


OG = '<meta property="og:title" content="OG title"><meta property="og:description" content="OG summary">'
TWITTER = '<meta name="twitter:title" content="Twitter title"><meta name="twitter:description" content="Tw summary">'
PLAIN = '<title>Title tag</title><meta name="description" content="Meta description">'


@pytest.mark.parametrize(
    ("head", "title", "summary"),
    [
        (PLAIN + TWITTER + OG, "OG title", "OG summary"),
        (PLAIN + TWITTER, "Twitter title", "Tw summary"),
        (PLAIN, "Title tag", "Meta description"),
    ],
)
def test_open_graph_beats_twitter_beats_the_title_tag(head: str, title: str, summary: str) -> None:
    imported = read_page(page(head), PAGE)
    assert (imported.title, imported.summary) == (title, summary)


def test_a_full_open_graph_page_prefills_every_field() -> None:
    head = (
        '<meta property="og:site_name" content="Example News">'
        '<meta property="og:image" content="https://cdn.example.com/launch.jpg">'
        '<link rel="canonical" href="https://news.example.com/2026/launch">' + OG
    )
    imported = read_page(page(head, lang="pl-PL"), PAGE)
    assert imported.url == "https://news.example.com/2026/launch"
    assert imported.image_url == "https://cdn.example.com/launch.jpg"
    assert (imported.language, imported.site_name) == ("pl", "Example News")


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("/img/launch.png", "https://news.example.com/img/launch.png"),
        ("launch.png", "https://news.example.com/2026/launch.png"),
        ("../launch.png", "https://news.example.com/launch.png"),
        ("//cdn.example.com/launch.png", "https://cdn.example.com/launch.png"),
        ("https://cdn.example.com/a b.png", None),
        ("data:image/png;base64,iVBORw0KGgo=", None),
        ("javascript:alert(1)", None),
        ("http://169.254.169.254/latest/meta-data/", None),
    ],
)
def test_image_urls_are_resolved_against_the_final_url_and_only_public_http_kept(src: str, expected: str) -> None:
    imported = read_page(page(f'<meta property="og:image" content="{src}">'), PAGE)
    assert imported.image_url == expected


def test_an_https_image_is_preferred_to_a_plain_http_one() -> None:
    head = (
        '<meta property="og:image" content="http://cdn.example.com/a.jpg">'
        '<meta property="og:image:secure_url" content="https://cdn.example.com/a.jpg">'
    )
    assert read_page(page(head), PAGE).image_url == "https://cdn.example.com/a.jpg"
    head = '<meta property="og:image" content="http://cdn.example.com/a.jpg">'
    assert read_page(page(head), PAGE).image_url == "http://cdn.example.com/a.jpg"


def test_entities_are_unescaped_and_whitespace_trimmed() -> None:
    head = (
        '<meta property="og:title" content="  Tom &amp; Jerry&#8217;s\n\t &quot;big&quot;&nbsp;day  ">'
        '<meta property="og:description" content="Fish &amp;amp; chips &lt;3">'
    )
    imported = read_page(page(head), PAGE)
    assert imported.title == 'Tom & Jerry’s "big" day'
    assert imported.summary == "Fish & chips <3"  # double-escaped by the publisher's CMS


def test_a_title_tag_loses_the_site_name_suffix_and_ignores_inline_svg_titles() -> None:
    head = '<meta property="og:site_name" content="Example News"><title>\n Launch day | Example News </title>'
    assert read_page(page(head), PAGE).title == "Launch day"
    icon = "<svg><title>Close icon</title></svg>"
    assert read_page(page(body=icon), PAGE).title == ""


def test_missing_metadata_leaves_fields_empty_and_the_page_url() -> None:
    imported = read_page(page(lang=""), PAGE)
    assert (imported.title, imported.summary, imported.image_url, imported.language, imported.site_name) == (
        "",
        "",
        None,
        None,
        "",
    )
    assert imported.url == PAGE
    assert not imported.found_anything


def test_long_titles_and_summaries_are_capped_at_a_word() -> None:
    head = f'<meta property="og:title" content="{"word " * 200}"><meta name="description" content="{"x" * 5000}">'
    imported = read_page(page(head), PAGE)
    assert len(imported.title) <= MAX_TITLE and imported.title.endswith("word…")
    assert len(imported.summary) == MAX_SUMMARY


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<link rel="canonical" href="/2026/launch"><meta property="og:url" content="https://x.example.com/">', "c"),
        ('<meta property="og:url" content="https://news.example.com/launch">', "og"),
        ('<link rel="canonical" href="javascript:alert(1)">', "page"),
        ('<link rel="canonical" href="http://10.0.0.1/">', "page"),
        ('<link rel="alternate canonical" href="https://news.example.com/2026/launch">', "c"),
    ],
)
def test_the_url_is_the_canonical_one_then_og_url_then_the_final_url(head: str, expected: str) -> None:
    urls = {"c": "https://news.example.com/2026/launch", "og": "https://news.example.com/launch", "page": PAGE}
    assert read_page(page(head), PAGE).url == urls[expected]


def test_a_page_whose_own_address_cannot_be_registered_is_refused() -> None:
    with pytest.raises(PageImportError, match="invalid URL") as raised:
        read_page(page(OG), "http://127.0.0.1:8000/")
    assert raised.value.reason == "invalid_url"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<html lang="en-GB">', "en"),
        ('<html lang="RU">', "ru"),
        ('<html lang="lt">', "lt"),
        ('<html lang="de">', None),
        ('<html><head><meta property="og:locale" content="pl_PL">', "pl"),
        ('<html lang="de"><head><meta property="og:locale" content="pl_PL">', None),
        ("<p>no html tag", None),
    ],
)
def test_the_language_is_one_chorus_supports_or_none(markup: str, expected: str | None) -> None:
    assert read_page(markup, PAGE).language == expected


@pytest.mark.parametrize(
    "markup",
    [
        "",
        "\x00\x01\x02\ufffd\ufffd binary junk \x7f",
        "<html><head><title>Unclosed <meta property=og:title",
        '<meta property="og:title"><meta property="og:image" content=""><meta content="orphan">',
        "<" * 1000 + ">" * 1000,
        "<div>" * 2000,
        "<?xml version='1.0'?><!DOCTYPE html><![CDATA[ x ]]><html><head><title>Still here</title>",
        '<link rel><link href="/x.png"><meta name="og:title" content="\x07bell">',
    ],
)
def test_junk_html_never_raises_and_prefills_what_it_can(markup: str) -> None:
    imported = read_page(markup, PAGE)
    assert imported.url == PAGE
    assert "\x00" not in imported.title and "\x07" not in imported.title


POLISH = "Zażółć gęślą jaźń"
RUSSIAN = "Съешь же ещё этих мягких французских булок"


@pytest.mark.parametrize(
    ("raw", "header_charset", "expected"),
    [
        (f'<meta charset="windows-1250"><title>{POLISH}</title>'.encode("cp1250"), None, POLISH),
        (
            f'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2"><title>{POLISH}</title>'.encode(
                "iso-8859-2"
            ),
            None,
            POLISH,
        ),
        (f"<title>{RUSSIAN}</title>".encode("koi8-r"), "koi8-r", RUSSIAN),
        (f'<meta charset="utf-8"><title>{RUSSIAN}</title>'.encode("koi8-r"), "KOI8-R", RUSSIAN),  # header wins
        (f"<title>{RUSSIAN}</title>".encode(), None, RUSSIAN),  # undeclared: UTF-8
        (f'<meta charset="koi8-r"><title>{RUSSIAN}</title>'.encode("koi8-r"), "no-such-charset", RUSSIAN),
        (b"\xef\xbb\xbf" + f'<meta charset="windows-1250"><title>{POLISH}</title>'.encode(), None, POLISH),  # BOM
        ("<title>Café</title>".encode("cp1252"), "iso-8859-1", "Café"),
        (b"<title>Caf\xe9 \xff</title>", None, "Caf\ufffd \ufffd"),  # invalid UTF-8 is replaced, never raises
        (b"<title>x</title>", "base64", "x"),  # not a text encoding: ignored
    ],
)
def test_bytes_are_decoded_with_the_declared_charset(raw: bytes, header_charset: str | None, expected: str) -> None:
    assert read_page(decode_html(raw, header_charset), PAGE).title == expected


# The fetcher's address rules: refused before any connection, so no I/O is needed to test them.


def fake_resolver(answers: dict[str, list[str]]) -> Any:
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in answers[host]
        ]

    return getaddrinfo


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.1.2.3"],
        ["93.184.215.14", "192.168.1.20"],  # one private answer among public ones is enough
        ["169.254.169.254"],
        ["100.64.12.1"],
        ["fd00:ec2::254"],
        ["::ffff:10.0.0.1"],
        ["2002:a00:1::1"],  # 6to4 around 10.0.0.1
        ["224.0.0.251"],
        ["127.0.0.1"],
    ],
)
def test_a_host_name_resolving_to_any_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, addresses: list[str]
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver({"news.example.com": addresses}))
    with pytest.raises(RefusedAddressError, match=r"refused address: news\.example\.com resolves to a private"):
        fetch_page("https://news.example.com/launch")


def test_the_test_allowance_admits_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver({"news.example.com": ["10.0.0.1"]}))
    allowance = FetchPolicy(allow_loopback_for_tests=True)
    with pytest.raises(RefusedAddressError):
        fetch_page("https://news.example.com/", policy=allowance)
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://127.1/", "http://2130706433/"):
        with pytest.raises(RefusedAddressError):
            fetch_page(url, policy=allowance)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0x7f.0.0.1:8080/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0/",
        "http://localhost:8000/",
        "http://intranet/",
        "http://printer.local/",
    ],
)
def test_literal_private_addresses_and_internal_names_are_refused(url: str) -> None:
    with pytest.raises(RefusedAddressError, match="refused address"):
        fetch_page(url)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/file", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("gopher://example.com:70/", "http or https"),
        ("https://user:pw@example.com/", "user name or password"),
        ("https://example.com:22/", "port 22"),
        ("http://example.com:25/", "port 25"),
        ("https://example.com:99999/", "cannot be read"),
        ("https:///path", "host"),
        ("https://example.com/a b", "spaces"),
        ("", "address"),
    ],
)
def test_invalid_urls_are_refused_with_a_reason(url: str, why: str) -> None:
    with pytest.raises(InvalidURLError, match=why):
        fetch_page(url)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:93.184.215.14", True),
        ("100.64.0.1", False),
        ("100.100.100.200", False),
        ("192.0.0.192", False),
        ("198.18.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("239.1.2.3", False),
        ("ff0e::1", False),
        ("fe80::1", False),
        ("::", False),
        ("64:ff9b::a00:1", False),
        ("2001:db8::1", False),
    ],
)
def test_only_public_unicast_addresses_count_as_public(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


def test_importing_the_importer_loads_neither_the_parser_nor_the_http_client() -> None:
    probe = "import sys, functions.content.importer; print([m for m in ('bs4', 'urllib3') if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
