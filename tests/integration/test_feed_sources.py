"""Feed sources in moto: admins register feeds; pulls create each article once, as a draft."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from functions.content.feed_pulls import PullReport, enqueue_pulls, handle_pull_records
from functions.content.feed_sources import (
    FeedSourceExistsError,
    FeedSourceNotFoundError,
    FeedSourceValidationError,
    add_feed_source,
    list_feed_sources,
    remove_feed_source,
)
from functions.content.store import ContentStore
from functions.content.urls import content_id_for_url

BLOG = "https://blog.example.com/feed.xml"
NEWS = "https://news.example.org/atom"
BROKEN = "https://down.example.net/rss"
MONDAY = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


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


def test_a_feed_is_registered_listed_and_removed(aws: None) -> None:
    source = add_feed_source(BLOG, language="pl", topics=["Cloud", "cloud", "AI"], kind="company", added_by="ops")

    assert list_feed_sources() == [source]
    assert (source.language, source.topics, source.kind, source.added_by) == ("pl", ("cloud", "ai"), "company", "ops")
    remove_feed_source(source.id)
    assert list_feed_sources() == []
    with pytest.raises(FeedSourceNotFoundError):
        remove_feed_source(source.id)


def test_the_same_feed_cannot_be_registered_twice_under_another_spelling(aws: None) -> None:
    source = add_feed_source(BLOG, added_by="ops")
    with pytest.raises(FeedSourceExistsError) as raised:
        add_feed_source("HTTPS://BLOG.example.com:443/feed.xml?utm_source=x#top", added_by="someone else")
    assert raised.value.source_id == source.id
    assert list_feed_sources() == [source]


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"url": "http://169.254.169.254/latest/meta-data/"}, {"url"}),
        ({"url": "file:///etc/passwd"}, {"url"}),
        ({"language": "xx"}, {"language"}),
        ({"kind": "advert"}, {"kind"}),
        ({"topics": ["x" * 41]}, {"topics"}),
        ({"added_by": " "}, {"added_by"}),
        ({"url": "ftp://example.com/rss", "language": "xx", "added_by": ""}, {"url", "language", "added_by"}),
    ],
)
def test_an_invalid_source_is_refused_naming_the_field(aws: None, kwargs: dict, fields: set[str]) -> None:
    with pytest.raises(FeedSourceValidationError) as raised:
        add_feed_source(**{"url": BLOG, "added_by": "ops", **kwargs})
    assert set(raised.value.fields) == fields
    assert list_feed_sources() == []


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
    (recorded,) = list_feed_sources()
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
    recorded = {s.id: s for s in list_feed_sources()}
    assert (recorded[broken.id].consecutive_failures, recorded[broken.id].last_pulled_at) == (2, "2026-11-24T06:00:00Z")
    assert recorded[blog.id].consecutive_failures == 0

    pages[BROKEN] = rss(("Back", "https://down.example.net/back"))
    pull_feeds(serving(pages), now=TUESDAY)

    recovered = {s.id: s for s in list_feed_sources()}[broken.id]
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
        remove_feed_source(blog.id)
        return rss(("Late", "https://blog.example.com/late"))

    pull_feeds(fetch, now=MONDAY)

    assert list_feed_sources() == []


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


def test_listing_the_sources_is_a_query_of_their_index_never_a_scan(aws: None) -> None:
    from functions import aws as clients

    sources = [add_feed_source(url, added_by="ops", now=moment) for url, moment in ((NEWS, TUESDAY), (BLOG, MONDAY))]
    calls: list[tuple[str, str | None]] = []
    clients.dynamodb().meta.events.register(
        "before-call.dynamodb",
        lambda model, params, **_: calls.append((model.name, json.loads(params["body"]).get("IndexName"))),
    )

    assert list_feed_sources() == sources[::-1]  # oldest first
    assert calls == [("Query", "all_sources")]


def test_sources_registered_before_the_index_are_indexed_once_by_the_operator(aws: None, capsys: Any) -> None:
    from functions import aws as clients
    from functions import cli
    from functions.config import settings

    blog, news = add_feed_source(BLOG, added_by="ops"), add_feed_source(NEWS, added_by="ops")
    clients.dynamodb().update_item(  # as written before the index existed
        TableName=settings().feed_sources_table, Key={"id": {"S": blog.id}}, UpdateExpression="REMOVE all_sources"
    )
    assert list_feed_sources() == [news]

    assert cli.main(["index-feed-sources"]) == 0
    assert capsys.readouterr().out.strip() == "2 feed sources read, 1 indexed"
    assert {s.id for s in list_feed_sources()} == {blog.id, news.id}
    assert cli.main(["index-feed-sources"]) == 0
    assert capsys.readouterr().out.strip() == "2 feed sources read, 0 indexed"


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

    from functions.content import feed_sources

    blog, news = add_feed_source(BLOG, added_by="ops"), add_feed_source(NEWS, added_by="ops")
    pages = {BLOG: rss(("Fine", "https://blog.example.com/fine")), NEWS: rss(("Late", "https://news.example.org/l"))}
    real = feed_sources._record_pull

    def record(source_id: str, result: Any, moment: str) -> None:
        if source_id == news.id:
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "UpdateItem")
        real(source_id, result, moment)

    monkeypatch.setattr(feed_sources, "_record_pull", record)
    records = [message({"source_id": blog.id}, "m-blog"), message({"source_id": news.id}, "m-news")]

    report = handle_pull_records(records, serving(pages), MONDAY)

    assert report.response() == {"batchItemFailures": [{"itemIdentifier": "m-news"}]}
    assert set(report.sources) == {blog.id}
    recorded = {s.id: s for s in list_feed_sources()}
    assert (recorded[blog.id].last_pulled_at, recorded[news.id].last_pulled_at) == ("2026-11-23T06:00:00Z", None)


def test_the_worker_skips_removed_sources_and_drops_unreadable_messages(aws: None) -> None:
    blog = add_feed_source(BLOG, added_by="ops")
    remove_feed_source(blog.id)
    records = [
        message({"source_id": blog.id}, "m-removed"),
        message("not json", "m-garbage"),
        message({"source": "x"}, "m-no-id"),
        message([1, 2], "m-list"),
    ]

    report = handle_pull_records(records, serving({}), MONDAY)

    assert (report.sources, report.response()) == ({}, {"batchItemFailures": []})
    assert list_feed_sources() == []
