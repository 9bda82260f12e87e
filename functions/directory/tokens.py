"""Employee tokens: a signed, expiring "this is employee X" that travels in their digest links.

No login anywhere: the token is the employee's key to their own actions (suggesting content, hiding
their name). It names the employee and an expiry, signed with a key derived for this purpose only.
"""

from __future__ import annotations

import time

from functions.secrets import derived_key
from functions.signing import SignatureError, sign, verify

PURPOSE = "employee"
LIFETIME_DAYS = 90


def employee_token(employee_id: str, expires_at: int | None = None) -> str:
    return purpose_token(PURPOSE, employee_id, LIFETIME_DAYS, expires_at)


def employee_from_token(token: str | None) -> str:
    """The employee id a token names; SignatureError when it is missing, forged or expired."""
    return employee_from_purpose_token(PURPOSE, token, "an employee token is required (the link from your digest)")


def purpose_token(purpose: str, employee_id: str, lifetime_days: int, expires_at: int | None = None) -> str:
    """``<employee>.<expiry>.<signature>``, signed with a key derived for ``purpose`` alone."""
    expires = expires_at or int(time.time()) + lifetime_days * 86400
    return f"{employee_id}.{expires}.{sign(derived_key(purpose), purpose, (employee_id,), expires)}"


def employee_from_purpose_token(purpose: str, token: str | None, missing: str) -> str:
    parts = (token or "").strip().split(".")
    if len(parts) != 3 or not parts[0]:
        raise SignatureError("missing", missing)
    employee_id, expires, signature = parts
    verify(derived_key(purpose), purpose, (employee_id,), expires, signature)
    return employee_id
