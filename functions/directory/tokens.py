"""Employee tokens: signed, expiring "this is employee X" strings that travel in their digest links.

No login anywhere: a token is the employee's key to their own actions. Each kind is signed with a key
derived for its purpose alone, so one kind never opens what another does:

- ``employee`` (90 days): the site's personal view (the ``#t=`` fragment, which no server ever sees), and
  ``Authorization: Employee <token>`` on the employee routes (their standing, share links, suggestions,
  name switch).
- ``preferences`` (7 days): the digest's "Email preferences" page and its form. That link carries the token
  in its query string, which servers and proxies log, so it opens nothing else and expires soon; a weekly
  digest's link works until the next digest brings a new one.
- ``unsubscribe`` (functions.digest.preferences; a year, unversioned): leaving must work from any old email.

The employee and preferences tokens carry the employee's ``token_version``: ``<employee>.<expiry>.<sig>``
at version 0 (the format from before versions, so links already sent keep working) and
``<employee>.<version>.<expiry>.<sig>`` once an admin revoked the employee's tokens (which bumps it).
``current_employee`` accepts a token only while its version is the directory's and the employee is active:
one GetItem, which every employee route makes anyway.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from functions.secrets import derived_key
from functions.signing import SignatureError, sign, verify

if TYPE_CHECKING:
    from functions.directory.model import Employee
    from functions.directory.store import EmployeeStore

PURPOSE = "employee"
LIFETIME_DAYS = 90
PREFERENCES = "preferences"
PREFERENCES_LIFETIME_DAYS = 7
_MISSING = {
    PURPOSE: "an employee token is required (the link from your digest)",
    PREFERENCES: "This preferences link is incomplete. Use the link from your email.",
}


class EmployeeTokenError(SignatureError):
    """A genuine token that no longer opens anything: its employee left (``gone``) or it was revoked (``revoked``)."""


@dataclass(frozen=True)
class TokenClaim:
    employee_id: str
    version: int = 0


def employee_token(employee_id: str, version: int = 0, expires_at: int | None = None) -> str:
    return purpose_token(PURPOSE, employee_id, LIFETIME_DAYS, expires_at, version)


def preferences_token(employee_id: str, version: int = 0, expires_at: int | None = None) -> str:
    return purpose_token(PREFERENCES, employee_id, PREFERENCES_LIFETIME_DAYS, expires_at, version)


def purpose_token(
    purpose: str, employee_id: str, lifetime_days: int, expires_at: int | None = None, version: int = 0
) -> str:
    """``<employee>[.<version>].<expiry>.<signature>``, signed with a key derived for ``purpose`` alone."""
    expires = expires_at or int(time.time()) + lifetime_days * 86400
    values = (employee_id,) if version == 0 else (employee_id, str(version))
    return ".".join([*values, str(expires), sign(derived_key(purpose), purpose, values, expires)])


def read_token(purpose: str, token: str | None, missing: str) -> TokenClaim:
    """Whom a token names, at which version; SignatureError when it is missing, forged or expired."""
    parts = (token or "").strip().split(".")
    if len(parts) not in (3, 4) or not parts[0]:
        raise SignatureError("missing", missing)
    *values, expires, signature = parts
    verify(derived_key(purpose), purpose, values, expires, signature)
    return TokenClaim(values[0], int(values[1]) if len(values) == 2 else 0)  # only we sign: a version is digits


def employee_from_purpose_token(purpose: str, token: str | None, missing: str) -> str:
    return read_token(purpose, token, missing).employee_id


def current_employee(token: str | None, purpose: str = PURPOSE, store: EmployeeStore | None = None) -> Employee:
    """The active employee a genuine, unrevoked token names (one GetItem).

    Raises SignatureError (missing, malformed, forged, expired) or EmployeeTokenError (gone, revoked).
    """
    claim = read_token(purpose, token, _MISSING[purpose])
    return current_holder(claim, store)


def current_holder(claim: TokenClaim, store: EmployeeStore | None = None) -> Employee:
    """The active employee a genuine claim (a token's, a signed link's) names, at their current version (one
    GetItem); EmployeeTokenError ``gone`` or ``revoked`` otherwise."""
    if store is None:
        from functions.directory.store import EmployeeStore

        store = EmployeeStore()
    employee = store.get(claim.employee_id)
    if employee is None or not employee.active:
        raise EmployeeTokenError("gone", "this link belongs to someone who is no longer in the programme")
    if employee.token_version != claim.version:
        raise EmployeeTokenError("revoked", "this link was withdrawn; the next digest brings a new one")
    return employee
