"""The two polls a digest may carry, their scales, and the period each poll id names. No I/O.

- ``enps``: "How likely are you to recommend working here?" 0-10 (employee Net Promoter Score).
- ``satisfaction``: "How useful is this programme to you?" 1-5.

Each is asked once per period of its cadence (functions.config: ``ENPS_POLL`` quarterly,
``SATISFACTION_POLL`` monthly by default, or ``off``), and each period is its own poll: ``enps-2026Q4``,
``satisfaction-2026-11`` (``enps-2026-11`` when eNPS is asked monthly, ``satisfaction-2026Q4`` quarterly).
A poll id therefore says what was asked and when, and results for a date range are the polls whose
period overlaps it, whichever cadence was configured when they were asked.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

KINDS = ("enps", "satisfaction")
CADENCES = ("monthly", "quarterly")
SCALES = {"enps": (0, 10), "satisfaction": (1, 5)}  # lowest and highest answer, inclusive
_POLL_ID = re.compile(r"(?P<kind>enps|satisfaction)-(?P<year>\d{4})(?:Q(?P<quarter>[1-4])|-(?P<month>0[1-9]|1[0-2]))")


def N_(message: str) -> str:  # gettext's conventional name: pybabel extract looks for it
    """Marks a string for the catalogs; it is translated where it is shown (in the reader's language)."""
    return message


QUESTIONS = {
    "enps": N_("How likely are you to recommend working here?"),
    "satisfaction": N_("How useful is this programme to you?"),
}
# What the two ends of each scale mean, shown under the numbers.
LOWEST = {"enps": N_("Not at all likely"), "satisfaction": N_("Not useful at all")}
HIGHEST = {"enps": N_("Extremely likely"), "satisfaction": N_("Very useful")}


@dataclass(frozen=True)
class Wording:
    """A poll's question and what the two ends of its scale mean, in one language."""

    question: str
    lowest: str
    highest: str


def wording(kind: str, locale: str) -> Wording:
    """The question and the scale's ends of a ``kind`` of poll, translated into ``locale``."""
    from functions.i18n import translations

    catalog = translations(locale)
    return Wording(*(catalog.gettext(texts[kind]) for texts in (QUESTIONS, LOWEST, HIGHEST)))


class UnknownPollError(ValueError):
    """Not a poll id Chorus issues (``enps-2026Q4``, ``satisfaction-2026-11``)."""


@dataclass(frozen=True)
class Poll:
    id: str
    kind: str  # "enps" or "satisfaction"
    start: date  # the period's first day
    end: date  # the period's last day (inclusive)

    @property
    def scale(self) -> range:
        """Every answer the poll takes, lowest first."""
        low, high = SCALES[self.kind]
        return range(low, high + 1)

    @property
    def question(self) -> str:
        """The question in English (the source string of the catalogs)."""
        return QUESTIONS[self.kind]


def poll_for(kind: str, cadence: str, day: date) -> Poll:
    """The poll of ``kind`` asked in the period of ``cadence`` that holds ``day``."""
    if kind not in KINDS or cadence not in CADENCES:
        raise ValueError(f"no {cadence!r} poll of kind {kind!r}")
    if cadence == "monthly":
        return parse_poll_id(f"{kind}-{day.year:04d}-{day.month:02d}")
    return parse_poll_id(f"{kind}-{day.year:04d}Q{(day.month - 1) // 3 + 1}")


def parse_poll_id(poll_id: str) -> Poll:
    """The poll an id names; UnknownPollError for anything else."""
    match = _POLL_ID.fullmatch(poll_id or "")
    if match is None:
        raise UnknownPollError(f"not a poll id: {poll_id[:80]!r}")
    year = int(match["year"])
    if match["quarter"]:
        first_month = (int(match["quarter"]) - 1) * 3 + 1
        last_month = first_month + 2
    else:
        first_month = last_month = int(match["month"])
    last_day = calendar.monthrange(year, last_month)[1]
    return Poll(poll_id, match["kind"], date(year, first_month, 1), date(year, last_month, last_day))


def polls_overlapping(start: date, end: date) -> list[Poll]:
    """Every poll (each kind, each cadence) whose period shares a day with ``start``..``end`` (inclusive)."""
    if end < start:
        return []
    polls: dict[str, Poll] = {}
    for cadence in CADENCES:
        day = start
        while day <= end:
            for kind in KINDS:
                poll = poll_for(kind, cadence, day)
                polls[poll.id] = poll
            day = _next_period_start(poll_for(KINDS[0], cadence, day).end)
    return sorted(polls.values(), key=lambda poll: (poll.start, poll.end, poll.kind))


def _next_period_start(last_day: date) -> date:
    return date(last_day.year + 1, 1, 1) if last_day.month == 12 else date(last_day.year, last_day.month + 1, 1)
