"""Feed pulls in moto: each article becomes one draft, a broken feed is recorded on its source, the queue
fans the pulls out; and an hourly pull as deployed.

The last test runs the app's own handlers as Lambda would run them, with slow and broken feeds served over
real HTTP: pulled one after another inside one Lambda, a handful of slow feeds outlast its timeout and the
feeds after them are never pulled, however often Lambda retries. The schedule is retried twice when it
fails, as an asynchronous invocation is, then every queue's worker runs through its event source, each
invocation stopped at an emulated timeout. Scaled down to keep the test short: the fetcher gives up after
1 s (5 s deployed) and Lambda after 3 s (30 s deployed).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from functions.content.feed_pulls import PullReport, enqueue_pulls, handle_pull_records
from functions.content.feed_sources import add_feed_source
from functions.content.feed_store import FeedSourceStore
from functions.content.store import ContentStore
from functions.content.urls import content_id_for_url
from functions.web.fetch import FEED_POLICY, fetch_page

BLOG = "https://blog.example.com/feed.xml"
NEWS = "https://news.example.org/atom"
BROKEN = "https://down.example.net/rss"
MONDAY = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
HOST = "feeds.chorus.test"  # resolves to this machine's test server, below
LAMBDA_TIMEOUT = 3.0
FETCH_POLICY = replace(FEED_POLICY, allow_loopback_for_tests=True, connect_timeout=0.5, total_timeout=1.0)
SLOW = 0.6  # seconds a slow (but healthy) feed takes to answer
SLOW_FEEDS = 6
FAST_FEEDS = 2
BROKEN_PATHS = {  # path → what the admin reads on the source afterwards
    "/stalls": "timed out",
    "/error": "500",
    "/garbage": "not an RSS or Atom feed",
}


def rss(*items: tuple[str, str]) -> bytes:
    body = "".join(f"<item><title>{title}</title><link>{link}</link></item>" for title, link in items)
    return f'<rss version="2.0"><channel><title>x</title>{body}</channel></rss>'.encode()


def atom(*entries: tuple[str, str]) -> bytes:
    body = "".join(
        f'<entry><title>{title}</title><link rel="alternate" href="{link}"/><id>{link}</id>'
        "<updated>2026-11-01T00:00:00Z</updated></entry>"
        for title, link in entries
    )
    return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>{body}</feed>'.encode()


def serving(pages: dict[str, bytes]) -> Callable[[str], bytes]:
    """A fetch callable: the body for known URLs, a timeout for every other one."""

    def fetch(url: str) -> bytes:
        if url not in pages:
            raise TimeoutError(f"timed out reading {url}")
        return pages[url]

    return fetch


def pull_feeds(fetch: Callable[[str], bytes] | None = None, now: datetime | None = None) -> PullReport:
    """An hourly run as deployed: every source queued, each message pulled by the worker (one per call)."""
    import boto3

    from functions.config import settings
    from infra.local.queues import QueuePump

    report = PullReport()
    enqueue_pulls()

    def worker(event: dict[str, Any], context: Any) -> dict[str, Any]:
        done = handle_pull_records(event["Records"], fetch, now)
        report.sources.update(done.sources)
        report.retry += done.retry
        return done.response()

    QueuePump(boto3.client("sqs"), settings().feed_pull_queue_name, worker, "pull_feed").pump()
    return report


def message(body: object, message_id: str = "m1") -> dict[str, str]:
    return {"messageId": message_id, "body": body if isinstance(body, str) else json.dumps(body)}


def test_a_pull_creates_one_draft_per_article_and_a_second_pull_none(aws: None) -> None:
    blog = add_feed_source(BLOG, language="lt", topics=["engineering"], added_by="ops")
    pages = {BLOG: rss(("First &amp; best", "https://blog.example.com/1"), ("Second", "https://blog.example.com/2"))}

    report = pull_feeds(serving(pages), now=MONDAY)

    assert report.sources[blog.id].__dict__ == {"created": 2, "duplicates": 0, "skipped": 0, "error": None}
    first = ContentStore().get(content_id_for_url("https://blog.example.com/1"))
    assert first is not None
    assert (first.title, first.status, first.language, first.topics, first.kind) == (
        "First & best",
        "draft",
        "lt",
        ("engineering",),
        "third_party",
    )

    again = pull_feeds(serving(pages), now=TUESDAY)

    assert again.sources[blog.id].__dict__ == {"created": 0, "duplicates": 2, "skipped": 0, "error": None}
    (recorded,) = FeedSourceStore().all()
    assert (recorded.last_pulled_at, recorded.items_created, recorded.last_error) == ("2026-11-24T06:00:00Z", 2, None)


def test_the_same_article_in_two_feeds_is_created_once(aws: None) -> None:
    blog = add_feed_source(BLOG, added_by="ops")
    news = add_feed_source(NEWS, added_by="ops")
    pages = {
        BLOG: rss(("Shared", "https://blog.example.com/shared?utm_source=blog")),
        NEWS: atom(
            ("Shared, retitled", "https://BLOG.example.com/shared/#comments"), ("Own", "https://n.example.org/o")
        ),
    }

    report = pull_feeds(serving(pages), now=MONDAY)

    assert report.created == 2
    assert report.sources[blog.id].created + report.sources[news.id].created == 2
    assert report.sources[blog.id].duplicates + report.sources[news.id].duplicates == 1
    shared = ContentStore().get(content_id_for_url("https://blog.example.com/shared"))
    assert shared is not None
    assert "utm_source" not in shared.url


def test_a_broken_feed_records_its_error_and_the_others_still_import(aws: None) -> None:
    blog = add_feed_source(BLOG, added_by="ops", now=MONDAY)
    broken = add_feed_source(BROKEN, added_by="ops", now=MONDAY)
    garbage = add_feed_source("https://garbage.example.com/feed", added_by="ops", now=MONDAY)
    pages = {BLOG: rss(("Fine", "https://blog.example.com/fine")), garbage.url: b"\x00\x01\x02 <<<not xml"}

    pull_feeds(serving(pages), now=MONDAY)
    report = pull_feeds(serving(pages), now=TUESDAY)

    assert sorted(report.failed) == sorted([broken.id, garbage.id])
    assert "TimeoutError: timed out reading" in (report.sources[broken.id].error or "")
    assert "not an RSS or Atom feed" in (report.sources[garbage.id].error or "")
    assert ContentStore().get(content_id_for_url("https://blog.example.com/fine")) is not None
    recorded = {s.id: s for s in FeedSourceStore().all()}
    assert (recorded[broken.id].consecutive_failures, recorded[broken.id].last_pulled_at) == (2, "2026-11-24T06:00:00Z")
    assert recorded[blog.id].consecutive_failures == 0

    pages[BROKEN] = rss(("Back", "https://down.example.net/back"))
    pull_feeds(serving(pages), now=TUESDAY)

    recovered = {s.id: s for s in FeedSourceStore().all()}[broken.id]
    assert (recovered.consecutive_failures, recovered.last_error, recovered.items_created) == (0, None, 1)


def test_entries_without_link_or_title_are_skipped_and_counted(aws: None) -> None:
    blog = add_feed_source(BLOG, added_by="ops")
    feed = rss(("Kept", "https://blog.example.com/kept"), ("No link", ""), ("", "https://blog.example.com/no-title"))

    report = pull_feeds(serving({BLOG: feed}), now=MONDAY)

    assert (report.sources[blog.id].created, report.sources[blog.id].skipped) == (1, 2)


def test_feed_bytes_naming_a_local_file_are_not_read_as_that_file(aws: None, tmp_path: Path) -> None:
    local = tmp_path / "feed.xml"
    local.write_bytes(rss(("From the disk", "https://disk.example.com/secret")))
    blog = add_feed_source(BLOG, added_by="ops")

    report = pull_feeds(serving({BLOG: str(local).encode()}), now=MONDAY)

    assert report.sources[blog.id].created == 0
    assert report.sources[blog.id].error
    assert ContentStore().get(content_id_for_url("https://disk.example.com/secret")) is None


def test_a_source_removed_during_a_pull_stays_removed(aws: None) -> None:
    blog = add_feed_source(BLOG, added_by="ops")

    def fetch(url: str) -> bytes:
        FeedSourceStore().remove(blog.id)
        return rss(("Late", "https://blog.example.com/late"))

    pull_feeds(fetch, now=MONDAY)

    assert FeedSourceStore().all() == []


def test_by_default_feeds_are_read_through_the_safe_fetcher(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.web import fetch as fetch_module

    blog = add_feed_source(BLOG, added_by="ops")
    big = add_feed_source("https://big.example.com/rss", added_by="ops")
    asked: list[str] = []

    def fetch_page(url: str, policy: object = None) -> object:
        asked.append(url)
        body = rss(("Safe", "https://blog.example.com/safe"))
        return SimpleNamespace(url=url, body=body, truncated=url == big.url)

    monkeypatch.setattr(fetch_module, "fetch_page", fetch_page)

    report = pull_feeds(now=MONDAY)

    assert sorted(asked) == sorted([BLOG, big.url])
    assert report.sources[blog.id].created == 1
    assert "larger than the fetcher reads" in (report.sources[big.id].error or "")


def test_the_schedule_queues_one_message_per_source_ten_per_call(aws: None) -> None:
    import boto3

    from functions.config import settings

    ids = {add_feed_source(f"https://blog{n}.example.com/rss", added_by="ops").id for n in range(23)}
    sqs = boto3.client("sqs")
    sends: list[int] = []
    sqs.meta.events.register(
        "before-call.sqs.SendMessageBatch", lambda params, **_: sends.append(len(json.loads(params["body"])["Entries"]))
    )

    assert enqueue_pulls(sqs) == 23
    assert sends == [10, 10, 3]
    url = sqs.get_queue_url(QueueName=settings().feed_pull_queue_name)["QueueUrl"]
    queued = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        queued += [json.loads(m["Body"])["source_id"] for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in messages]
        )
    assert sorted(queued) == sorted(ids)


def test_the_worker_retries_only_a_pull_it_could_not_record(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    blog, news = add_feed_source(BLOG, added_by="ops"), add_feed_source(NEWS, added_by="ops")
    pages = {BLOG: rss(("Fine", "https://blog.example.com/fine")), NEWS: rss(("Late", "https://news.example.org/l"))}
    real = FeedSourceStore.record_pull

    def record(store: FeedSourceStore, source_id: str, *args: Any) -> None:
        if source_id == news.id:
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "UpdateItem")
        real(store, source_id, *args)

    monkeypatch.setattr(FeedSourceStore, "record_pull", record)
    records = [message({"source_id": blog.id}, "m-blog"), message({"source_id": news.id}, "m-news")]

    report = handle_pull_records(records, serving(pages), MONDAY)

    assert report.response() == {"batchItemFailures": [{"itemIdentifier": "m-news"}]}
    assert set(report.sources) == {blog.id}
    recorded = {s.id: s for s in FeedSourceStore().all()}
    assert (recorded[blog.id].last_pulled_at, recorded[news.id].last_pulled_at) == ("2026-11-23T06:00:00Z", None)


def test_the_worker_skips_removed_sources_and_drops_unreadable_messages(aws: None) -> None:
    blog = add_feed_source(BLOG, added_by="ops")
    FeedSourceStore().remove(blog.id)
    records = [
        message({"source_id": blog.id}, "m-removed"),
        message("not json", "m-garbage"),
        message({"source": "x"}, "m-no-id"),
        message([1, 2], "m-list"),
    ]

    report = handle_pull_records(records, serving({}), MONDAY)

    assert (report.sources, report.response()) == ({}, {"batchItemFailures": []})
    assert FeedSourceStore().all() == []


# --- An hourly pull as deployed ---------------------------------------------------------------------


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
                self._send(200, rss((f"Article {path}", f"https://blog.example.com{path}")))
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

    from functions.content import feed_pulls

    runtime = EmulatedLambda(LAMBDA_TIMEOUT)
    monkeypatch.setattr(feed_pulls, "safe_fetcher", runtime.fetcher)
    paths = [f"/slow/{n}" for n in range(SLOW_FEEDS)] + list(BROKEN_PATHS) + [f"/fast/{n}" for n in range(FAST_FEEDS)]
    first = datetime(2026, 11, 23, tzinfo=UTC)
    for n, path in enumerate(paths):  # registered in this order: the slow ones are listed first
        add_feed_source(feeds + path, added_by="ops", now=first + timedelta(minutes=n))

    run_an_hour(runtime)

    sources = {source.url.removeprefix(feeds): source for source in FeedSourceStore().all()}
    healthy = [path for path in paths if path not in BROKEN_PATHS]
    never_pulled = [path for path in paths if sources[path].last_pulled_at is None]
    assert never_pulled == [], f"never pulled: {never_pulled}; invocations timed out: {runtime.timed_out}"
    for path in healthy:
        assert (sources[path].last_error, sources[path].items_created) == (None, 1), path
        assert ContentStore().get(content_id_for_url(f"https://blog.example.com{path}")) is not None
    for path, says in BROKEN_PATHS.items():
        assert says in (sources[path].last_error or ""), (path, sources[path].last_error)
        assert sources[path].consecutive_failures == 1
    assert runtime.timed_out == []
