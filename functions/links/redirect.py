"""The redirect path: resolve the code, decide the response, then track the click.

``answer`` is the whole of it as the visitor sees it (status, headers, page), whichever front door the
request came through: the Chalice route behind API Gateway (app.py) and the lean Function URL handler
behind CloudFront (functions/links/front_door.py) both only translate it.

At most one DynamoDB read (the link, cached while the Lambda is warm) and one write (the click event).
Tracking can never break a redirect: a failed write is queued to be written later (the click backlog), or,
if that fails too, logged with the item needed to replay it.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from functions import observability, pages
from functions.clicks.visitor import Classification, Visitor
from functions.config import settings
from functions.events import Event, EventStore, timestamp
from functions.links.codes import is_valid_code
from functions.links.destinations import is_redirectable
from functions.links.store import LinkStore, ShortLink
from functions.secrets import derived_key

NEGATIVE_CACHE_SECONDS = 60
# cachetools' caches are not thread-safe: two threads expiring or inserting at once corrupt them (then every
# lookup raises). A Lambda serves one request at a time, but `make run` serves many threads at once.
_CACHE_LOCK = threading.Lock()


class LinkLookupError(RuntimeError):
    """The link could not be read and this Lambda has never seen it: the visitor should retry."""


@dataclass(frozen=True)
class Reply:
    """What the visitor gets: a 302 to the destination, the not-found page, or "try again"."""

    status: int
    headers: dict[str, str]
    body: str = ""


def answer(
    code: str,
    method: str,
    headers: Any,
    source_ip: str | None,
    now: datetime | None = None,
) -> Reply:
    """Follow a short link (GET or HEAD) and say what to answer; the pages are rendered only when needed."""
    if len(code) > pages.MAX_PATH_PARAMETER:  # no id is this long (what the API answers for any such path)
        return page_reply(404, pages.nothing_here_page())
    try:
        outcome = follow(code, method, headers, source_ip, now)
    except LinkLookupError:
        page = pages.error_page(503, "Please try again", "This link is fine, but we could not open it just now.")
        return page_reply(503, page, {"Retry-After": "2"})
    if outcome.location is None:
        return page_reply(404, pages.not_found_page())
    return Reply(302, {"Location": outcome.location, "Cache-Control": pages.NO_STORE, "X-Robots-Tag": "noindex"})


def page_reply(status: int, page: str, extra: dict[str, str] | None = None) -> Reply:
    """A server-rendered page, never cached (it says nothing about the link's next answer)."""
    return Reply(status, {"Content-Type": pages.HTML, "Cache-Control": pages.NO_STORE, **(extra or {})}, page)


@dataclass(frozen=True)
class Redirect:
    location: str | None  # None: there is nothing to redirect to (404)
    classification: Classification | None = None
    tracked: bool = False


def follow(
    code: str,
    method: str,
    headers: Any,
    source_ip: str | None,
    now: datetime | None = None,
) -> Redirect:
    if not is_valid_code(code):
        return Redirect(None)  # malformed: answered without touching DynamoDB
    link = resolve(code)
    if link is None or not is_redirectable(link.target):
        observability.count("UnknownCodes")
        return Redirect(None)
    observability.count("Redirects")
    at = timestamp(now or datetime.now(UTC))
    try:
        visitor = Visitor.from_request(method, headers, source_ip, derived_key("visitor"), at[:10])
    except Exception as exc:  # noqa: BLE001 - tracking must never break the redirect
        observability.count("ClickTrackingErrors")
        observability.logger().error("click_tracking_failed", extra={"error": repr(exc), "code": code})
        return Redirect(link.target)
    return Redirect(link.target, visitor.classification, tracked=_track(link, visitor, at))


def resolve(code: str) -> ShortLink | None:
    """The link for a code, from this Lambda's memory when it was read recently.

    If DynamoDB cannot be read, the last copy of a link this Lambda has seen is served, so a valid link
    keeps working through a throttle or an outage (a stale destination beats an error page).
    """
    fresh, negative, known = _cache(), _negative_cache(), _known()
    with _CACHE_LOCK:
        cached = fresh.get(code)
        if cached is not None:
            return cached
        if negative.get(code):
            return None
    try:
        link = _links().get(code)  # outside the lock: other codes are not held up by this read
    except Exception as exc:
        observability.count("LinkLookupErrors")
        observability.logger().error("link_lookup_failed", extra={"error": repr(exc), "code": code})
        with _CACHE_LOCK:
            last_seen = known.get(code)
        if last_seen is not None:
            return last_seen
        raise LinkLookupError(code) from exc
    with _CACHE_LOCK:
        if link is None:
            negative[code] = True
        else:
            fresh[code] = known[code] = link
    return link


def _track(link: ShortLink, visitor: Visitor, at: str) -> bool:
    event = Event(
        type="click",
        at=at,
        employee_id=link.employee_id,
        content_id=link.content_id,
        network=link.network,
        team=link.team,
        code=link.code,
        kind=visitor.classification.kind,
        reason=visitor.classification.reason,
        visitor=visitor.visitor_hash,
        referrer_host=visitor.referrer_host,
        country=visitor.country,
        device=visitor.device,
        method=visitor.method,
        id=secrets.token_hex(8),
        ip=visitor.ip_hash,
    )
    events = _events()
    item = events.item(event)
    try:
        events.put_item(item)
    except Exception as exc:  # noqa: BLE001 - tracking must never break the redirect
        observability.count("ClickTrackingErrors")
        _queue_for_later(event, exc, events.table, item)
        return False
    observability.count("HumanClicks" if visitor.classification.is_human else "FilteredClicks")
    return True


def _queue_for_later(event: Event, error: Exception, table: str, item: dict[str, Any]) -> None:
    """The event write failed: the click waits on the backlog queue (functions/clicks/backlog.py), or, if
    even that fails, in a log line with the item needed to replay it."""
    from functions.clicks.backlog import queue_click

    try:
        queue_click(event, item)
    except Exception as queue_error:  # noqa: BLE001 - tracking must never break the redirect
        observability.logger().error(
            "click_tracking_failed",
            extra={"error": repr(error), "queue_error": repr(queue_error), "table": table, "replay_item": item},
        )
        return
    observability.count("ClickEventsQueued")


@cache
def _cache() -> Any:
    from cachetools import TTLCache

    return TTLCache(maxsize=10_000, ttl=settings().link_cache_seconds)


@cache
def _negative_cache() -> Any:
    from cachetools import TTLCache

    return TTLCache(maxsize=10_000, ttl=NEGATIVE_CACHE_SECONDS)


@cache
def _known() -> Any:
    from cachetools import LRUCache

    return LRUCache(maxsize=10_000)


@cache
def _links() -> LinkStore:
    return LinkStore()


@cache
def _events() -> EventStore:
    return EventStore()


def reset() -> None:
    """Forget warm state (tests; a new Lambda container starts the same way)."""
    for cached in (_cache, _negative_cache, _known, _links, _events):
        cached.cache_clear()
