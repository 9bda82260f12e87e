"""The digest's own links: the preferences page and unsubscribing (RFC 8058 one-click, and mailto).

Unsubscribe links are signed for their own purpose and live a year: a link in an old email must still
work long after the employee token in it (90 days) has expired, and it can do only one harmless thing.
The preferences page uses the ordinary employee token (it changes more than one switch).
"""

from __future__ import annotations

from dataclasses import replace
from email.utils import parseaddr
from typing import TYPE_CHECKING
from urllib.parse import quote

from functions.config import settings
from functions.directory.tokens import employee_from_purpose_token, purpose_token

if TYPE_CHECKING:
    from functions.directory.model import Employee

UNSUBSCRIBE = "unsubscribe"
UNSUBSCRIBE_LIFETIME_DAYS = 365


def unsubscribe_token(employee_id: str, expires_at: int | None = None) -> str:
    return purpose_token(UNSUBSCRIBE, employee_id, UNSUBSCRIBE_LIFETIME_DAYS, expires_at)


def employee_from_unsubscribe_token(token: str | None) -> str:
    """The employee an unsubscribe token names; SignatureError when it is missing, forged or expired."""
    return employee_from_purpose_token(
        UNSUBSCRIBE, token, "This unsubscribe link is incomplete. Use the link from your email."
    )


def preferences_url(employee_id: str) -> str:
    from functions.directory.tokens import employee_token

    return f"{settings().api_base_url}/preferences?token={quote(employee_token(employee_id))}"


def unsubscribe_url(employee_id: str) -> str:
    """The one-click target of List-Unsubscribe: a POST there unsubscribes, a GET only asks."""
    return f"{settings().api_base_url}/unsubscribe?token={quote(unsubscribe_token(employee_id))}"


def unsubscribe_mailto(employee_id: str) -> str:
    """mailto:unsubscribe@<the sender's domain> with the signed token as the subject."""
    domain = parseaddr(settings().mail_from)[1].rpartition("@")[2] or "example.com"
    return f"mailto:unsubscribe@{domain}?subject={quote('unsubscribe ' + unsubscribe_token(employee_id))}"


def unsubscribe(employee_id: str) -> bool:
    """Turn the employee's digests off (history kept); False when no such employee. Idempotent."""
    from functions.directory.store import EmployeeStore

    store = EmployeeStore()
    employee = store.get(employee_id)
    if employee is None:
        return False
    if employee.digest_cadence != "off":
        store.put(replace(employee, digest_cadence="off", updated_at=_now()))  # put keeps digest_due in step
    return True


def update_preferences(employee_id: str, form: dict[str, str]) -> tuple[Employee | None, dict[str, str]]:
    """Apply the preferences form (cadence, weekday, language, topics); the employee, or the fields' errors.

    Nothing is written unless every field is valid.
    """
    from functions.directory.model import (
        EmployeeFieldError,
        normalise_cadence,
        normalise_locale,
        normalise_topics,
    )
    from functions.directory.store import EmployeeStore

    store = EmployeeStore()
    employee = store.get(employee_id)
    if employee is None or not employee.active:
        return None, {"token": "names nobody in the directory"}
    errors: dict[str, str] = {}
    changes: dict[str, object] = {}
    cadence = form.get("cadence", "")
    spelled = f"weekly:{form.get('weekday', '')}" if cadence == "weekly" else cadence
    for name, value, rule in (
        ("cadence", spelled, normalise_cadence),
        ("language", form.get("language", ""), normalise_locale),
        ("topics", form.get("topics", "").replace(",", ";"), normalise_topics),
    ):
        try:
            changes[name] = rule(value)
        except EmployeeFieldError as exc:
            errors["weekday" if name == "cadence" and cadence == "weekly" else name] = str(exc)
    if errors:
        return employee, errors
    updated = replace(
        employee, digest_cadence=changes["cadence"], locale=changes["language"], topics=changes["topics"]
    )
    if updated != employee:
        updated = replace(updated, updated_at=_now())
        store.put(updated)  # put keeps the digest_due index in step
    return updated, {}


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")
