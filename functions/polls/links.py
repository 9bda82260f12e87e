"""The poll's signed answer links: one per value on the scale, in the digest's HTML and plain-text parts.

``<api>/poll/<poll_id>?employee=<id>&score=<n>&exp=<unix>&sig=<hmac>[&v=<token version>]``. The signature
(HMAC-SHA256 with a key derived for polls alone, functions.signing) covers the employee, the poll, the
value and the expiry, and the employee's ``token_version`` like share links do (``v``, left out at 0): once
an admin revokes the employee's tokens, the poll links of their old digests stop working too (403). A link
lives ANSWER_DAYS from the digest that carries it, long enough to answer (or change the answer) after a
holiday.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from functions.polls.model import Poll, parse_poll_id
from functions.secrets import derived_key
from functions.signing import SignatureError, sign, verify

PURPOSE = "poll"
ANSWER_DAYS = 30
_DAMAGED = "This link is damaged. Use the link from your email."


@dataclass(frozen=True)
class PollLink:
    """What a genuine, unexpired answer link says: who answers which poll, with which value it was opened."""

    employee_id: str
    poll: Poll
    score: int
    token_version: int
    expires_at: int


def poll_path(
    employee_id: str,
    poll_id: str,
    score: int,
    expires_at: int | None = None,
    *,
    token_version: int = 0,
    key: bytes | None = None,
) -> str:
    """The signed path that answers ``poll_id`` with ``score`` as ``employee_id`` (after a confirmation);
    ``key`` signs instead of the deployment's poll key (tests signing for a `make run` stack)."""
    if expires_at is None:
        expires_at = int(time.time()) + ANSWER_DAYS * 86400
    values = _signed(employee_id, poll_id, str(score), token_version)
    query: dict[str, str | int] = {"employee": employee_id, "score": score, "exp": expires_at}
    query["sig"] = sign(key or derived_key(PURPOSE), PURPOSE, values, expires_at)
    if token_version:
        query["v"] = token_version
    return f"/poll/{quote(poll_id, safe='')}?{urlencode(query)}"


def read_poll_link(poll_id: str, query: Mapping[str, str | None]) -> PollLink:
    """The claim of an answer link, from the route's path and query (``employee``, ``score``, ``exp``, ``sig``,
    ``v``); SignatureError when it is missing, malformed, forged or expired."""
    employee_id, score, token_version = query.get("employee"), query.get("score"), query.get("v")
    if not employee_id or score is None:
        raise SignatureError("missing", "This link is incomplete. Use the link from your email exactly as it is.")
    version = 0
    if token_version is not None:
        if not (token_version.isascii() and token_version.isdecimal() and len(token_version) < 10):
            raise SignatureError("malformed", _DAMAGED)
        version = int(token_version)
    expires_at = query.get("exp")
    verify(derived_key(PURPOSE), PURPOSE, _signed(employee_id, poll_id, score, version), expires_at, query.get("sig"))
    # Only Chorus signs, so the poll id and value are its own from here on.
    return PollLink(employee_id, parse_poll_id(poll_id), int(score), version, int(expires_at or 0))


def _signed(employee_id: str, poll_id: str, score: str, token_version: int) -> tuple[str, ...]:
    base = (employee_id, poll_id, score)
    return (*base, str(token_version)) if token_version else base
