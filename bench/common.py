"""What the benchmarks share: the repo root, an in-process moto world with one short link, call counting."""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `app`, `functions` and `infra` import whatever the working directory
    sys.path.insert(0, str(ROOT))

BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
)
BROWSER_HEADERS = {"User-Agent": BROWSER_UA, "Accept-Language": "en-GB,en;q=0.9", "Accept": "text/html"}
SOURCE_IP = "203.0.113.9"


@dataclass(frozen=True)
class World:
    """What the redirect benchmarks act on: one employee, one content item, one short link."""

    employee_id: str
    content_id: str
    code: str
    target: str


@contextmanager
def moto_world() -> Iterator[World]:
    """An in-process moto account holding Chorus's tables, its secret and one short link; env restored after."""
    from infra.local.sandbox import in_process_account

    with in_process_account(POWERTOOLS_LOG_LEVEL="ERROR"):
        yield _seed()


def _seed() -> World:
    from functions.links.destinations import with_utm
    from functions.links.store import LinkStore
    from infra.local.sandbox import seed_sharer

    employee, content = seed_sharer()
    link = LinkStore().create(
        employee_id=employee.id,
        content_id=content.id,
        network="linkedin",
        team=employee.team,
        target=with_utm(content.url, "linkedin", content.utm_campaign),
    )
    return World(employee.id, content.id, link.code, link.target)


class CallCounter:
    """Counts API calls per operation on botocore clients, through their ``before-call`` event hooks."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.body_bytes: Counter[str] = Counter()  # request body sizes, summed per operation
        self._hooked: list[tuple[Any, str]] = []

    def watch(self, client: Any) -> None:
        event = f"before-call.{client.meta.service_model.endpoint_prefix}.*"
        client.meta.events.register(event, self._record, unique_id=f"bench-count-{id(self)}")
        self._hooked.append((client, event))

    def _record(self, model: Any, params: Any = None, **_: Any) -> None:
        self.calls[model.name] += 1
        body = params.get("body") if isinstance(params, dict) else None
        self.body_bytes[model.name] += len(body or b"")

    def take(self) -> Counter[str]:
        """The calls counted since the last ``take``, and start again from zero (body sizes too)."""
        taken, self.calls, self.body_bytes = self.calls, Counter(), Counter()
        return taken

    def take_with_sizes(self) -> tuple[Counter[str], Counter[str]]:
        """Like ``take``, with the summed request body bytes per operation."""
        sizes = self.body_bytes
        return self.take(), sizes

    def close(self) -> None:
        for client, event in self._hooked:
            client.meta.events.unregister(event, unique_id=f"bench-count-{id(self)}")
        self._hooked.clear()


@contextmanager
def all_api_calls() -> Iterator[Counter[str]]:
    """Every AWS API call any botocore client makes meanwhile, as ``service:Operation`` (a cross-check)."""
    from botocore.client import BaseClient

    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: Any) -> Any:
        calls[f"{self.meta.service_model.service_name}:{operation_name}"] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counting
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original


def median(values: list[float]) -> float:
    return statistics.median(values)


def describe(calls: Counter[str], per: int = 1) -> str:
    """``GetItem 1, PutItem 1`` (averaged over ``per``), or ``none``."""
    if not calls:
        return "none"
    return ", ".join(f"{name} {count / per:g}" for name, count in sorted(calls.items()))
