"""The digest's own links: the preferences page and unsubscribing (RFC 8058 one-click, and mailto).

Two kinds of signed link, each with a key derived for its purpose alone:

- Unsubscribe links (List-Unsubscribe, https and mailto) live a year: a link in an old email must still
  work long after the employee token in it (90 days) has expired, and it can do only one harmless thing
  (so an admin's revocation of the employee's tokens leaves them working: leaving must always be possible).
- The preferences page has its own token (functions.directory.tokens: 7 days, revocable, good for this
  page and its form only), because its link carries the token in the query string, which servers and
  proxies log; an expired or revoked one shows a gentle page that points to the latest digest (whose
  unsubscribe links still work).

The composer calls preferences_url, unsubscribe_url and unsubscribe_mailto; the routes call the rest.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

from functions.clock import utc_stamp
from functions.config import settings
from functions.directory.tokens import employee_from_purpose_token, purpose_token

if TYPE_CHECKING:
    from functions.content.store import ContentStore
    from functions.directory.model import Employee
    from functions.directory.store import EmployeeStore

T = TypeVar("T")
UNSUBSCRIBE = "unsubscribe"
UNSUBSCRIBE_LIFETIME_DAYS = 365
KNOWN_TOPICS = 24  # checkboxes offered on the page; anything else goes in "other topics"
TOPICS_READ = 50  # the newest published items whose topics are offered (one Query)
TOPICS_CACHE_SECONDS = 600

_known_topics: tuple[float, tuple[str, ...]] | None = None  # (read at, topics): per warm container


class PreferencesError(ValueError):
    """Some preferences break their rules; ``fields`` names each (cadence, language, topics) and why."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in fields.items()))
        self.fields = fields


def unsubscribe_token(employee_id: str, expires_at: int | None = None) -> str:
    return purpose_token(UNSUBSCRIBE, employee_id, UNSUBSCRIBE_LIFETIME_DAYS, expires_at)


def employee_from_unsubscribe_token(token: str | None) -> str:
    """The employee an unsubscribe token names; SignatureError when it is missing, forged or expired."""
    return employee_from_purpose_token(
        UNSUBSCRIBE, token, "This unsubscribe link is incomplete. Use the link from your email."
    )


def preferences_url(employee_id: str, token_version: int = 0) -> str:
    """``<api>/preferences?token=<preferences token>``: the visible "Email preferences" link of a digest.

    Its own 7-day token (functions.directory.tokens): a query string gets logged, so it opens this page only.
    """
    from functions.directory.tokens import preferences_token

    return f"{settings().api_base_url}/preferences?token={quote(preferences_token(employee_id, token_version))}"


def unsubscribe_url(employee_id: str) -> str:
    """The one-click target of List-Unsubscribe: a POST there unsubscribes, a GET only asks."""
    return f"{settings().api_base_url}/unsubscribe?token={quote(unsubscribe_token(employee_id))}"


def unsubscribe_mailto(employee_id: str) -> str:
    """mailto:<the unsubscribe address> with the signed token as the subject (functions.digest.inbound reads it)."""
    address = settings().unsubscribe_address
    return f"mailto:{address}?subject={quote('unsubscribe ' + unsubscribe_token(employee_id))}"


def unsubscribe(employee_id: str, now: datetime | None = None, store: EmployeeStore | None = None) -> Employee | None:
    """Turn the employee's digests off (history kept): the employee as now, None when there is no such one.

    Recorded as the employee's own choice, so no directory import turns it back on — also when the
    digests were already off because of an import. Idempotent: that choice is not written again.
    """
    from functions.directory.model import EmployeeNotFoundError

    store = store or _employees()
    employee = store.get(employee_id)
    if employee is None or (employee.digest_cadence == "off" and "digest_cadence" in employee.chosen):
        return employee
    try:
        return store.record_own_choices(employee_id, {"digest_cadence": "off"}, utc_stamp(now))
    except EmployeeNotFoundError:
        return None


def update_preferences(
    employee: Employee,
    cadence: str,
    topics: Iterable[str],
    language: str,
    now: datetime | None = None,
    store: EmployeeStore | None = None,
) -> Employee:
    """Save the employee's own choices: cadence (``daily``, ``weekly:<day>``, ``off``), topics, language.

    ``employee`` as just read (the page's token check reads it). Raises PreferencesError naming every bad
    field (nothing is written then), EmployeeNotFoundError if the employee is gone from the directory.
    """
    from functions.directory.model import EmployeeFieldError, normalise_cadence, normalise_locale, normalise_topics

    errors: dict[str, str] = {}

    def checked(name: str, rule: Callable[[str], T], value: str) -> T | None:
        try:
            return rule(value)
        except EmployeeFieldError as exc:
            errors[name] = str(exc)
            return None

    new_cadence = checked("cadence", normalise_cadence, cadence)
    new_locale = checked("language", normalise_locale, language)
    new_topics = checked("topics", normalise_topics, ";".join(topics))
    if new_cadence is None or new_locale is None or new_topics is None:
        raise PreferencesError(errors)
    # What they changed becomes their own choice (an import keeps it); what they left as it was stays the
    # directory's to set. "Off" is always theirs once they save it: an opt-out must never be lifted.
    sent = {"digest_cadence": new_cadence, "locale": new_locale, "topics": new_topics}
    choices = {name: value for name, value in sent.items() if value != getattr(employee, name)}
    if new_cadence == "off" and "digest_cadence" not in employee.chosen:
        choices["digest_cadence"] = new_cadence
    if not choices:
        return employee  # saving an unchanged form writes nothing
    return (store or _employees()).record_own_choices(employee.id, choices, utc_stamp(now))


def known_topics(now: datetime | None = None, store: ContentStore | None = None) -> tuple[str, ...]:
    """Topics to offer as checkboxes: those of the newest published items, most used first.

    One Query on the feed index (never a Scan), kept for ten minutes per warm Lambda: the page is opened
    rarely (and prefetched by mail scanners), and a topic that is new this minute can still be typed in.
    """
    global _known_topics
    moment = time.monotonic()
    if store is None and _known_topics is not None and moment - _known_topics[0] < TOPICS_CACHE_SECONDS:
        return _known_topics[1]
    from botocore.exceptions import BotoCoreError, ClientError

    from functions.content.feed import feed

    try:
        items = feed(limit=TOPICS_READ, now=now, store=store).items
    except (BotoCoreError, ClientError):
        return ()  # the page still works: topics can be typed in, and the next view tries again
    counts = Counter(topic for item in items for topic in item.topics)
    topics = tuple(sorted(counts, key=lambda topic: (-counts[topic], topic))[:KNOWN_TOPICS])
    if store is None:
        _known_topics = (moment, topics)
    return topics


def forget_known_topics() -> None:
    """Drop the cached topics (tests; a warm Lambda keeps them ten minutes)."""
    global _known_topics
    _known_topics = None


def _employees() -> EmployeeStore:
    from functions.directory.store import EmployeeStore

    return EmployeeStore()
