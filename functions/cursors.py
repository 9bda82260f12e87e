"""Opaque, tamper-proof pagination cursors.

A cursor carries DynamoDB's LastEvaluatedKey, signed together with the query it belongs to, so it
cannot be edited to read other keys nor replayed against another query. Cursors expire after a day.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from typing import Any

from functions.secrets import derived_key
from functions.signing import SignatureError, sign, verify

PURPOSE = "cursor"
LIFETIME_SECONDS = 86400


class CursorError(ValueError):
    """The cursor is malformed, tampered with, expired or belongs to another query."""


def encode_cursor(last_key: dict[str, Any], query: Sequence[str], now: float | None = None) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).rstrip(b"=").decode()
    expires = int((now if now is not None else time.time()) + LIFETIME_SECONDS)
    signature = sign(derived_key(PURPOSE), PURPOSE, (payload, *query), expires)
    return f"{payload}.{expires}.{signature}"


def decode_cursor(cursor: str, query: Sequence[str], now: float | None = None) -> dict[str, Any]:
    parts = cursor.split(".") if isinstance(cursor, str) and len(cursor) <= 4096 else []
    if len(parts) != 3:
        raise CursorError("is not a cursor this API returned")
    payload, expires, signature = parts
    try:
        verify(derived_key(PURPOSE), PURPOSE, (payload, *query), expires, signature, now=now)
    except SignatureError as exc:
        if exc.reason == "expired":
            raise CursorError("has expired: start again from the first page") from None
        raise CursorError("is not valid for this query") from None
    try:
        key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        raise CursorError("is not a cursor this API returned") from None
    if not isinstance(key, dict):
        raise CursorError("is not a cursor this API returned")
    return key
