"""The share entry point: verify the signed link, record the share, hand back the intent URL."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from functions.config import NETWORKS, settings
from functions.content.store import ContentStore
from functions.directory.store import EmployeeStore
from functions.events import Event, EventStore, timestamp
from functions.links.destinations import with_utm
from functions.links.store import LinkStore, ShortLink
from functions.secrets import derived_key
from functions.shares.intents import intent_url
from functions.signing import sign, verify

PURPOSE = "share"


class ShareTargetNotFoundError(LookupError):
    """The employee or content item is unknown, deactivated or no longer shareable."""


class UnsupportedNetworkError(ValueError):
    pass


@dataclass(frozen=True)
class Share:
    link: ShortLink
    short_url: str
    intent_url: str


def share_path(employee_id: str, content_id: str, network: str, expires_at: int | None = None) -> str:
    """The signed, expiring path that shares one item on one network as one employee."""
    if network not in NETWORKS:
        raise UnsupportedNetworkError(network)
    if expires_at is None:
        expires_at = int(time.time()) + settings().share_link_ttl_days * 86400
    sig = sign(derived_key(PURPOSE), PURPOSE, (employee_id, content_id, network), expires_at)
    path = "/share/" + "/".join(quote(part, safe="") for part in (employee_id, content_id, network))
    return f"{path}?{urlencode({'exp': expires_at, 'sig': sig})}"


def share_url(employee_id: str, content_id: str, network: str, expires_at: int | None = None) -> str:
    return settings().api_base_url + share_path(employee_id, content_id, network, expires_at)


def share(
    employee_id: str,
    content_id: str,
    network: str,
    expires_at: str | None,
    signature: str | None,
    now: datetime | None = None,
) -> Share:
    """Raise SignatureError, UnsupportedNetworkError or ShareTargetNotFoundError, or record the share."""
    verify(derived_key(PURPOSE), PURPOSE, (employee_id, content_id, network), expires_at, signature)
    if network not in NETWORKS:
        raise UnsupportedNetworkError(network)
    employee = EmployeeStore().get(employee_id)
    if employee is None or not employee.active:
        raise ShareTargetNotFoundError("This share link belongs to someone who is no longer part of the programme.")
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
    EventStore().add(
        Event(
            type="share",
            at=timestamp(now or datetime.now(UTC)),
            employee_id=employee.id,
            content_id=content.id,
            network=network,
            team=employee.team,
            code=link.code,
        )
    )
    short = f"{settings().short_base_url}/{link.code}"
    text = content.suggested_text(network, employee.variant_seed)
    return Share(link, short, intent_url(network, short, text, content.title))
