"""Employees as the rest of Chorus sees them, and the rules every employee field follows.

The field rules (``normalise_*``) are pure and shared by every way an employee enters the directory
(today the CSV import); each returns the clean value or raises EmployeeFieldError with a message a
person can act on.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from functions.config import LANGUAGES

LOCALES = LANGUAGES
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_CADENCE = "weekly:monday"
MAX_NAME = 200
MAX_TEAM = 100
MAX_TOPIC = 40
MAX_TOPICS = 20
# The settings an employee can choose themselves (the preferences page, unsubscribing, hiding their name).
# Once they have, the choice is theirs: a directory import never overrides it (service.merge_row).
OWN_CHOICES = ("digest_cadence", "locale", "topics", "show_name")

# A deliberately plain address check: ASCII local part of RFC 5322 "atext" dot-atoms, a domain of
# LDH labels with a letter TLD (or an IDNA xn-- one). Quoted local parts and IP-literal domains are
# legal but never seen in a company directory, so they are refused rather than half-supported.
_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_DAYS = {**{day: day for day in WEEKDAYS}, **{day[:3]: day for day in WEEKDAYS}}
# Names that zoneinfo can load but that mean nothing portable.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules", "posix/Factory", "right/Factory"})


class EmployeeFieldError(ValueError):
    """One field's value breaks its rule; the message says what is expected."""


class EmployeeNotFoundError(LookupError):
    """No employee has this id."""


@dataclass(frozen=True)
class MailSuppression:
    """Why mail to this address stopped: a permanent bounce or a complaint (``reason``), and when (``at``)."""

    reason: str
    at: str


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
    digest_cadence: str = DEFAULT_CADENCE
    topics: tuple[str, ...] = ()
    keep_on_leaderboard: bool = False
    deactivated_at: str | None = None
    updated_at: str = ""
    mail_suppressed: MailSuppression | None = None
    chosen: frozenset[str] = frozenset()  # which OWN_CHOICES the employee set themselves
    token_version: int = 0  # their links and tokens carry it; an admin's revocation bumps it
    revision: int = 0  # bumped by every write; a whole-item write checks it (optimistic locking)

    @property
    def variant_seed(self) -> int:
        """A stable per-employee number, used to pick which suggested-text variant they see."""
        return int.from_bytes(hashlib.sha256(self.id.encode()).digest()[:4], "big")

    @property
    def on_leaderboard(self) -> bool:
        """Deactivated employees leave the leaderboards unless an admin chose to keep them there."""
        return self.active or self.keep_on_leaderboard


def employee_id_for(email: str) -> str:
    """A stable, non-reversible id from the (case-insensitive) email: the directory key."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def employee_from_record(record: dict[str, Any]) -> Employee:
    """An Employee from a stored record; records written before a field existed get its default."""
    return Employee(
        id=record["id"],
        email=record["email"],
        name=record["name"],
        team=record.get("team", ""),
        locale=record.get("locale", "en"),
        timezone=record.get("timezone", "UTC"),
        active=bool(record.get("active", True)),
        show_name=bool(record.get("show_name", True)),
        digest_cadence=record.get("digest_cadence") or DEFAULT_CADENCE,
        topics=tuple(record.get("topics") or ()),
        keep_on_leaderboard=bool(record.get("keep_on_leaderboard", False)),
        deactivated_at=record.get("deactivated_at"),
        updated_at=record.get("updated_at", ""),
        mail_suppressed=_suppression(record.get("mail_suppressed")),
        chosen=frozenset(record.get("chosen") or ()),
        token_version=int(record.get("token_version", 0)),
        revision=int(record.get("revision", 0)),
    )


def _suppression(value: Any) -> MailSuppression | None:
    if not isinstance(value, dict):
        return None
    return MailSuppression(reason=str(value.get("reason", "")), at=str(value.get("at", "")))


def employee_record(employee: Employee) -> dict[str, Any]:
    """The stored shape of an employee (None values are left out by the item codec)."""
    return {
        "id": employee.id,
        "email": employee.email,
        "name": employee.name,
        "team": employee.team,
        "locale": employee.locale,
        "timezone": employee.timezone,
        "active": employee.active,
        "show_name": employee.show_name,
        "digest_cadence": employee.digest_cadence,
        "topics": list(employee.topics),
        "keep_on_leaderboard": employee.keep_on_leaderboard,
        "deactivated_at": employee.deactivated_at,
        "updated_at": employee.updated_at,
        # Kept on whole-item writes (a CSV re-import) so an import never lifts a suppression.
        "mail_suppressed": (
            {"reason": employee.mail_suppressed.reason, "at": employee.mail_suppressed.at}
            if employee.mail_suppressed
            else None
        ),
        "chosen": set(employee.chosen) or None,  # a string set; DynamoDB stores no empty set
        "token_version": employee.token_version,
        "revision": employee.revision,
    }


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    if not email:
        raise EmployeeFieldError("is required")
    if len(email) > 254:
        raise EmployeeFieldError("must be at most 254 characters")
    local, at, domain = email.rpartition("@")
    if not at or not _LOCAL.fullmatch(local) or len(local) > 64 or not _is_domain(domain):
        raise EmployeeFieldError("is not a valid email address (expected name@company.com)")
    return email


def _is_domain(domain: str) -> bool:
    labels = domain.split(".")
    return len(labels) >= 2 and all(_LABEL.fullmatch(label) for label in labels) and bool(_TLD.fullmatch(labels[-1]))


def normalise_name(value: str) -> str:
    return _text(value, MAX_NAME)


def normalise_team(value: str) -> str:
    return _text(value, MAX_TEAM)


def _text(value: str, limit: int) -> str:
    # NFC so that "Rūta" typed on a Mac and on Windows is one name (and one team) to compare and group.
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if not text:
        raise EmployeeFieldError("is required")
    if len(text) > limit:
        raise EmployeeFieldError(f"must be at most {limit} characters")
    if any(unicodedata.category(char).startswith("C") for char in text):
        raise EmployeeFieldError("must not contain control or invisible format characters")
    return text


def normalise_locale(value: str) -> str:
    """One of LOCALES; a regional tag such as ``pl-PL`` or ``pl_PL`` counts as its language."""
    locale = value.strip().lower().replace("_", "-").split("-")[0]
    if locale not in LOCALES:
        raise EmployeeFieldError(f"must be one of {', '.join(LOCALES)}")
    return locale


def normalise_timezone(value: str) -> str:
    """The canonical spelling of an IANA zone name, matched case-insensitively (``europe/warsaw`` works)."""
    zone = _zones().get(value.strip().lower())
    if zone is None:
        raise EmployeeFieldError("must be an IANA time zone such as Europe/Warsaw or UTC")
    return zone


@cache
def _zones() -> dict[str, str]:
    # From the zone list rather than ZoneInfo(name): on a case-insensitive file system ZoneInfo would
    # accept "europe/warsaw" and we would store a spelling other systems reject.
    import zoneinfo

    return {name.lower(): name for name in zoneinfo.available_timezones() - _NOT_ZONES}


def normalise_cadence(value: str) -> str:
    """``daily``, ``off`` or ``weekly:<day>``; bare ``weekly`` means Monday and three-letter days are accepted."""
    cadence = "".join(value.lower().split())
    if cadence in ("daily", "off"):
        return cadence
    kind, _, day = cadence.partition(":")
    weekday = _DAYS.get(day or "monday")
    if kind != "weekly" or weekday is None:
        raise EmployeeFieldError("must be daily, off, weekly or weekly:<day> (e.g. weekly:friday)")
    return f"weekly:{weekday}"


def normalise_topics(value: str) -> tuple[str, ...]:
    """Topics separated by ``;`` or ``|``: trimmed, lower-cased, duplicates dropped, order kept."""
    topics: dict[str, None] = {}
    for part in re.split(r"[;|]", value):
        topic = " ".join(unicodedata.normalize("NFC", part).lower().split())
        if not topic:
            continue
        if "," in topic:
            raise EmployeeFieldError(f"separate topics with ; or | (found a comma in {topic!r})")
        if len(topic) > MAX_TOPIC:
            raise EmployeeFieldError(f"each topic must be at most {MAX_TOPIC} characters ({topic[:MAX_TOPIC]!r}…)")
        if any(unicodedata.category(char).startswith("C") for char in topic):
            raise EmployeeFieldError("must not contain control or invisible format characters")
        topics[topic] = None
    if len(topics) > MAX_TOPICS:
        raise EmployeeFieldError(f"must be at most {MAX_TOPICS} topics, found {len(topics)}")
    return tuple(topics)


def parse_flag(value: str) -> bool:
    flag = value.strip().lower()
    if flag in ("yes", "true", "1"):
        return True
    if flag in ("no", "false", "0"):
        return False
    raise EmployeeFieldError("must be yes or no (or true/false, 1/0)")
