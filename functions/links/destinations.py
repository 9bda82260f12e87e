"""Which destinations Chorus will ever redirect to, and the UTM tags it adds.

Chorus is never an open redirect: a destination is validated when an admin registers it, and only
registered destinations reach a short link. Internal host names are refused, and a literal address must
be public by the same policy the page fetcher connects by (``functions.web.addresses``), so a short link
can never point into a company network.
"""

from __future__ import annotations

from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from functions.web.addresses import AddressFormError, host_address, is_public_address

MAX_URL_LENGTH = 2048
_INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".intranet", ".corp", ".home.arpa", ".lan")
_UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")


class DestinationError(ValueError):
    """The URL cannot be a Chorus destination; the message says why, for the admin."""


def web_link(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL, else None: what a page or email may put in an href.

    Registered URLs are validated already; this guards rendering, so a ``javascript:`` link stored by any
    other path never becomes a link.
    """
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("https", "http") and parts.netloc else None


def validate_destination(url: object) -> str:
    """Return the URL, normalised, or raise DestinationError."""
    parts = split_url(url)
    assert parts.hostname is not None  # split_url refuses a URL without a host
    _refuse_internal_host(parts.hostname.rstrip(".").lower())
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, parts.fragment))


def split_url(url: object) -> SplitResult:
    """The parts of an absolute http(s) URL with a host, no credentials and a valid port, or DestinationError.

    The shape rule shared by destinations and the page fetcher; it says nothing yet about the host.
    """
    if not isinstance(url, str) or not url.strip():
        raise DestinationError("must be the address of a web page (an http or https URL)")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise DestinationError(f"must be at most {MAX_URL_LENGTH} characters")
    if any(ord(ch) < 0x21 or ch == "\x7f" for ch in url):
        raise DestinationError("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DestinationError("cannot be read as a web address") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise DestinationError("must use http or https")
    if parts.username is not None or parts.password is not None:
        raise DestinationError("must not contain a user name or password")
    if not (parts.hostname or "").rstrip("."):
        raise DestinationError("must name a host")
    if port is not None and not 0 < port < 65536:
        raise DestinationError("has an invalid port")
    return parts


def _refuse_internal_host(host: str) -> None:
    try:
        address = host_address(host)
    except AddressFormError:
        raise DestinationError("is not a valid address") from None
    if address is None:
        if host == "localhost" or host.endswith(_INTERNAL_SUFFIXES) or "." not in host:
            raise DestinationError("must be a public host, not an internal name")
        return  # a DNS name: nothing is fetched here, so no resolution is needed to redirect safely
    if not is_public_address(address):
        raise DestinationError("must be a public address, not a private, loopback or reserved one")


def with_utm(destination: str, source: str, campaign: str) -> str:
    """The destination with Chorus's UTM tags; its other query parameters and fragment are kept."""
    parts = urlsplit(destination)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _UTM_KEYS]
    query += [("utm_source", source), ("utm_medium", "employee_advocacy"), ("utm_campaign", campaign)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def is_redirectable(url: object) -> bool:
    """Defence in depth on the redirect path: only absolute http(s) URLs ever leave as a Location."""
    return isinstance(url, str) and url.lower().startswith(("https://", "http://"))


def host_refusal(host: str) -> str | None:
    """Why a URL's host (a name or an address) can never be a destination, or None when it may be.

    The host rule of validate_destination, for code that meets hosts elsewhere (the page fetcher checks every
    redirect hop with it before resolving the name).
    """
    try:
        _refuse_internal_host(host.rstrip(".").lower())
    except DestinationError as exc:
        return str(exc)
    return None
