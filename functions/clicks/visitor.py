"""The visitor behind a click, trimmed and classified once (Shlink's ``Visitor`` value object).

Raw request data never leaves this module: the IP address is used only to compute the daily visitor
and address hashes and to recognise known mail-scanner networks, and is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

MAX_USER_AGENT = 512
OVERSIZED_USER_AGENT = 2048  # no browser sends this much; garbage is treated as a bot, not a person
_COUNTRY = re.compile(r"[A-Z]{2}")
_HOST = re.compile(r"[a-z0-9.-]{1,253}")

# Link-preview fetchers: they are bots, but named, because users ask "why did LinkedIn click my link?"
_PREVIEWERS = (
    ("telegram", re.compile(r"TelegramBot", re.I)),
    ("linkedin", re.compile(r"LinkedInBot", re.I)),
    ("slack", re.compile(r"Slackbot|Slack-ImgProxy", re.I)),
    ("x", re.compile(r"Twitterbot", re.I)),
    ("facebook", re.compile(r"facebookexternalhit|Facebot|meta-externalagent", re.I)),
    ("whatsapp", re.compile(r"^WhatsApp/", re.I)),
    ("discord", re.compile(r"Discordbot", re.I)),
    ("teams", re.compile(r"SkypeUriPreview|MicrosoftPreview|Teams/", re.I)),
    ("signal", re.compile(r"^Signal-", re.I)),
    ("pinterest", re.compile(r"Pinterestbot|^Pinterest/0\.", re.I)),
    ("reddit", re.compile(r"redditbot", re.I)),
    ("mastodon", re.compile(r"Mastodon/", re.I)),
    ("bluesky", re.compile(r"Bluesky Cardyb", re.I)),
    ("google-chat", re.compile(r"Google-PageRenderer|GoogleDocs|Google-Apps-Script", re.I)),
    ("embed-service", re.compile(r"Embedly|Iframely|Quora Link Preview|vkShare|Snap URL Preview", re.I)),
)

# Mail-security scanners that announce themselves. Many use a plain browser user agent instead: those
# are caught, where they can be, by HEAD requests and by their networks below.
_SCANNER_AGENTS = re.compile(
    r"Barracuda|Mimecast|Proofpoint|FireEye|Trend ?Micro|"
    r"Forcepoint|Symantec|Sophos|Safe ?Links|Cisco.*(Email|IronPort)|urlscan",
    re.I,
)

# Office apps fetch a link themselves before handing it to the browser, so the person's real click
# follows as a second request: the Office fetch is a check, not a visit.
_OFFICE_LINK_CHECK = re.compile(r"Existence Discovery|ms-office|MSOffice|^Microsoft Office/", re.I)

# Networks that fetch links in mail on their users' behalf (Microsoft Exchange Online Protection,
# which runs Safe Links, as published by Microsoft). A click from them is a scanner, whatever its agent.
SCANNER_NETWORKS = {
    "microsoft-eop": ("40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"),
}


@dataclass(frozen=True)
class Classification:
    kind: str  # "human", "bot", "preview" or "scanner"
    reason: str  # empty for humans; otherwise why the click was not counted as a person's

    @property
    def is_human(self) -> bool:
        return self.kind == "human"


HUMAN = Classification("human", "")


@dataclass(frozen=True)
class Visitor:
    method: str
    user_agent: str
    referrer_host: str | None
    country: str | None
    device: str
    classification: Classification
    visitor_hash: str
    ip_hash: str = ""  # the daily-salted address (network) alone: "the same network" for the address cap

    @classmethod
    def from_request(
        cls,
        method: str,
        headers: Mapping[str, str],
        source_ip: str | None,
        hash_key: bytes,
        day: str,
    ) -> Visitor:
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        raw_agent = lowered.get("user-agent", "").strip()
        user_agent = raw_agent[:MAX_USER_AGENT]
        return cls(
            method=method.upper(),
            user_agent=user_agent,
            referrer_host=referrer_host(lowered.get("referer")),
            country=country(lowered.get("cloudfront-viewer-country")),
            device=device_class(user_agent),
            classification=classify_visitor(method, lowered, raw_agent, source_ip),
            visitor_hash=visitor_hash(hash_key, day, source_ip or "", user_agent),
            ip_hash=address_hash(hash_key, day, source_ip),
        )


def classify_visitor(method: str, headers: Mapping[str, str], user_agent: str, source_ip: str | None) -> Classification:
    """Human, or bot / preview / scanner with the reason. ``headers`` has lower-case names."""
    if method.upper() == "HEAD":
        return Classification("scanner", "head_request")
    purpose = (headers.get("sec-purpose") or headers.get("purpose") or headers.get("x-moz") or "").lower()
    if "prefetch" in purpose or "prerender" in purpose:
        return Classification("preview", "prefetch")
    if not user_agent:
        return Classification("bot", "no_user_agent")
    if len(user_agent) > OVERSIZED_USER_AGENT:
        return Classification("bot", "oversized_user_agent")
    for name, pattern in _PREVIEWERS:
        if pattern.search(user_agent):
            return Classification("preview", f"link_preview:{name}")
    if _OFFICE_LINK_CHECK.search(user_agent):
        return Classification("scanner", "office_link_check")
    if _SCANNER_AGENTS.search(user_agent):
        return Classification("scanner", "mail_scanner_agent")
    matched = _bots().find(user_agent)
    if matched:
        return Classification("bot", f"crawler_agent:{_token(matched)}")
    network = scanner_network(source_ip)
    if network:
        return Classification("scanner", f"scanner_network:{network}")
    if not headers.get("accept-language"):
        # Every browser and in-app browser sends Accept-Language on a navigation; scripts that borrow
        # a browser's user agent usually do not.
        return Classification("bot", "no_accept_language")
    return HUMAN


def device_class(user_agent: str) -> str:
    """mobile, tablet, desktop or unknown (the user-agent tokens MDN recommends checking)."""
    if not user_agent:
        return "unknown"
    if re.search(r"iPad|Tablet|PlayBook|Kindle|Silk/", user_agent) or (
        "Android" in user_agent and "Mobi" not in user_agent and "FB4A" not in user_agent
    ):
        return "tablet"
    if re.search(r"Mobi|iPhone|iPod|Android|Windows Phone|FB4A|FBIOS|Instagram", user_agent):
        return "mobile"
    if re.search(r"Windows|Macintosh|X11|Linux|CrOS", user_agent):
        return "desktop"
    return "unknown"


def visitor_hash(hash_key: bytes, day: str, ip: str, user_agent: str) -> str:
    """An anonymous visitor id that changes every day: HMAC(daily salt, IP + user agent)."""
    daily_salt = _daily_salt(hash_key, day)
    return hmac.new(daily_salt, f"{ip}\n{user_agent}".encode(), hashlib.sha256).hexdigest()[:32]


def address_hash(hash_key: bytes, day: str, source_ip: str | None) -> str:
    """The visitor's network, salted for the day (16 hex), or "" when the address is unknown or malformed.

    An IPv4 address is its own network; an IPv6 address counts as its /64, since one device picks new
    addresses inside its /64 at will (privacy extensions) and a script could otherwise rotate them.
    """
    network = _network(source_ip)
    if not network:
        return ""
    daily_salt = _daily_salt(hash_key, day)
    return hmac.new(daily_salt, f"address\n{network}".encode(), hashlib.sha256).hexdigest()[:16]


def _network(source_ip: str | None) -> str:
    try:
        address = ipaddress.ip_address((source_ip or "").strip())
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@cache
def _daily_salt(hash_key: bytes, day: str) -> bytes:
    return hmac.new(hash_key, day.encode(), hashlib.sha256).digest()


def referrer_host(referer: str | None) -> str | None:
    if not referer or len(referer) > 4096:
        return None
    try:
        host = (urlsplit(referer.strip()).hostname or "").lower()
    except ValueError:
        return None
    return host if _HOST.fullmatch(host) else None


def country(header: str | None) -> str | None:
    value = (header or "").strip().upper()
    return value if _COUNTRY.fullmatch(value) else None


def scanner_network(source_ip: str | None) -> str | None:
    if not source_ip:
        return None
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return None
    for name, networks in _scanner_networks():
        if any(address in network for network in networks):
            return name
    return None


@cache
def _scanner_networks() -> tuple[tuple[str, tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]], ...]:
    return tuple(
        (name, tuple(ipaddress.ip_network(cidr) for cidr in cidrs)) for name, cidrs in SCANNER_NETWORKS.items()
    )


@cache
def _bots():
    from is_bot import Bots  # imported on the first click, not at cold start

    return Bots()


def _token(matched: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", matched.lower()).strip("-")[:40] or "pattern"
