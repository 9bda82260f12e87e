"""An article's identity: one canonical spelling of its URL, and the ids derived from it.

Feeds and approved suggestions share these ids, so the same article arriving twice becomes one item.
"""

from __future__ import annotations

import contextlib
import hashlib
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset({"fbclid", "gclid"})  # and every utm_*
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key.startswith("utm_") or key in TRACKING_PARAMS


def without_tracking(url: str) -> str:
    """The URL without utm_*/fbclid/gclid parameters; everything else is kept exactly as written."""
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and not _is_tracking(unquote_plus(p.split("=", 1)[0]))]
    return urlunsplit(parts._replace(query="&".join(kept)))


def canonical_url(url: str) -> str:
    """One spelling per article, for identity only (never fetched or shown).

    Lower-case scheme and host, no default port, no fragment, no tracking parameters, the other
    parameters sorted, no trailing slash except the root path.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    with contextlib.suppress(UnicodeError):  # not a valid IDN: compare it as written (lower-cased)
        host = host.encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = parts.path or "/"
    if path != "/":
        path = path.rstrip("/") or "/"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k))
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def content_id_for_url(url: str) -> str:
    """The content id of the article at ``url``: the same for every spelling of it."""
    return "u" + _digest(canonical_url(url), 15)


def feed_source_id_for_url(url: str) -> str:
    return "f" + _digest(canonical_url(url), 15)
