"""An hourly feed pull as deployed, with slow and broken feeds served over real HTTP and Lambda's timeout.

Pulled one after another inside one Lambda, a handful of slow feeds outlast its timeout and the feeds after
them are never pulled, however often Lambda retries. Here the app's own handlers run as Lambda would run
them: the schedule (retried twice when it fails, as an asynchronous invocation is), then every queue's
worker through its event source, each invocation stopped at an emulated timeout. Scaled down to keep the
test short: the fetcher gives up after 1 s (5 s deployed) and Lambda after 3 s (30 s deployed).
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

from functions.content.feed_sources import add_feed_source, list_feed_sources
from functions.content.store import ContentStore
from functions.content.urls import content_id_for_url
from functions.web.fetch import FEED_POLICY, fetch_page

HOST = "feeds.chorus.test"  # resolves to this machine's test server, below
LAMBDA_TIMEOUT = 3.0
FETCH_POLICY = replace(FEED_POLICY, allow_loopback_for_tests=True, connect_timeout=0.5, total_timeout=1.0)
SLOW = 0.6  # seconds a slow (but healthy) feed takes to answer
SLOW_FEEDS = 6
FAST_FEEDS = 2
BROKEN = {  # path → what the admin reads on the source afterwards
    "/stalls": "timed out",
    "/error": "500",
    "/garbage": "not an RSS or Atom feed",
}


def rss(title: str, link: str) -> bytes:
    item = f"<item><title>{title}</title><link>{link}</link></item>"
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{item}</channel></rss>'.encode()


class FeedServer(BaseHTTPRequestHandler):
    """/slow/N answers after SLOW seconds, /fast/N at once; /stalls never answers, /error is a 500."""

    server: Any

    def do_GET(self) -> None:
        path = self.path
        try:
            if path == "/stalls":
                self.server.stop.wait(30)
                return
            if path.startswith("/slow/"):
                time.sleep(SLOW)
            if path.startswith(("/slow/", "/fast/")):
                self._send(200, rss(f"Article {path}", f"https://blog.example.com{path}"))
            elif path == "/garbage":
                self._send(200, b"\x00\x01 <<<not xml")
            else:
                self._send(500, b"oops")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the fetcher gave up, as it should

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def feeds(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The feed server's base URL under a public-looking name (the fetcher and destinations refuse 127.0.0.1)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedServer)
    server.daemon_threads = True
    server.stop = threading.Event()  # type: ignore[attr-defined]
    real = socket.getaddrinfo

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == HOST:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.stop.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


class LambdaTimedOutError(BaseException):
    """Lambda stopped the invocation at its timeout (a BaseException: no handler can catch a kill)."""


class InvocationFailedError(RuntimeError):
    pass


@dataclass
class EmulatedLambda:
    """Runs app.py's handlers as Lambda does, stopped at ``timeout``: work after it never happens.

    Reading a feed is the only slow step, so the clock is checked around every fetch: a fetch that starts or
    ends after the timeout stops the invocation before anything else is written.
    """

    timeout: float
    started: float = 0.0
    timed_out: list[str] = field(default_factory=list)

    def invoke(self, handler: Callable[[Any, Any], Any], event: dict[str, Any], name: str) -> Any:
        self.started = time.monotonic()
        context = SimpleNamespace(
            aws_request_id=str(uuid.uuid4()),
            function_name=name,
            get_remaining_time_in_millis=lambda: max(0, int((self.started + self.timeout - time.monotonic()) * 1000)),
        )
        try:
            return handler(event, context)
        except LambdaTimedOutError:
            self.timed_out.append(name)
            raise InvocationFailedError(f"{name} timed out after {self.timeout} s") from None

    def fetcher(self) -> Callable[[str], bytes]:
        def fetch(url: str) -> bytes:
            self._check()
            body = fetch_page(url, policy=FETCH_POLICY).body
            self._check()
            return body

        return fetch

    def _check(self) -> None:
        if time.monotonic() - self.started > self.timeout:
            raise LambdaTimedOutError


def run_an_hour(runtime: EmulatedLambda) -> None:
    """The hourly schedule, then every queue the app's workers read, delivered as Lambda's event sources do."""
    import boto3
    from chalice.app import SQSEventConfig

    import app
    from infra.local.queues import QueuePump
    from infra.local.schedules import ScheduleDriver

    def schedule(event: dict[str, Any], context: Any) -> Any:
        return runtime.invoke(app.pull_feeds, event, "pull_feeds")

    for _attempt in range(3):  # an asynchronous invocation: Lambda retries a failed one twice
        try:
            ScheduleDriver(app).fire("pull_feeds", schedule)
            break
        except InvocationFailedError:
            continue
    for config in app.app.event_sources:
        if isinstance(config, SQSEventConfig):
            handler = getattr(app, config.handler_string.split(".")[-1])

            def invoke(event: dict[str, Any], context: Any, handler: Any = handler, name: str = config.name) -> Any:
                return runtime.invoke(handler, event, name)

            QueuePump(boto3.client("sqs"), config.queue, invoke, config.name, batch_size=config.batch_size).pump()


def test_slow_and_broken_feeds_never_keep_the_others_from_being_pulled(
    feeds: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from functions.content import feed_sources

    runtime = EmulatedLambda(LAMBDA_TIMEOUT)
    monkeypatch.setattr(feed_sources, "safe_fetcher", runtime.fetcher)
    paths = [f"/slow/{n}" for n in range(SLOW_FEEDS)] + list(BROKEN) + [f"/fast/{n}" for n in range(FAST_FEEDS)]
    first = datetime(2026, 11, 23, tzinfo=UTC)
    for n, path in enumerate(paths):  # registered in this order: the slow ones are listed first
        add_feed_source(feeds + path, added_by="ops", now=first + timedelta(minutes=n))

    run_an_hour(runtime)

    sources = {source.url.removeprefix(feeds): source for source in list_feed_sources()}
    healthy = [path for path in paths if path not in BROKEN]
    never_pulled = [path for path in paths if sources[path].last_pulled_at is None]
    assert never_pulled == [], f"never pulled: {never_pulled}; invocations timed out: {runtime.timed_out}"
    for path in healthy:
        assert (sources[path].last_error, sources[path].items_created) == (None, 1), path
        assert ContentStore().get(content_id_for_url(f"https://blog.example.com{path}")) is not None
    for path, says in BROKEN.items():
        assert says in (sources[path].last_error or ""), (path, sources[path].last_error)
        assert sources[path].consecutive_failures == 1
    assert runtime.timed_out == []
