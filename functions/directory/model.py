"""Employees as the rest of Chorus sees them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Employee:
    id: str
    email: str
    name: str
    team: str
    locale: str = "en"
    timezone: str = "UTC"
    active: bool = True
    show_name: bool = True

    @property
    def variant_seed(self) -> int:
        """A stable per-employee number, used to pick which suggested-text variant they see."""
        return int.from_bytes(hashlib.sha256(self.id.encode()).digest()[:4], "big")


def employee_id_for(email: str) -> str:
    """A stable, non-reversible id from the (case-insensitive) email: the directory key."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def employee_from_record(record: dict[str, Any]) -> Employee:
    return Employee(
        id=record["id"],
        email=record["email"],
        name=record["name"],
        team=record.get("team", ""),
        locale=record.get("locale", "en"),
        timezone=record.get("timezone", "UTC"),
        active=bool(record.get("active", True)),
        show_name=bool(record.get("show_name", True)),
    )
