"""What the KPIs learn beside clicks and shares: an employee opened the site with their token (``seen``), a
digest was sent to them (``digest``). Each is one event in the log, counted into the facts like the rest.

``note_seen`` writes at most one ``seen`` per employee and day from each Lambda instance (a set in memory;
a cold instance may write another that day, which the adoption figure, a count of distinct employees,
does not mind). Both are best effort: a failed write is logged and the request or digest goes on.
Neither carries an address or a visitor hash.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime

from functions.events import Event, EventStore, timestamp

_noted: set[tuple[str, str]] = set()  # (employee, day) this instance wrote a seen event for
_lock = threading.Lock()


def note_seen(employee_id: str, team: str, now: datetime | None = None, store: EventStore | None = None) -> bool:
    """Record that the employee used their token today, unless this instance did already; True if written."""
    moment = now or datetime.now(UTC)
    key = (employee_id, moment.date().isoformat())
    with _lock:
        if key in _noted:
            return False
        if len(_noted) > 100_000:  # a long-lived instance forgets earlier days
            _noted.clear()
        _noted.add(key)
    if not _write(Event("seen", timestamp(moment), employee_id, "", "", team, "", id=secrets.token_hex(8)), store):
        with _lock:
            _noted.discard(key)  # try again on the next request
        return False
    return True


def note_digest(employee_id: str, team: str, now: datetime | None = None, store: EventStore | None = None) -> bool:
    """Record that a digest was sent to the employee (the digest funnel's first step)."""
    moment = now or datetime.now(UTC)
    return _write(Event("digest", timestamp(moment), employee_id, "", "", team, "", id=secrets.token_hex(8)), store)


def _write(event: Event, store: EventStore | None) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        (store or EventStore()).put(event)
    except (BotoCoreError, ClientError) as exc:
        from functions import observability

        observability.logger().warning("activity_not_recorded", extra={"type": event.type, "error": repr(exc)})
        return False
    return True


def forget() -> None:
    """Forget what this instance noted (tests; a fresh instance)."""
    with _lock:
        _noted.clear()
