"""What one employee's digest holds: a handful of live items they have neither shared nor received.

The rules (``choose_items``, pure):

* Only published items inside their publish window at ``now``; never one the employee already shared or
  received; at most ``limit`` items (default 8) and never more than 10. No items: an empty list, and the
  caller sends no email.
* Language: the employee's own, then English as the fallback (most company news exists in English
  first). Other languages never: a Lithuanian reader gets no Polish post to share.
* Order: important (call-to-action) items first, then the employee's language before English, then
  items on one of their topics before the rest, then the newest.
* Mix (the "Dell rule"): ``company_share`` of the slots (default 20%: 2 of 8, rounded half up) go to
  company content and the rest to third-party content; when one kind runs out the other fills in.
  Important items are always taken first and count towards their kind's share, so an admin's call to
  action is never dropped for the ratio.

Gathering (``CandidatePool``): the content index's published items per language, important first then
newest, read a page (one Query) at a time and only as deep as a digest needs. One pool serves every
employee of a queue message, so a batch of 50 usually costs one or two Queries of content in all.

What someone shared is read from the share events (``shared_content_ids``): one Query of their
``S#<employee>`` partition (functions.events). The links table's owner items say the same thing, but
they are keyed by the whole ``O#<employee>#<content>#<network>`` and cannot be Queried by employee; the
events expire after EVENT_TTL_DAYS (400 by default), after which an old share no longer counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.content.model import ContentItem

if TYPE_CHECKING:
    from functions.content.store import ContentStore
    from functions.directory.model import Employee

DEFAULT_LIMIT = 8
MAX_ITEMS = 10
DEFAULT_COMPANY_SHARE = 0.2
FALLBACK_LANGUAGE = "en"
COMPANY, THIRD_PARTY = "company", "third_party"
PAGE_SIZE = 100  # items per content Query
MAX_CANDIDATES = 1000  # per language: how deep a digest may look into the library


def languages_for(employee: Employee) -> tuple[str, ...]:
    """The content languages an employee's digest may hold, preferred first."""
    return tuple(dict.fromkeys((employee.locale, FALLBACK_LANGUAGE)))


def quotas(limit: int, company_share: float) -> dict[str, int]:
    """Slots per kind: ``{"company": 2, "third_party": 6}`` for 8 items at 20%."""
    company = min(limit, int(limit * company_share + 0.5))
    return {COMPANY: company, THIRD_PARTY: limit - company}


def choose_items(
    candidates: Iterable[ContentItem],
    employee: Employee,
    now: datetime,
    received: set[str],
    shared: set[str],
    limit: int = DEFAULT_LIMIT,
    company_share: float = DEFAULT_COMPANY_SHARE,
) -> list[ContentItem]:
    """The digest's items from ``candidates``, following the module's rules, in the order they are shown."""
    if not 0.0 <= company_share <= 1.0:
        raise ValueError(f"company_share must be between 0 and 1, got {company_share}")
    limit = max(0, min(limit, MAX_ITEMS))
    ranked = _eligible(candidates, employee, now, received | shared)
    chosen = [item for item in ranked if item.important][:limit]
    wanted = quotas(limit, company_share)
    for item in chosen:
        if item.kind in wanted:
            wanted[item.kind] -= 1
    rest = [item for item in ranked if not item.important]
    taken: set[str] = set()
    for item in rest:  # each kind up to its share of the slots
        if len(chosen) == limit:
            break
        if wanted.get(item.kind, 0) > 0:
            wanted[item.kind] -= 1
            chosen.append(item)
            taken.add(item.id)
    for item in rest:  # then whatever is left, when one kind ran out
        if len(chosen) == limit:
            break
        if item.id not in taken:
            chosen.append(item)
    position = {item.id: n for n, item in enumerate(ranked)}
    return sorted(chosen, key=lambda item: position[item.id])


def _eligible(
    candidates: Iterable[ContentItem], employee: Employee, now: datetime, seen: set[str]
) -> list[ContentItem]:
    languages = languages_for(employee)
    topics = set(employee.topics)
    unique: dict[str, ContentItem] = {}
    for item in candidates:
        if item.id in seen or item.id in unique or item.language not in languages:
            continue
        if item.status_at(now) == "published":
            unique[item.id] = item
    newest_first = sorted(unique.values(), key=lambda item: (item.publish_start, item.id), reverse=True)
    return sorted(
        newest_first,
        key=lambda item: (
            not item.important,
            languages.index(item.language),
            not topics.intersection(item.topics),
        ),
    )


def is_complete(chosen: Sequence[ContentItem], limit: int, company_share: float) -> bool:
    """True when more candidates could not improve the choice: every slot is filled and no kind had to stand
    in for the other (a kind squeezed out by the other's important items is not short)."""
    limit = max(0, min(limit, MAX_ITEMS))
    if len(chosen) < limit:
        return False
    wanted = quotas(limit, company_share)
    for kind, other in ((COMPANY, THIRD_PARTY), (THIRD_PARTY, COMPANY)):
        if sum(item.kind == kind for item in chosen) >= wanted[kind]:
            continue
        important_other = sum(item.kind == other and item.important for item in chosen)
        regular_other = sum(item.kind == other and not item.important for item in chosen)
        if regular_other > max(0, wanted[other] - important_other):
            return False
    return True


class CandidatePool:
    """Published, in-window items per language, read lazily from the content feed index and kept for reuse."""

    def __init__(
        self, now: datetime, store: ContentStore | None = None, page_size: int = PAGE_SIZE, depth: int = MAX_CANDIDATES
    ) -> None:
        from functions.content.model import iso_utc

        self.now = now
        self.now_iso = iso_utc(now)
        self._store = store
        self.page_size = page_size
        self.depth = depth
        self.items: dict[str, list[ContentItem]] = {}
        self._next: dict[str, dict[str, Any] | None] = {}
        self.queries = 0
        self.read_capacity = 0.0

    @property
    def store(self) -> ContentStore:
        if self._store is None:
            from functions.content.store import ContentStore

            self._store = ContentStore()
        return self._store

    def candidates(self, languages: Iterable[str]) -> list[ContentItem]:
        """What is loaded so far for these languages (at least one page of each is read first)."""
        found: list[ContentItem] = []
        for language in languages:
            if language not in self.items:
                self.load_more(language)
            found.extend(self.items[language])
        return found

    def load_more(self, language: str) -> bool:
        """Read the next page of a language; False when it has no more (or the pool is as deep as allowed)."""
        if language in self.items and (self._next.get(language) is None or len(self.items[language]) >= self.depth):
            return False
        page = self.store.feed_page(language, None, self.now_iso, self.page_size, self._next.get(language))
        self.queries += 1
        self.read_capacity += page.consumed_capacity
        self.items.setdefault(language, []).extend(page.items)
        self._next[language] = page.last_key
        return True


def select_items(
    employee: Employee,
    now: datetime,
    received: set[str],
    shared: set[str],
    limit: int = DEFAULT_LIMIT,
    company_share: float = DEFAULT_COMPANY_SHARE,
    pool: CandidatePool | None = None,
) -> list[ContentItem]:
    """The employee's digest items, read through ``pool`` (pass one pool for a whole batch of employees)."""
    pool = pool or CandidatePool(now)
    languages = languages_for(employee)
    while True:
        chosen = choose_items(pool.candidates(languages), employee, now, received, shared, limit, company_share)
        if is_complete(chosen, limit, company_share):
            return chosen
        # The own language is read deeper first; English only once that is exhausted.
        if not any(pool.load_more(language) for language in languages):
            return chosen


def shared_content_ids(employee_id: str, *, client: Any = None, table: str | None = None) -> set[str]:
    """The items this employee has shared (on any network), from the event log's record of their shares."""
    from functions.events import EventStore

    return EventStore(table=table, client=client).shared_by(employee_id)
