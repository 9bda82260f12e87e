"""The share entry point: verify the signed link, record the share, hand back the intent URL.

Everyone who opens a valid share link is redirected at once, but a share event is written only for a human
visitor, judged by the click classifier (HEAD, link previews, mail scanners, bots, no Accept-Language): mail
scanners open every link of a digest. The event carries the visitor and address hashes, so the counting
run can find scanner bursts and the sharer's own clicks; "at most one share per employee, item, network
and day" is the counting run's rule too (``functions/stats/decide.py``), never the writer's, so a scanner's
share can never block the employee's real one later that day.

A share link carries the employee's ``token_version`` (``v=``, left out at version 0, so links from before
versions keep working): when an admin revokes the employee's tokens, the share links of old digests and of
the site stop working too (403), since whoever holds a forwarded digest could otherwise keep sharing in the
employee's name. The check reuses the GetItem that already looks up the employee. Short links already
posted are public and stay: they keep redirecting and counting (the redirect path reads nothing more).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from functions.clicks.visitor import Classification, Visitor
from functions.config import NETWORKS, settings
from functions.content.store import ContentStore
from functions.directory.store import EmployeeStore
from functions.events import Event, EventStore, timestamp
from functions.links.destinations import with_utm
from functions.links.store import LinkStore, ShortLink
from functions.secrets import derived_key
from functions.shares.intents import intent_url
from functions.signing import SignatureError, sign, verify

PURPOSE = "share"
SOURCES = ("digest",)  # where a share link may say it was opened from (``via``)


class ShareTargetNotFoundError(LookupError):
    """The employee or content item is unknown, deactivated or no longer shareable."""


class UnsupportedNetworkError(ValueError):
    pass


@dataclass(frozen=True)
class Share:
    link: ShortLink
    short_url: str
    intent_url: str
    classification: Classification | None = None  # of the visitor who opened the share link
    recorded: bool = False  # a share event was written (human visitors only)


def share_path(
    employee_id: str,
    content_id: str,
    network: str,
    expires_at: int | None = None,
    *,
    token_version: int = 0,
    key: bytes | None = None,
    via: str = "",
) -> str:
    """The signed, expiring path that shares one item on one network as one employee (at their token version);
    ``key`` signs instead of the deployment's share key (tests signing for a `make run` stack). ``via=digest``
    marks a digest's link (unsigned: it only tells the KPIs' digest funnel where a share came from)."""
    if network not in NETWORKS:
        raise UnsupportedNetworkError(network)
    if expires_at is None:
        expires_at = int(time.time()) + settings().share_link_ttl_days * 86400
    values = _signed(employee_id, content_id, network, token_version)
    query = {"exp": expires_at, "sig": sign(key or derived_key(PURPOSE), PURPOSE, values, expires_at)}
    if token_version:
        query["v"] = token_version
    if via in SOURCES:
        query["via"] = via
    path = "/share/" + "/".join(quote(part, safe="") for part in (employee_id, content_id, network))
    return f"{path}?{urlencode(query)}"


def share_url(
    employee_id: str,
    content_id: str,
    network: str,
    expires_at: int | None = None,
    *,
    token_version: int = 0,
    via: str = "",
) -> str:
    return settings().api_base_url + share_path(
        employee_id, content_id, network, expires_at, token_version=token_version, via=via
    )


def _signed(employee_id: str, content_id: str, network: str, token_version: int) -> tuple[str, ...]:
    base = (employee_id, content_id, network)
    return (*base, str(token_version)) if token_version else base


def share(
    employee_id: str,
    content_id: str,
    network: str,
    expires_at: str | None,
    signature: str | None,
    now: datetime | None = None,
    token_version: str | None = None,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    source_ip: str | None = None,
    via: str | None = None,
) -> Share:
    """Raise SignatureError, UnsupportedNetworkError or ShareTargetNotFoundError, or hand back the share.

    ``token_version`` is the link's ``v`` parameter (absent at version 0). ``method``, ``headers`` and
    ``source_ip`` are the request's: the share is recorded only when they are a person's browser. ``via``
    is the link's unsigned ``via`` parameter (``digest``: the share came from a digest; anything else: none).
    """
    version = int(token_version) if token_version and token_version.isdecimal() and len(token_version) < 10 else 0
    if token_version and not version:
        raise SignatureError("malformed", "This link is damaged. Use the link from your email.")
    verify(derived_key(PURPOSE), PURPOSE, _signed(employee_id, content_id, network, version), expires_at, signature)
    if network not in NETWORKS:
        raise UnsupportedNetworkError(network)
    employee = EmployeeStore().get(employee_id)
    if employee is None or not employee.active:
        raise ShareTargetNotFoundError("This share link belongs to someone who is no longer part of the programme.")
    if employee.token_version != version:
        raise SignatureError("revoked", "This share link was withdrawn. The next digest brings new ones.")
    content = ContentStore().get(content_id)
    if content is None or not content.is_shareable:
        raise ShareTargetNotFoundError("This item is no longer available for sharing.")
    links = LinkStore()
    link = links.find_owned(employee.id, content.id, network) or links.create(
        employee_id=employee.id,
        content_id=content.id,
        network=network,
        team=employee.team,
        target=with_utm(content.url, network, content.utm_campaign),
    )
    at = timestamp(now or datetime.now(UTC))
    visitor = Visitor.from_request(method, headers or {}, source_ip, derived_key("visitor"), at[:10])
    if visitor.classification.is_human:
        EventStore().add(
            Event(
                type="share",
                at=at,
                employee_id=employee.id,
                content_id=content.id,
                network=network,
                team=employee.team,
                code=link.code,
                kind=visitor.classification.kind,
                reason=visitor.classification.reason,
                visitor=visitor.visitor_hash,
                id=secrets.token_hex(8),
                ip=visitor.ip_hash,
                source=via if via in SOURCES else "",
            )
        )
    short = f"{settings().short_base_url}/{link.code}"
    text = content.suggested_text(network, employee.variant_seed)
    return Share(
        link,
        short,
        intent_url(network, short, text, content.title),
        visitor.classification,
        recorded=visitor.classification.is_human,
    )
