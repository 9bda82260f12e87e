"""Signed, expiring parameters for links that carry identity without a login.

A signature covers a purpose and an ordered tuple of values plus the expiry, so a share link cannot be
replayed as another kind of link and no field can be changed without detection.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence

SIGNATURE_BYTES = 16  # 128-bit truncated HMAC-SHA256: plenty against forgery, short in a URL.


class SignatureError(Exception):
    """The signature is missing, malformed, forged or expired; ``reason`` says which."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def sign(key: bytes, purpose: str, values: Sequence[str], expires_at: int) -> str:
    mac = hmac.new(key, _message(purpose, values, expires_at), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:SIGNATURE_BYTES]).rstrip(b"=").decode()


def verify(
    key: bytes,
    purpose: str,
    values: Sequence[str],
    expires_at: str | int | None,
    signature: str | None,
    now: float | None = None,
) -> None:
    """Raise SignatureError unless ``signature`` is valid and not expired."""
    if not signature or expires_at in (None, ""):
        raise SignatureError("missing", "This link is not signed. Use the link from your email.")
    try:
        expiry = int(expires_at)
    except (TypeError, ValueError):
        raise SignatureError("malformed", "This link is damaged. Use the link from your email.") from None
    if len(signature) > 64:
        raise SignatureError("malformed", "This link is damaged. Use the link from your email.")
    expected = sign(key, purpose, values, expiry)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise SignatureError("forged", "This link's signature is not valid. Use the link exactly as you received it.")
    if expiry < (time.time() if now is None else now):
        raise SignatureError("expired", "This link has expired. Use the link from your latest digest.")


def _message(purpose: str, values: Sequence[str], expires_at: int) -> bytes:
    # Length-prefixed fields: ("ab", "c") and ("a", "bc") sign differently.
    parts = [purpose, *values, str(expires_at)]
    return b"".join(len(p.encode()).to_bytes(4, "big") + p.encode() for p in parts)
