"""Compose one employee's digest: who they are, what to send them, and the message itself.

The queue worker makes one Composer per invocation, so what every employee of a batch shares is read once:
the published candidates (through one CandidatePool) and this week's top of the leaderboard (for ranks).
Per employee: one GetItem for them, one Query each for what they shared and what earlier digests held,
one GetItem for their figures, one BatchGetItem for the polls they were already offered (none when every
poll is off), and after the send one transaction per poll the digest carried (functions.polls.answers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from functions.config import NETWORKS, settings
from functions.i18n import supported_locale

if TYPE_CHECKING:
    from functions.content.model import ContentItem
    from functions.digest.deliver import Composed
    from functions.digest.render import Digest, DigestPoll, WeekFigures
    from functions.digest.select import CandidatePool
    from functions.directory.model import Employee

RANKED = 100  # ranks are shown within this week's top 100; below it, the figures without a rank
REPEAT_WINDOW_DAYS = 90  # an item a digest held is not sent again for this long
TEXT_NETWORK = "linkedin"  # the suggested text printed under each item: the network most people use


@dataclass
class Composer:
    """``compose(employee_id, period)`` for deliver.send_batch; None or SkipDigest when there is nothing to send."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    limit: int = field(default_factory=lambda: settings().digest_items)
    company_share: float = field(default_factory=lambda: settings().digest_company_share)
    _pool: CandidatePool | None = None
    _ranks: dict[str, int] | None = None

    def __call__(self, employee_id: str, period: str) -> Composed | None:
        from functions.digest.deliver import Composed, SkipDigest
        from functions.digest.render import build_message, render_digest
        from functions.digest.suppression import is_suppressed
        from functions.directory.store import EmployeeStore

        employee = EmployeeStore().get(employee_id)
        if employee is None or not employee.active:
            raise SkipDigest("not an active employee")
        if employee.digest_cadence == "off":
            raise SkipDigest("digests are off")
        if is_suppressed(employee):
            raise SkipDigest("address suppressed after a bounce or complaint")
        items = self.items_for(employee)
        if not items:
            raise SkipDigest("no items to send")
        digest = self.digest(employee, period, items)
        raw = build_message(digest, render_digest(digest), settings().mail_from)
        return Composed(
            raw=raw,
            destination=employee.email,
            content_ids=tuple(item.id for item in items),
            team=employee.team,
            after_send=self.note_polls(employee.id, digest) if digest.polls else None,
        )

    def items_for(self, employee: Employee) -> list[ContentItem]:
        from functions.digest.records import received_content_ids
        from functions.digest.select import CandidatePool, select_items, shared_content_ids

        if self._pool is None:
            self._pool = CandidatePool(self.now)
        since = self.now.date() - timedelta(days=REPEAT_WINDOW_DAYS)
        return select_items(
            employee,
            self.now,
            received=received_content_ids(employee.id, since),
            shared=shared_content_ids(employee.id),
            limit=self.limit,
            company_share=self.company_share,
            pool=self._pool,
        )

    def digest(self, employee: Employee, period: str, items: list[ContentItem]) -> Digest:
        from functions.digest.preferences import preferences_url, unsubscribe_mailto, unsubscribe_url
        from functions.digest.render import Digest, DigestItem
        from functions.directory.tokens import employee_token
        from functions.shares.service import share_url

        seed = employee.variant_seed
        site_token = employee_token(employee.id, employee.token_version)
        return Digest(
            employee_id=employee.id,
            name=employee.name,
            email=employee.email,
            locale=employee.locale,
            time_zone=employee.timezone,
            items=tuple(
                DigestItem(
                    content_id=item.id,
                    title=item.title,
                    summary=item.summary,
                    image_url=item.image_url,
                    url=item.url,
                    share_text=item.suggested_text(TEXT_NETWORK, seed),
                    share_links={
                        network: share_url(
                            employee.id, item.id, network, token_version=employee.token_version, via="digest"
                        )
                        for network in NETWORKS
                    },
                    important=item.important,
                    kind=item.kind,
                )
                for item in items
            ),
            # The site in their language; the token travels in a fragment, so no server ever logs it.
            site_url=f"{settings().site_base_url}/{supported_locale(employee.locale)}/#t={site_token}",
            preferences_url=preferences_url(employee.id, employee.token_version),
            unsubscribe_url=unsubscribe_url(employee.id),
            unsubscribe_mailto=unsubscribe_mailto(employee.id) if settings().inbound_unsubscribe else None,
            week=self.week(employee.id),
            period=period,
            created_at=self.now,
            polls=self.polls(employee),
        )

    def polls(self, employee: Employee) -> tuple[DigestPoll, ...]:
        """The polls this digest carries: those due on the employee's local date that no digest of theirs
        carried yet (functions.polls.answers has the rule and why)."""
        from functions.digest.render import DigestPoll
        from functions.i18n import local_date
        from functions.polls.answers import polls_for_digest
        from functions.polls.links import ANSWER_DAYS

        expires_at = int(self.now.timestamp()) + ANSWER_DAYS * 86400
        offered = polls_for_digest(employee, local_date(self.now, employee.timezone), expires_at)
        return tuple(DigestPoll(offer.poll.id, offer.poll.kind, offer.links) for offer in offered)

    def note_polls(self, employee_id: str, digest: Digest) -> Callable[[], int]:
        """What deliver calls once SES took the digest: its polls count as offered to the employee."""
        from functions.polls.answers import note_offered

        return partial(note_offered, employee_id, [poll.poll_id for poll in digest.polls], self.now)

    def week(self, employee_id: str) -> WeekFigures:
        """This week's shares and human clicks (UTC ISO week, as the leaderboard counts) and rank in the top."""
        from functions.digest.render import WeekFigures
        from functions.stats.aggregates import AggregateStore
        from functions.stats.leaderboard import progress_of
        from functions.stats.periods import current_key

        totals = AggregateStore().employee(employee_id)
        week = totals.figures.get(current_key("week", self.now), {}) if totals else {}
        progress = progress_of(totals, self.now)
        return WeekFigures(
            shares=week.get("shares", 0),
            human_clicks=week.get("human_clicks", 0),
            rank=self.ranks().get(employee_id),
            streak=progress.streak,
            badges=tuple(progress.badges),
        )

    def ranks(self) -> dict[str, int]:
        if self._ranks is None:
            from functions.stats.leaderboard import leaderboard

            self._ranks = {s.employee_id: s.rank for s in leaderboard("week", limit=RANKED, now=self.now)}
        return self._ranks


def describe(result: Any) -> dict[str, int]:
    """A batch result's outcomes counted, for logs and the CLI."""
    counts: dict[str, int] = {}
    for delivery in getattr(result, "deliveries", ()):
        outcome = str(delivery.outcome)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
