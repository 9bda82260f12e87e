"""Shared fixtures: moto-backed AWS for integration tests, warm-state resets, a small world to act in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.aws_calls import pytest_collection_modifyitems, pytest_configure, pytest_unconfigure  # noqa: F401 - hooks

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "tests" / "data" / "corpora"  # isbot's public fixtures, copied with their licence
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
)
BROWSER_HEADERS = {"User-Agent": BROWSER_UA, "Accept-Language": "en-GB,en;q=0.9", "Accept": "text/html"}
# The employee opening their own share link: a browser, but not the one the tests' visitors click with
# (the visitor who opened an employee's share link is that employee, whose clicks earn no points).
SHARER_HEADERS = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1",
    "Accept-Language": "en-GB,en;q=0.9",
    "Accept": "text/html",
}


@pytest.fixture
def aws() -> Iterator[None]:
    """An empty Chorus account in moto (in-process): tables and bucket from infra/, the secret in SSM."""
    from infra.local.sandbox import in_process_account

    with in_process_account():
        yield


@dataclass
class World:
    employee_id: str
    content_id: str
    team: str = "Marketing"


@pytest.fixture
def world(aws: None) -> World:
    """One active employee and one published item with suggested texts."""
    from infra.local.sandbox import seed_sharer

    employee, content = seed_sharer()
    return World(employee.id, content.id)


@pytest.fixture
def client(aws: None) -> Iterator[Any]:
    from chalice.test import Client

    import app

    with Client(app.app, project_dir=str(ROOT)) as test_client:
        yield test_client


def signed_share_path(employee_id: str, content_id: str, network: str, expires_at: int | None = None) -> str:
    from functions.shares.service import share_path

    return share_path(employee_id, content_id, network, expires_at)


def short_code_from_intent(location: str) -> str:
    """The short code inside a share-intent URL (whatever the network)."""
    query = parse_qs(urlsplit(location).query)
    for values in query.values():
        for value in values:
            for word in value.split():
                if word.startswith("https://go.example.org/"):
                    return word.rsplit("/", 1)[1]
    raise AssertionError(f"no short link in {location}")


@dataclass
class Clock:
    """The event log's clock (``functions.events.now``), moved by a test: events are bucketed by it and the
    counting run closes slices by it, so a test counts what it wrote without waiting minutes."""

    at: float

    def __call__(self) -> float:
        return self.at

    def close_slice(self) -> None:
        """Move past the end of the slice being written, and its grace: the counting run takes it now."""
        from functions.config import settings

        s = settings()
        self.at = (self.at // s.count_slice_seconds + 1) * s.count_slice_seconds + s.count_grace_seconds


@pytest.fixture
def clock(aws: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    import time

    from functions import events

    moving = Clock(time.time())
    monkeypatch.setattr(events, "now", moving)
    return moving


def run_counting(client: Any) -> dict[str, Any]:
    """Run the count_events schedule once, as EventBridge would."""
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, ["count_events"])
    return client.lambda_.invoke("count_events", event).payload


@pytest.fixture
def count_clicks(client: Any, clock: Clock) -> Any:
    """``count_clicks()``: close the slice written so far and count it through the count_events schedule.

    The schedule has run once already, as in a deployment, so counting starts before the test's first event
    (a first run ever starts one slice back)."""
    run_counting(client)

    def count() -> dict[str, Any]:
        clock.close_slice()
        return run_counting(client)

    return count


def pump_feed_pulls(client: Any) -> int:
    """Deliver the feed-pull queue to the pull_feed worker, one message per invocation, as Lambda would."""
    import boto3

    from functions.config import settings
    from infra.local.queues import QueuePump

    def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return client.lambda_.invoke("pull_feed", event).payload

    return QueuePump(boto3.client("sqs"), settings().feed_pull_queue_name, invoke, "pull_feed").pump()


@dataclass
class Page:
    """What a person sees on an HTML page: its language, headings, text and links."""

    lang: str = ""
    h1: list[str] = field(default_factory=list)
    text: str = ""
    links: list[str] = field(default_factory=list)


def parse_page(html: str) -> Page:
    from html.parser import HTMLParser

    page = Page()
    parts: list[str] = []
    stack: list[str] = []

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag == "html":
                page.lang = values.get("lang") or ""
            if tag == "a" and values.get("href"):
                page.links.append(values["href"] or "")
            stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if stack and stack[-1] == tag:
                stack.pop()

        def handle_data(self, data: str) -> None:
            if "style" in stack or "title" in stack:
                return
            if stack and stack[-1] == "h1":
                page.h1.append(data.strip())
            parts.append(data)

    Reader().feed(html)
    page.text = " ".join(" ".join(parts).split())
    return page
