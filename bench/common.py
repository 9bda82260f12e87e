"""What the benchmarks share: the repo root, an in-process moto world with one short link, call counting."""

from __future__ import annotations

import os
import statistics
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/run.py` as well as `python -m bench.run`
    sys.path.insert(0, str(ROOT))

BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
)
BROWSER_HEADERS = {"User-Agent": BROWSER_UA, "Accept-Language": "en-GB,en;q=0.9", "Accept": "text/html"}
SOURCE_IP = "203.0.113.9"

# Variables that could point boto3 somewhere else than moto's in-process mock.
_UNSAFE_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


@dataclass(frozen=True)
class World:
    """What the redirect benchmarks act on: one employee, one content item, one short link."""

    employee_id: str
    content_id: str
    code: str
    target: str


def moto_env() -> dict[str, str]:
    """Fake credentials and the template's table names, as the local runner and the tests set them."""
    from infra.resources import table_env

    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "API_BASE_URL": "https://chorus.example.org",
        "SHORT_BASE_URL": "https://go.example.org",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        **table_env("dev"),
    }


def clear_warm_state() -> None:
    """Forget what a warm Lambda keeps: settings, boto3 clients, the master secret, cached links."""
    from functions import aws, observability, secrets
    from functions.config import settings
    from functions.links import redirect

    settings.cache_clear()
    aws.reset_clients()
    redirect.reset()
    secrets.master_secret.cache_clear()
    observability.metrics_enabled.cache_clear()


@contextmanager
def moto_world() -> Iterator[World]:
    """An in-process moto account holding Chorus's tables, its secret and one short link; env restored after."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in _UNSAFE_ENV:
            del os.environ[name]
    os.environ.update(moto_env())
    try:
        import boto3
        from moto import mock_aws

        with mock_aws():
            clear_warm_state()
            from functions.secrets import ensure_master_secret
            from infra.resources import create_all

            create_all(boto3.client("dynamodb"), boto3.client("s3"))
            ensure_master_secret()
            yield _seed()
        clear_warm_state()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _seed() -> World:
    from functions.content.model import new_content
    from functions.content.store import ContentStore
    from functions.directory.model import Employee, employee_id_for
    from functions.directory.store import EmployeeStore
    from functions.links.destinations import with_utm
    from functions.links.store import LinkStore

    employee = Employee(
        id=employee_id_for("ada@example.com"), email="ada@example.com", name="Ada Lovelace", team="Marketing"
    )
    EmployeeStore().put(employee)
    content = new_content(
        content_id="launch",
        url="https://www.example.com/news/launch?ref=home#top",
        title="Our autumn launch",
        campaign="autumn",
    )
    ContentStore().add(content)
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

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def median(values: list[float]) -> float:
    return statistics.median(values)


def describe(calls: Counter[str], per: int = 1) -> str:
    """``GetItem 1, PutItem 1`` (averaged over ``per``), or ``none``."""
    if not calls:
        return "none"
    return ", ".join(f"{name} {count / per:g}" for name, count in sorted(calls.items()))
