"""Feed articles without I/O: one spelling per article, and feed entries turned into draft fields."""

from __future__ import annotations

import pytest

from functions.content.feed_parsing import read_feed
from functions.content.feed_pulls import draft_from
from functions.content.feed_store import FeedSource
from functions.content.urls import canonical_url, content_id_for_url, without_tracking
from tests.unit.test_feed_parsing import FEED_URL, RSS


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("HTTPS://Blog.Example.COM:443/Posts/Plan/", "https://blog.example.com/Posts/Plan"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/", "http://example.com:8080/"),
        ("https://example.com/?", "https://example.com/"),
        ("https://example.com/a/#section", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1&utm_source=x&UTM_Campaign=y&fbclid=z&gclid=w", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?q=&z=1", "https://example.com/a?q=&z=1"),
        ("https://Zażółć.example/x", "https://xn--za-6ja4f8n1l.example/x"),  # the same host as its IDN
        ("https://[2606:4700::1111]:443/dns", "https://[2606:4700::1111]/dns"),
    ],
)
def test_canonical_url_is_one_spelling_per_article(spelling: str, canonical: str) -> None:
    assert canonical_url(spelling) == canonical


def test_every_spelling_of_an_article_has_the_same_content_id() -> None:
    spellings = [
        "https://blog.example.com/posts/plan?id=7",
        "HTTPS://BLOG.example.com:443/posts/plan/?utm_source=rss&id=7#top",
        "https://blog.example.com/posts/plan?fbclid=abc&id=7",
    ]
    assert len({content_id_for_url(url) for url in spellings}) == 1
    assert content_id_for_url(spellings[0]) != content_id_for_url("http://blog.example.com/posts/plan?id=7")
    assert content_id_for_url(spellings[0]) != content_id_for_url("https://blog.example.com/posts/plan?id=8")


def test_tracking_parameters_are_dropped_and_everything_else_kept_as_written() -> None:
    url = "https://example.com/a/?z=1&utm_source=rss&a=%20b&fbclid=x#frag"
    assert without_tracking(url) == "https://example.com/a/?z=1&a=%20b#frag"


def test_an_entry_becomes_a_draft_with_the_sources_language_topics_and_kind() -> None:
    source = FeedSource(
        id="f1",
        url=FEED_URL,
        added_by="admin",
        added_at="2026-11-22T08:00:00Z",
        language="pl",
        topics=("engineering", "cloud"),
        kind="company",
    )
    entry = read_feed(RSS, FEED_URL).entries[0]

    draft = draft_from(entry, source)

    assert draft.status == "draft"
    assert draft.id == content_id_for_url("https://blog.example.com/posts/plan?id=7&utm_campaign=other")
    assert (draft.url, draft.title, draft.summary, draft.image_url) == (
        entry.url,
        entry.title,
        entry.summary,
        entry.image_url,
    )
    assert (draft.language, draft.topics, draft.kind) == ("pl", ("engineering", "cloud"), "company")
