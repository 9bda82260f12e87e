"""Asking in the digest and recording answers: which polls a digest carries, and the answer links' two steps.

**Which digest carries a poll.** The first digest sent to an employee in a poll's period carries it, and no
later one of that period, answered or not: a daily reader would otherwise meet the same question on up to
ninety mornings, and a question that nags gets the answers of the annoyed. Its links keep working for
ANSWER_DAYS, so someone who skipped it can still answer (or change an answer) from that email. The digest
composer asks ``polls_for_digest`` (one BatchGetItem: which polls this employee was already offered), and
once SES took the message, ``note_offered`` records the offer and adds one to the poll's ``sent`` count in
one transaction. That count is the response rate's denominator: no scan of who got what.

**Mail scanners open links.** So a GET of an answer link records nothing: it shows a small page in the
employee's language with the value they clicked preselected and one button, and only that form's POST
records the answer (the unsubscribe pattern). A scanner that follows every link of a digest sees eleven
pages and changes nothing. The page lets the employee pick another value before sending, which the link
allows anyway: every value's link sits in the same email.

**One answer per employee and poll.** A later answer replaces the earlier one (``answered_at`` keeps the
first time); the poll's totals move with it in the same transaction (functions.polls.store). Nothing else
is recorded: no address, no browser, no time beyond those two stamps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from functions.clock import from_epoch, utc_stamp
from functions.config import settings
from functions.polls.links import ANSWER_DAYS, PollLink, poll_path, read_poll_link
from functions.polls.model import KINDS, Poll, parse_poll_id, poll_for
from functions.polls.store import PollStore

if TYPE_CHECKING:
    from functions.directory.model import Employee
    from functions.directory.store import EmployeeStore


class PollScoreError(ValueError):
    """An answer that is not a whole number on the poll's scale."""


@dataclass(frozen=True)
class OfferedPoll:
    """A poll as a digest carries it: each value on its scale with its signed link, lowest first."""

    poll: Poll
    links: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Answer:
    poll: Poll
    score: int
    changeable_until: datetime  # the link's expiry: until then the same email's links change it


def due_polls(day: date) -> list[Poll]:
    """The polls switched on in settings, each the one of its period holding ``day``."""
    cadences = {"enps": settings().enps_poll, "satisfaction": settings().satisfaction_poll}
    return [poll_for(kind, cadences[kind], day) for kind in KINDS if cadences[kind] != "off"]


def polls_for_digest(
    employee: Employee, day: date, expires_at: int, *, store: PollStore | None = None
) -> tuple[OfferedPoll, ...]:
    """The polls the employee's digest of ``day`` (their local date) carries: those due that no digest of
    theirs carried yet. One BatchGetItem, none when every poll is off."""
    due = due_polls(day)
    if not due:
        return ()
    already = (store or PollStore()).offered(employee.id, [poll.id for poll in due])
    base = settings().api_base_url
    return tuple(
        OfferedPoll(
            poll,
            tuple(
                (score, base + poll_path(employee.id, poll.id, score, expires_at, token_version=employee.token_version))
                for score in poll.scale
            ),
        )
        for poll in due
        if poll.id not in already
    )


def note_offered(employee_id: str, poll_ids: Iterable[str], at: datetime, *, store: PollStore | None = None) -> int:
    """Record that a sent digest carried these polls to the employee; how many offers were new."""
    polls = store or PollStore()
    return sum(
        polls.note_offered(employee_id, poll.id, utc_stamp(at), _expiry(poll)) for poll in map(parse_poll_id, poll_ids)
    )


def open_link(
    poll_id: str, query: Mapping[str, str | None], *, employees: EmployeeStore | None = None
) -> tuple[Employee, PollLink]:
    """The active employee a genuine answer link names, and the link (functions.polls.links); one GetItem.

    Raises SignatureError (missing, malformed, forged, expired) or, for a genuine link,
    EmployeeTokenError: ``gone`` (they left the programme) or ``revoked`` (an admin withdrew their links).
    """
    from functions.directory.tokens import TokenClaim, current_holder

    link = read_poll_link(poll_id, query)
    return current_holder(TokenClaim(link.employee_id, link.token_version), employees), link


def current_score(link: PollLink, *, store: PollStore | None = None) -> int | None:
    """The answer the employee gave this poll so far, if any."""
    stored = (store or PollStore()).answer_of(link.employee_id, link.poll.id)
    return None if stored is None else stored.score


def record_answer(link: PollLink, chosen: str | None, now: datetime, *, store: PollStore | None = None) -> Answer:
    """Record the employee's answer: ``chosen`` (the form's value) or, when the form sent none, the link's.

    PollScoreError when ``chosen`` is not on the poll's scale (nothing is written). The link must come
    from ``open_link``: it is checked there, not here.
    """
    score = link.score if chosen is None else parse_score(link.poll, chosen)
    (store or PollStore()).record(link.employee_id, link.poll.id, score, utc_stamp(now), _expiry(link.poll))
    return Answer(link.poll, score, from_epoch(link.expires_at))


def parse_score(poll: Poll, text: str) -> int:
    """A value on ``poll``'s scale from a form field; PollScoreError for anything else."""
    value = text.strip()
    if not (value.isascii() and value.isdecimal() and len(value) <= 2 and int(value) in poll.scale):
        raise PollScoreError(f"pick a whole number from {poll.scale.start} to {poll.scale.stop - 1}")
    return int(value)


def _expiry(poll: Poll) -> int:
    """When an employee's item may go (TTL): after the last day any link of the poll can be used.

    A digest carrying the poll is sent within its period, and its links live ANSWER_DAYS, so a day's margin
    after that covers every zone. The poll's totals stay.
    """
    return int(datetime.combine(poll.end + timedelta(days=ANSWER_DAYS + 2), time.min, tzinfo=UTC).timestamp())
