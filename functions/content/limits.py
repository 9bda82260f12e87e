"""How long a suggested text may be on each network, with links counted the way the network counts them.

The short link is appended to the text when shared, so it is counted too. X counts every URL as 23
characters (its t.co length); the others count the text as typed.
"""

from __future__ import annotations

import re
import unicodedata

LIMITS = {"x": 280, "linkedin": 3000, "facebook": 63206, "whatsapp": 65536, "email": 10000}
X_URL_LENGTH = 23
_URL = re.compile(r"https?://\S+", re.I)


def counted_length(network: str, text: str) -> int:
    """The length the network sees for ``text`` followed by a space and Chorus's short link."""
    text = unicodedata.normalize("NFC", text)
    if network == "x":
        urls = _URL.findall(text)
        return len(_URL.sub("", text)) + X_URL_LENGTH * len(urls) + 1 + X_URL_LENGTH
    return len(text) + 1 + 30  # the short link: https://<short domain>/<code>, ~30 characters


def over_limit(network: str, text: str) -> str | None:
    """A message when ``text`` is too long for the network, else None."""
    limit = LIMITS[network]
    length = counted_length(network, text)
    if length > limit:
        return f"is {length} characters with the link as {network} counts it; the limit is {limit}"
    return None
