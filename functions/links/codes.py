"""Short codes: random base62 strings from ``secrets``."""

from __future__ import annotations

import re
import secrets
import string

ALPHABET = string.digits + string.ascii_letters
CODE_LENGTH = 8  # 62**8 ≈ 2.2e14 codes; collisions are caught by a conditional put anyway.
_VALID = re.compile(r"[0-9A-Za-z]{8,16}")


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def is_valid_code(code: str) -> bool:
    return bool(_VALID.fullmatch(code))
