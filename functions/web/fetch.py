"""Fetch one public HTML page, safely: no request Chorus makes can reach a private network (no SSRF).

Every hop of a redirect chain is checked the same way before anything is sent:

- only http and https; no user name or password in the URL; port 80, 443 or 1024-65535 (the ports below
  1024 belong to other protocols, SMTP or SSH, and no page worth importing is served there);
- the host must not be an internal name or a non-public literal address (the rule destinations.py applies
  to short-link destinations, legacy forms such as ``127.1`` and ``2130706433`` included);
- the name is resolved once and refused if ANY address it resolves to is not public by the one address
  policy destinations share (``functions.web.addresses``: private, loopback, link-local, multicast,
  reserved, unspecified, CGNAT, IPv4 inside or translated to IPv6, site-local, cloud metadata);
- the connection goes to the very address that was checked, with the name in the Host header, the TLS SNI
  and the certificate check, so a DNS answer that changes between check and connect (rebinding) is never
  used;
- redirects are followed by hand, at most 5, each target resolved and checked again; nothing is carried
  from hop to hop: no cookies, no credentials, and proxies from the environment are never used.

Time: 2 s to connect, 5 s for the whole fetch including redirects. A watchdog cuts the connection when the
budget is spent, so a server that drips bytes cannot hold the request open. Name resolution
(``socket.getaddrinfo``) cannot be interrupted; the system resolver's own timeout bounds it.

Size: a body is decompressed at most once (more than one ``Content-Encoding`` is refused: each layer would
multiply a compression bomb) and a body longer than the cap (2 MB) is not read further; the page is cut
there and marked ``truncated``. An HTML page's metadata sits in its <head>, in the first kilobytes, so the
cut loses nothing that matters and a huge page still imports. Only text/html and application/xhtml+xml
bodies are read at all (and, with ``FEED_POLICY``, the types RSS and Atom feeds are served as).

``FetchPolicy(allow_loopback_for_tests=True)`` lets tests fetch from a server on 127.0.0.1. It is a
constructor argument, never read from the environment or settings, so no deployment can switch it on by
configuration; even with it, every other private address is refused.
"""

from __future__ import annotations

import codecs
import contextlib
import ipaddress
import re
import socket
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin

from functions.links.destinations import DestinationError, host_refusal, split_url
from functions.web.addresses import IPAddress, is_public_address

if TYPE_CHECKING:
    from urllib3.connection import HTTPConnection

HTML_TYPES = ("text/html", "application/xhtml+xml")
# What RSS and Atom feeds are served as in practice (many servers say text/xml or plain application/xml).
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/xml",
    "text/xml",
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = "Mozilla/5.0 (compatible; ChorusImporter/1.0; link preview)"
_CHUNK = 64 * 1024
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# WHATWG Encoding: these labels mean windows-1252 on the web, whatever the strict standards say.
_WEB_LATIN1 = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii"})
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.IGNORECASE)


class FetchError(Exception):
    """The page could not be fetched; the message says why, in words an admin understands."""

    reason = "fetch_failed"


class InvalidURLError(FetchError):
    reason = "invalid_url"


class RefusedAddressError(FetchError):
    reason = "refused_address"


class FetchTimeoutError(FetchError):
    reason = "timeout"


class NotHTMLError(FetchError):
    reason = "not_html"


class TooManyRedirectsError(FetchError):
    reason = "too_many_redirects"


class UnreachableError(FetchError):
    reason = "unreachable"


class EncodingRefusedError(FetchError):
    """The body is compressed more than once (``Content-Encoding: gzip, gzip``): a way to multiply a bomb."""

    reason = "content_encoding"


class HTTPStatusError(FetchError):
    reason = "http_status"

    def __init__(self, status: int, detail: str = "") -> None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "error"
        super().__init__(f"HTTP error: the page answered {status} {phrase}{detail}")
        self.status = status


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch. The defaults are production's; tests shrink them to stay fast."""

    connect_timeout: float = 2.0
    total_timeout: float = 5.0
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    # The media types whose bodies are read; any other answer is refused unread. Feeds pass FEED_POLICY's.
    accept_types: tuple[str, ...] = HTML_TYPES
    # For tests only: lets a test fetch from its own server on 127.0.0.1 or ::1. Never set it from
    # configuration; every other non-public address stays refused with it.
    allow_loopback_for_tests: bool = False


FEED_POLICY = FetchPolicy(accept_types=FEED_TYPES + HTML_TYPES)  # some servers label feeds text/html


@dataclass(frozen=True)
class FetchedPage:
    url: str  # as asked for
    final_url: str  # after redirects
    status: int
    content_type: str  # the media type, lower case: one of the policy's accept_types
    body: bytes
    text: str  # the body decoded (charset from BOM, header or <meta>; else UTF-8 with replacement)
    redirects: tuple[str, ...] = ()  # each URL redirected to, in order
    truncated: bool = False  # the body was longer than the policy's max_bytes and was cut there


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII (IDNA) name or address, without brackets
    port: int
    request_target: str  # path and query, percent-encoded
    host_header: str


@dataclass(frozen=True)
class _Answer:
    status: int
    location: str | None = None
    content_type: str = ""
    charset: str | None = None
    body: bytes = b""
    truncated: bool = False


def fetch_page(url: str, *, policy: FetchPolicy | None = None) -> FetchedPage:
    """Fetch an HTML page from the public web, following up to ``max_redirects`` checked redirects.

    Raises a FetchError subclass: InvalidURLError, RefusedAddressError, FetchTimeoutError, NotHTMLError,
    HTTPStatusError, TooManyRedirectsError or UnreachableError.
    """
    policy = policy or FetchPolicy()
    deadline = time.monotonic() + policy.total_timeout
    redirects: list[str] = []
    current = url
    while True:
        target = _check_url(current, policy)
        addresses = _resolve(target.host, target.port, policy)
        answer = _exchange(target, addresses, policy, deadline)
        if answer.location is None:
            break
        if len(redirects) >= policy.max_redirects:
            raise TooManyRedirectsError(
                f"too many redirects: the page redirects more than {policy.max_redirects} times"
            )
        try:
            current = urljoin(target.url, answer.location.strip())
        except ValueError:
            raise InvalidURLError("invalid URL: the page redirects to an address that cannot be read") from None
        redirects.append(current)
    return FetchedPage(
        url=url,
        final_url=target.url,
        status=answer.status,
        content_type=answer.content_type,
        body=answer.body,
        text=decode_html(answer.body, answer.charset),
        redirects=tuple(redirects),
        truncated=answer.truncated,
    )


def _check_url(url: object, policy: FetchPolicy | None = None) -> _Target:
    """The URL's parts, once its scheme, credentials, port and host are allowed; no I/O."""
    policy = policy or FetchPolicy()
    try:
        parts = split_url(url)
    except DestinationError as exc:
        raise InvalidURLError(f"invalid URL: {exc}") from None
    scheme = parts.scheme.lower()
    host = _ascii_host((parts.hostname or "").rstrip("."))
    port = parts.port or DEFAULT_PORTS[scheme]
    if port not in DEFAULT_PORTS.values() and not 1024 <= port <= 65535:
        raise InvalidURLError(f"invalid URL: port {port} is not allowed (only 80, 443 and 1024-65535)")
    refusal = host_refusal(host)
    if refusal and not (policy.allow_loopback_for_tests and _is_loopback_literal(host)):
        raise RefusedAddressError(f"refused address: {host} {refusal}")
    return _Target(
        url=parts.geturl().split("#", 1)[0],
        scheme=scheme,
        host=host,
        port=port,
        request_target=_request_target(parts.path, parts.query),
        host_header=_host_header(host, port, scheme),
    )


def _resolve(host: str, port: int, policy: FetchPolicy | None = None) -> list[IPAddress]:
    """Every address the host resolves to; refused if any one of them is not public."""
    policy = policy or FetchPolicy()
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnreachableError(f"unreachable: the name {host} could not be resolved") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(answer[4][0]) for answer in answers))
    if not addresses:
        raise UnreachableError(f"unreachable: the name {host} has no address")
    for address in addresses:
        if not (is_public_address(address) or (policy.allow_loopback_for_tests and _is_loopback(address))):
            raise RefusedAddressError(
                f"refused address: {host} resolves to a private, loopback or reserved address, not a public one"
            )
    return addresses


def decode_html(body: bytes, charset: str | None = None) -> str:
    """The page's text: a BOM wins, then the header's charset, then a <meta> one; else UTF-8, with replacement."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, "replace")
    meta = _META_CHARSET.search(body[:4096])
    for label in (charset, meta.group(1).decode("ascii") if meta else None):
        codec = _text_encoding(label)
        if codec:
            return body.decode(codec, "replace")
    return body.decode("utf-8", "replace")


def _charset_of(content_type: str) -> str | None:
    """The charset a Content-Type header declares, if any."""
    found = _HEADER_CHARSET.search(content_type)
    return found.group(1) if found else None


def _text_encoding(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _WEB_LATIN1:
        return "cp1252"
    try:
        info = codecs.lookup(label)
        "".encode(info.name)  # refuses codecs that are not text encodings (base64, rot13)
    except LookupError:
        return None
    return info.name


def _ascii_host(host: str) -> str:
    if not host:
        raise InvalidURLError("invalid URL: must name a host")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidURLError(f"invalid URL: {host} is not a valid host name") from None


def _is_loopback_literal(host: str) -> bool:
    try:
        return _is_loopback(ipaddress.ip_address(host))
    except ValueError:
        return False


def _is_loopback(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def _request_target(path: str, query: str) -> str:
    target = quote(path or "/", safe="/%:@!$&'()*+,;=~")
    return f"{target}?{quote(query, safe='/?%:@!$&()*+,;=~')}" if query else target


def _host_header(host: str, port: int, scheme: str) -> str:
    name = f"[{host}]" if ":" in host else host
    return name if port == DEFAULT_PORTS[scheme] else f"{name}:{port}"


class _Watchdog:
    """Cuts the connection when the fetch's time is spent, whatever the server does."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self.connection: Any = None  # while connecting: its socket appears during connect()
        self.sock: socket.socket | None = None  # once connected: the response keeps it after the connection lets go
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        sock = self.sock or getattr(self.connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                # The plain socket's shutdown (not SSLSocket's): wakes a blocked read at once, TLS or not.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()


def _exchange(target: _Target, addresses: list[IPAddress], policy: FetchPolicy, deadline: float) -> _Answer:
    """One request to the checked addresses (tried in turn until one accepts the connection)."""
    import http.client

    import urllib3.exceptions
    from urllib3.util.ssl_match_hostname import CertificateError

    failures = (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError, CertificateError)
    with _Watchdog(_remaining(deadline, policy)) as watchdog:
        for attempt, address in enumerate(addresses, start=1):
            connection = _connection(target, address, policy, deadline)
            watchdog.connection = connection
            try:
                try:
                    connection.connect()
                except failures as exc:
                    if attempt < len(addresses) and not (watchdog.fired or _is_timeout(exc) or _is_tls(exc)):
                        continue
                    raise _failure(exc, watchdog.fired, target, policy, connecting=True) from exc
                watchdog.sock = connection.sock
                if watchdog.fired:
                    raise _timed_out(policy)
                connection.timeout = _remaining(deadline, policy)  # getresponse() applies it to the socket
                try:
                    answer = _ask(connection, target, policy)
                except failures as exc:
                    raise _failure(exc, watchdog.fired, target, policy) from exc
                if watchdog.fired:  # cut mid-body: what was read is not the page
                    raise _timed_out(policy)
                return answer
            finally:
                connection.close()
    raise UnreachableError(f"unreachable: could not connect to {target.host}")  # no address at all


def _connection(target: _Target, address: IPAddress, policy: FetchPolicy, deadline: float) -> HTTPConnection:
    """A connection pinned to the checked address; the name is used only for Host, SNI and the certificate."""
    from urllib3.connection import HTTPConnection, HTTPSConnection

    timeout = min(policy.connect_timeout, _remaining(deadline, policy))
    if target.scheme == "https":
        return HTTPSConnection(
            str(address), target.port, timeout=timeout, server_hostname=target.host, assert_hostname=target.host
        )
    return HTTPConnection(str(address), target.port, timeout=timeout)


def _ask(connection: HTTPConnection, target: _Target, policy: FetchPolicy) -> _Answer:
    headers = {
        "Host": target.host_header,
        "User-Agent": policy.user_agent,
        "Accept": ",".join(policy.accept_types) + ";q=0.9,*/*;q=0.1",
        "Accept-Encoding": "gzip, deflate",
        "Connection": "close",
    }
    connection.request("GET", target.request_target, headers=headers, preload_content=False, decode_content=True)
    response = connection.getresponse()
    try:
        return _answer(response, policy)
    finally:
        response.close()  # the response, not the connection, owns the socket once "Connection: close" is read


def _answer(response: Any, policy: FetchPolicy) -> _Answer:
    """A redirect's target, or the HTML body; an error for any other status or type (the body is then unread)."""
    if response.status in REDIRECT_STATUSES:
        location = response.headers.get("Location")
        if not location:
            raise HTTPStatusError(response.status, " without saying where to")
        return _Answer(response.status, location=location)
    if response.status >= 300:
        raise HTTPStatusError(response.status)
    content_type = response.headers.get("Content-Type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in policy.accept_types:
        shown = media_type or "of no declared type"
        if policy.accept_types == HTML_TYPES:
            raise NotHTMLError(f"not HTML: the page is {shown}; only HTML pages can be imported")
        raise NotHTMLError(f"not a feed: the address serves {shown}, not RSS or Atom")
    codings = [c for value in response.headers.getlist("Content-Encoding") for c in value.split(",") if c.strip()]
    if len(codings) > 1:
        raise EncodingRefusedError(
            f"refused: the page is compressed {len(codings)} times over ({', '.join(c.strip() for c in codings)}); "
            "only one Content-Encoding is accepted"
        )
    body, truncated = _read_capped(response, policy.max_bytes)
    return _Answer(response.status, None, media_type, _charset_of(content_type), body, truncated)


def _read_capped(response: Any, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the (decompressed) body, and whether there was more."""
    body = bytearray()
    while len(body) <= limit:
        chunk = response.read(min(_CHUNK, limit + 1 - len(body)))
        if not chunk:
            return bytes(body), False
        body += chunk
    return bytes(body[:limit]), True


def _remaining(deadline: float, policy: FetchPolicy) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _timed_out(policy)
    return remaining


def _timed_out(policy: FetchPolicy) -> FetchTimeoutError:
    return FetchTimeoutError(f"timed out: the page did not load within {policy.total_timeout:g} seconds")


def _is_timeout(exc: BaseException) -> bool:
    import urllib3.exceptions

    if isinstance(exc, urllib3.exceptions.NewConnectionError):  # refused or unroutable, though it subclasses
        return False  # ConnectTimeoutError
    return isinstance(exc, TimeoutError | urllib3.exceptions.TimeoutError)


def _is_tls(exc: BaseException) -> bool:
    import ssl

    import urllib3.exceptions
    from urllib3.util.ssl_match_hostname import CertificateError

    return isinstance(exc, ssl.SSLError | ssl.CertificateError | urllib3.exceptions.SSLError | CertificateError)


def _failure(
    exc: BaseException, watchdog_fired: bool, target: _Target, policy: FetchPolicy, *, connecting: bool = False
) -> FetchError:
    if watchdog_fired or _is_timeout(exc):
        return _timed_out(policy)
    if _is_tls(exc):
        return UnreachableError(f"unreachable: {target.host} did not prove its identity over TLS ({exc})")
    if connecting:
        return UnreachableError(f"unreachable: could not connect to {target.host} on port {target.port}")
    return UnreachableError(f"unreachable: the connection to {target.host} broke off ({type(exc).__name__})")
