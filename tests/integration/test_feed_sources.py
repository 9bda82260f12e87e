"""Feed sources in moto: admins register, list and remove feeds; one feed is one source, however spelled."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.content.feed_sources import FeedSourceValidationError, add_feed_source
from functions.content.feed_store import FeedSourceExistsError, FeedSourceNotFoundError, FeedSourceStore

BLOG = "https://blog.example.com/feed.xml"
NEWS = "https://news.example.org/atom"
MONDAY = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def test_a_feed_is_registered_listed_and_removed(aws: None) -> None:
    source = add_feed_source(BLOG, language="pl", topics=["Cloud", "cloud", "AI"], kind="company", added_by="ops")

    assert FeedSourceStore().all() == [source]
    assert (source.language, source.topics, source.kind, source.added_by) == ("pl", ("cloud", "ai"), "company", "ops")
    FeedSourceStore().remove(source.id)
    assert FeedSourceStore().all() == []
    with pytest.raises(FeedSourceNotFoundError):
        FeedSourceStore().remove(source.id)


def test_the_same_feed_cannot_be_registered_twice_under_another_spelling(aws: None) -> None:
    source = add_feed_source(BLOG, added_by="ops")
    with pytest.raises(FeedSourceExistsError) as raised:
        add_feed_source("HTTPS://BLOG.example.com:443/feed.xml?utm_source=x#top", added_by="someone else")
    assert raised.value.source_id == source.id
    assert FeedSourceStore().all() == [source]


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
    assert FeedSourceStore().all() == []


def test_listing_the_sources_is_a_query_of_their_index_never_a_scan(aws: None) -> None:
    from functions import aws as clients

    sources = [add_feed_source(url, added_by="ops", now=moment) for url, moment in ((NEWS, TUESDAY), (BLOG, MONDAY))]
    calls: list[tuple[str, str | None]] = []
    clients.dynamodb().meta.events.register(
        "before-call.dynamodb",
        lambda model, params, **_: calls.append((model.name, json.loads(params["body"]).get("IndexName"))),
    )

    assert FeedSourceStore().all() == sources[::-1]  # oldest first
    assert calls == [("Query", "all_sources")]


def test_sources_registered_before_the_index_are_indexed_once_by_the_operator(aws: None, capsys: Any) -> None:
    from functions import aws as clients
    from functions import cli
    from functions.config import settings

    blog, news = add_feed_source(BLOG, added_by="ops"), add_feed_source(NEWS, added_by="ops")
    clients.dynamodb().update_item(  # as written before the index existed
        TableName=settings().feed_sources_table, Key={"id": {"S": blog.id}}, UpdateExpression="REMOVE all_sources"
    )
    assert FeedSourceStore().all() == [news]

    assert cli.main(["index-feed-sources"]) == 0
    assert capsys.readouterr().out.strip() == "2 feed sources read, 1 indexed"
    assert {s.id for s in FeedSourceStore().all()} == {blog.id, news.id}
    assert cli.main(["index-feed-sources"]) == 0
    assert capsys.readouterr().out.strip() == "2 feed sources read, 0 indexed"
