"""The click classifier, measured on the whole public isbot corpus and on the cases users ask about."""

from __future__ import annotations

import re

import pytest
import yaml

from functions.clicks.visitor import (
    Visitor,
    address_hash,
    classify_visitor,
    country,
    device_class,
    referrer_host,
    visitor_hash,
)
from tests.conftest import BROWSER_UA, CORPORA

HEADERS = {"accept-language": "en-US,en;q=0.9"}
KEY = b"v" * 32

# Where Chorus's judgement differs from isbot's browser list, and why:
# - Office desktop apps fetch a link themselves ("ms-office", "MSOffice", "Microsoft Office/16.0") before
#   opening the browser; the person's real click follows from the browser, so the Office fetch is a link
#   check, not a visit. (Outlook for iOS opens links in a web view: human, as isbot says.)
# - "pinterest/0." is Pinterest's preview fetcher (isbot lists it as insignificant, not as a browser).
NOT_HUMAN_BY_CHORUS = re.compile(r"ms-office|MSOffice|^Microsoft Office/|^pinterest/0\.")


def _corpus(name: str) -> dict[str, list[str]]:
    return yaml.safe_load((CORPORA / name).read_text())


def test_every_browser_in_the_corpus_counts_as_human() -> None:
    misjudged, judged = [], 0
    for group, agents in _corpus("isbot-browsers.yml").items():
        for agent in agents:
            verdict = classify_visitor("GET", HEADERS, agent, "203.0.113.7")
            expected_human = not NOT_HUMAN_BY_CHORUS.search(agent)
            judged += 1
            if verdict.is_human != expected_human:
                misjudged.append((group, agent, verdict))
    assert judged > 550
    assert misjudged == []


def test_no_crawler_in_the_corpus_counts_as_human() -> None:
    crawlers = [agent for agents in _corpus("isbot-crawlers.yml").values() for agent in agents]
    assert len(crawlers) > 600
    humans = [a for a in crawlers if classify_visitor("GET", HEADERS, a, "203.0.113.7").is_human]
    assert humans == []


@pytest.mark.parametrize(
    ("agent", "network"),
    [
        ("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", "linkedin"),
        ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "slack"),
        ("Twitterbot/1.0", "x"),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "facebook"),
        ("WhatsApp/2.23.20.0 A", "whatsapp"),
        ("TelegramBot (like TwitterBot)", "telegram"),
        ("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", "discord"),
        ("Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5", "teams"),
    ],
)
def test_link_previews_are_named_and_not_human(agent: str, network: str) -> None:
    verdict = classify_visitor("GET", HEADERS, agent, "203.0.113.7")
    assert (verdict.kind, verdict.reason) == ("preview", f"link_preview:{network}")


@pytest.mark.parametrize(
    "agent",
    [
        # LinkedIn's in-app browser (iOS), Facebook's and Instagram's: people reading inside the apps.
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 [LinkedInApp]/9.29.5",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/119.0 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/441.0.0.23.105;]",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 Instagram 305.0.0.0 (iPhone15,2; iOS 17_0; en_US; en; scale=3.00; 1179x2556)",
    ],
)
def test_in_app_browsers_are_human(agent: str) -> None:
    assert classify_visitor("GET", HEADERS, agent, "203.0.113.7").is_human
    assert device_class(agent) == "mobile"


def test_head_requests_are_scanners_even_from_a_browser() -> None:
    verdict = classify_visitor("HEAD", HEADERS, BROWSER_UA, "203.0.113.7")
    assert (verdict.kind, verdict.reason) == ("scanner", "head_request")


def test_prefetches_are_previews() -> None:
    verdict = classify_visitor("GET", {**HEADERS, "sec-purpose": "prefetch;prerender"}, BROWSER_UA, "203.0.113.7")
    assert (verdict.kind, verdict.reason) == ("preview", "prefetch")


def test_clicks_from_microsoft_safe_links_networks_are_scanners() -> None:
    verdict = classify_visitor("GET", HEADERS, BROWSER_UA, "40.107.22.5")
    assert (verdict.kind, verdict.reason) == ("scanner", "scanner_network:microsoft-eop")


def test_a_script_borrowing_a_browser_agent_without_browser_headers_is_a_bot() -> None:
    verdict = classify_visitor("GET", {}, BROWSER_UA, "203.0.113.7")
    assert (verdict.kind, verdict.reason) == ("bot", "no_accept_language")


@pytest.mark.parametrize(
    ("agent", "reason"),
    [("", "no_user_agent"), ("Mozilla/5.0 " + "A" * 5000, "oversized_user_agent"), ("curl/8.5.0", "crawler_agent")],
)
def test_empty_oversized_and_tool_agents_are_bots(agent: str, reason: str) -> None:
    verdict = classify_visitor("GET", HEADERS, agent, "203.0.113.7")
    assert verdict.kind == "bot" and verdict.reason.startswith(reason)


def test_garbage_headers_never_raise_and_are_trimmed() -> None:
    headers = {
        "User-Agent": "\x00\x01" + "x" * 10_000,
        "Referer": "http://[not-an-ip/" + "y" * 5000,
        "CloudFront-Viewer-Country": "<script>",
        "Accept-Language": "\udcff",
    }
    visitor = Visitor.from_request("GET", headers, "not-an-ip", KEY, "2026-11-22")
    assert len(visitor.user_agent) == 512
    assert visitor.referrer_host is None and visitor.country is None
    assert visitor.classification.kind == "bot"


def test_referrer_is_reduced_to_its_host_and_country_validated() -> None:
    assert referrer_host("https://www.LinkedIn.com/feed/update/urn:li:activity:1?trk=x") == "www.linkedin.com"
    assert referrer_host("android-app://com.linkedin.android/") == "com.linkedin.android"
    assert referrer_host("not a url") is None
    assert country("pl") == "PL"
    assert country("POL") is None


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (BROWSER_UA, "desktop"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", "mobile"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", "tablet"),
        ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/119.0 Safari/537.36", "tablet"),
        ("", "unknown"),
    ],
)
def test_device_class(agent: str, device: str) -> None:
    assert device_class(agent) == device


def test_visitor_hash_is_stable_within_a_day_rotates_daily_and_never_contains_the_ip() -> None:
    same = visitor_hash(KEY, "2026-11-22", "198.51.100.4", BROWSER_UA)
    assert same == visitor_hash(KEY, "2026-11-22", "198.51.100.4", BROWSER_UA)
    assert same != visitor_hash(KEY, "2026-11-23", "198.51.100.4", BROWSER_UA)
    assert same != visitor_hash(KEY, "2026-11-22", "198.51.100.5", BROWSER_UA)
    assert same != visitor_hash(b"w" * 32, "2026-11-22", "198.51.100.4", BROWSER_UA)
    assert "198.51.100.4" not in same and len(same) == 32


def test_the_address_hash_is_the_network_alone_salted_for_the_day() -> None:
    day = "2026-11-22"
    office = address_hash(KEY, day, "198.51.100.4")
    assert len(office) == 16 and int(office, 16) >= 0 and "198" not in office
    # the same address with any user agent is one network; another address, day or key is another
    agents = [
        Visitor.from_request("GET", {"user-agent": f"{BROWSER_UA} {n}"}, "198.51.100.4", KEY, day) for n in range(3)
    ]
    assert {v.ip_hash for v in agents} == {office} and len({v.visitor_hash for v in agents}) == 3
    assert office != address_hash(KEY, day, "198.51.100.5")
    assert office != address_hash(KEY, "2026-11-23", "198.51.100.4")
    assert office != address_hash(b"w" * 32, day, "198.51.100.4")
    # the address hash is not the visitor hash of an empty agent (a different message under the same salt)
    assert office != visitor_hash(KEY, day, "198.51.100.4", "")[:16]


def test_an_ipv6_visitor_is_its_64_network_so_rotating_addresses_inside_it_is_one_network() -> None:
    day = "2026-11-22"
    home = address_hash(KEY, day, "2001:db8:1:2::1")
    assert home == address_hash(KEY, day, "2001:db8:1:2:a4f3:9e1:77c0:15")
    assert home != address_hash(KEY, day, "2001:db8:1:3::1")
    assert address_hash(KEY, day, "::ffff:198.51.100.4") == address_hash(KEY, day, "198.51.100.4")


@pytest.mark.parametrize("source", [None, "", "not an address", "999.1.1.1"])
def test_an_unknown_or_malformed_address_has_no_address_hash(source: str | None) -> None:
    assert address_hash(KEY, "2026-11-22", source) == ""
    assert Visitor.from_request("GET", HEADERS, source, KEY, "2026-11-22").ip_hash == ""
