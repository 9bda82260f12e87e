"""What the polls say: eNPS, satisfaction and response rates, from each poll's totals (never from answers).

- **eNPS** = % promoters (9-10) − % detractors (0-6) of everyone who answered, a whole number from −100 to
  100, rounded half away from zero from the exact fraction (not from rounded percentages): 3 promoters and
  2 detractors of 8 answers is 12.5, shown as 13; −12.5 as −13.
- **Satisfaction** = the mean answer (1-5) to two decimals, rounded half up, with the distribution.
- **Response rate** = employees who answered ÷ employees whose sent digest carried the poll, 0 to 1 to four
  decimals (None before any digest carried it).
- Fewer than MIN_RESPONSES answers: ``shown`` is False and there is no score or distribution (a handful of
  answers would point at people); the counts of answers and of employees asked are still given.

``poll_summary`` is one GetItem; ``poll_summaries`` for a date range one BatchGetItem per 100 polls (every
kind and cadence whose period overlaps it, so polls asked under an earlier cadence are found too).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from functions.polls.model import Poll, parse_poll_id, polls_overlapping
from functions.polls.store import PollStore

if TYPE_CHECKING:
    from functions.polls.store import PollTotals

MIN_RESPONSES = 5
PROMOTERS = range(9, 11)
DETRACTORS = range(0, 7)


@dataclass(frozen=True)
class PollSummary:
    poll_id: str  # "enps-2026Q4", "satisfaction-2026-11"
    kind: str  # "enps" or "satisfaction"
    start: date  # the poll's period, first day
    end: date  # and last day (inclusive)
    sent: int  # employees whose sent digest carried the poll
    responses: int  # employees who answered it
    response_rate: float | None  # responses / sent, 0-1 to four decimals; None when sent is 0
    shown: bool  # at least MIN_RESPONSES answered: only then are the figures below given
    enps: int | None = None  # eNPS polls: % promoters - % detractors, -100..100
    mean: float | None = None  # satisfaction polls: the mean answer, 1-5 to two decimals
    distribution: dict[int, int] = field(default_factory=dict)  # each value on the scale -> answers


def summarize(poll: Poll, totals: PollTotals | None) -> PollSummary:
    """The summary of one poll from its totals (None: never sent nor answered). Pure arithmetic."""
    sent = totals.sent if totals else 0
    responses = totals.responses if totals else 0
    rate = None if sent == 0 else float(_round(Decimal(responses) / Decimal(sent), "0.0001"))
    summary = PollSummary(poll.id, poll.kind, poll.start, poll.end, sent, responses, rate, responses >= MIN_RESPONSES)
    if not summary.shown or totals is None:
        return summary
    counts = {value: totals.counts.get(value, 0) for value in poll.scale}
    answered = sum(counts.values())  # equals ``responses``: the store moves both in one transaction
    if poll.kind == "enps":
        promoters = sum(counts[value] for value in PROMOTERS)
        detractors = sum(counts[value] for value in DETRACTORS)
        enps = int(_round(Decimal(100 * (promoters - detractors)) / Decimal(answered), "1"))
        return replace(summary, enps=enps, distribution=counts)
    mean = _round(Decimal(sum(value * count for value, count in counts.items())) / Decimal(answered), "0.01")
    return replace(summary, mean=float(mean), distribution=counts)


def poll_summary(poll_id: str, *, store: PollStore | None = None) -> PollSummary:
    """One poll's summary (one GetItem); UnknownPollError for an id Chorus never issues."""
    poll = parse_poll_id(poll_id)
    return summarize(poll, (store or PollStore()).totals([poll.id]).get(poll.id))


def poll_summaries(start: date, end: date, *, store: PollStore | None = None) -> list[PollSummary]:
    """The summaries of every poll asked (or answered) whose period overlaps ``start``..``end`` (inclusive),
    by period then kind."""
    polls = polls_overlapping(start, end)
    found = (store or PollStore()).totals(poll.id for poll in polls)
    return [summarize(poll, found[poll.id]) for poll in polls if poll.id in found]


def _round(value: Decimal, places: str) -> Decimal:
    """Half away from zero (Decimal's ROUND_HALF_UP), not Python's half-to-even: 12.5 is 13, −12.5 is −13."""
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)
