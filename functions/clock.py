"""Times as Chorus writes them: UTC, one spelling, ``2026-11-23T08:05:37Z`` (``…37.123Z`` in the event log).

Stamps of one precision sort as text in time order, which is what DynamoDB sort keys and conditions see.
Text order breaks across spellings and precisions: ``…T09:00:00+00:00`` sorts before ``…T09:00:00Z``
(the same instant) and ``…T09:00:00.500Z`` before ``…T09:00:00Z`` (half a second later). So a stored
time is always written by ``utc_stamp``, and a time whose spelling is not known is read with
``parse_utc`` before it is compared.

Before this module, some attributes were written ``+00:00``: admin tokens' ``created_at``/``revoked_at``,
links' ``created_at``, the digests table's ``sent_at``/``updated_at``, employees' ``updated_at``,
``deactivated_at`` and ``mail_suppressed.at``. No code compares, sorts or keys on any of them (they are
read back as they are, or checked for presence, or kept with ``if_not_exists``), so items written by an
older version keep their spelling and still read; new writes use ``Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

Precision = Literal["seconds", "milliseconds"]


def utc_stamp(moment: datetime | None = None, *, timespec: Precision = "seconds") -> str:
    """``moment`` (default: now) in UTC as ``YYYY-MM-DDTHH:MM:SSZ``, or ``…SS.mmmZ`` with milliseconds.

    Raises ValueError for a naive datetime: which zone it meant is a guess this function does not make.
    """
    if moment is None:
        moment = datetime.now(UTC)
    elif moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a naive datetime has no zone to convert from: {moment!r}")
    return moment.astimezone(UTC).isoformat(timespec=timespec).removesuffix("+00:00") + "Z"


def from_epoch(seconds: float) -> datetime:
    """The aware UTC datetime of a Unix time."""
    return datetime.fromtimestamp(seconds, UTC)


def parse_utc(text: str) -> datetime:
    """An aware UTC datetime from ISO 8601 text: ``Z``, ``+00:00`` or any other offset; no offset means UTC.

    Raises ValueError for text that is not ISO 8601.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
