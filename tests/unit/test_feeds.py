"""Feed reading without I/O: one spelling per article, and feed entries turned into draft fields."""

from __future__ import annotations

import pytest

from functions.content.feed_sources import MAX_ENTRIES_PER_PULL, FeedSource, draft_from, plain_text, read_feed
from functions.content.urls import canonical_url, content_id_for_url, without_tracking

FEED_URL = "https://blog.example.com/feed.xml"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>Example blog</title><link>https://blog.example.com/</link>
  <item>
    <title>AT&amp;T&#8217;s plan &lt;3</title>
    <link>https://blog.example.com/posts/plan/?utm_source=rss&amp;utm_medium=feed&amp;id=7</link>
    <description>&lt;p&gt;Fish &amp;amp; chips&lt;br/&gt;for &lt;b&gt;everyone&lt;/b&gt;&lt;/p&gt;
      &lt;script&gt;alert(1)&lt;/script&gt;</description>
    <media:content url="https://cdn.example.com/plan.jpg" medium="image" />
  </item>
  <item><title>No link at all</title><description>Skipped</description></item>
  <item><link>https://blog.example.com/untitled</link></item>
  <item><title>A script link</title><link>javascript:alert(1)</link></item>
  <item>
    <guid isPermaLink="true">https://blog.example.com/posts/guid</guid>
    <title>Linked by its guid</title>
    <enclosure url="https://cdn.example.com/guid.png" type="image/png" length="10" />
  </item>
  <item>
    <title>Relative</title><link>/posts/relative</link>
    <media:thumbnail url="https://cdn.example.com/thumb.jpg" />
  </item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>News</title><id>urn:x</id><updated>2026-11-01T00:00:00Z</updated>
  <entry>
    <title type="html">Kod &amp;lt;em&amp;gt;jako&amp;lt;/em&amp;gt; tekst</title>
    <link rel="alternate" href="https://news.example.org/p/1#comments" />
    <link rel="enclosure" type="image/jpeg" href="https://news.example.org/p/1.jpg" />
    <id>urn:1</id><updated>2026-11-01T00:00:00Z</updated>
    <content type="html">&lt;h2&gt;Zażółć&lt;/h2&gt;&lt;p&gt;gęślą jaźń&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Internal</title><link rel="alternate" href="http://10.0.0.7/secret" /><id>urn:2</id>
    <updated>2026-11-01T00:00:00Z</updated>
  </entry>
</feed>""".encode()


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


def test_html_becomes_plain_text_with_entities_decoded_and_scripts_dropped() -> None:
    html = "<p>Fish &amp; chips&nbsp;&#8212;</p><script>alert(1)</script><style>p{}</style><ul><li>one</li><li>two"
    assert plain_text(html) == "Fish & chips — one two"


def test_an_rss_feed_becomes_entries_and_entries_without_link_or_title_are_skipped() -> None:
    reading = read_feed(RSS, FEED_URL)

    assert reading.error is None
    assert reading.skipped == 3  # no link, no title, a javascript: link
    first, by_guid, relative = reading.entries
    assert first.title == "AT&T\u2019s plan <3"
    assert first.url == "https://blog.example.com/posts/plan/?id=7"
    assert first.summary == "Fish & chips for everyone"
    assert first.image_url == "https://cdn.example.com/plan.jpg"
    assert (by_guid.url, by_guid.image_url) == (
        "https://blog.example.com/posts/guid",
        "https://cdn.example.com/guid.png",
    )
    assert (relative.url, relative.image_url) == (
        "https://blog.example.com/posts/relative",
        "https://cdn.example.com/thumb.jpg",
    )


def test_an_atom_feed_becomes_entries_with_html_titles_read_as_text() -> None:
    reading = read_feed(ATOM, "https://news.example.org/atom")

    assert reading.error is None
    assert reading.skipped == 1  # the internal address is never a destination
    (entry,) = reading.entries
    assert entry.title == "Kod <em>jako</em> tekst"  # markup the author wrote as text stays text
    assert entry.url == "https://news.example.org/p/1#comments"
    assert entry.summary == "Zażółć gęślą jaźń"
    assert entry.image_url == "https://news.example.org/p/1.jpg"


def test_an_unusable_image_is_dropped_and_the_article_kept() -> None:
    feed = RSS.replace(b"https://cdn.example.com/plan.jpg", b"http://169.254.169.254/latest")
    assert read_feed(feed, FEED_URL).entries[0].image_url is None


def test_long_summaries_are_trimmed_to_what_the_model_accepts() -> None:
    words = " ".join(["word"] * 600)
    feed = RSS.replace(b"Fish &amp;amp; chips", words.encode())
    summary = read_feed(feed, FEED_URL).entries[0].summary
    assert len(summary) <= 1000
    assert summary.endswith("word…")


def test_entries_per_pull_are_capped() -> None:
    items = b"".join(
        b"<item><title>T%d</title><link>https://a.example.com/%d</link></item>" % (n, n) for n in range(80)
    )
    feed = b'<rss version="2.0"><channel><title>x</title>' + items + b"</channel></rss>"
    reading = read_feed(feed, FEED_URL)
    assert len(reading.entries) == MAX_ENTRIES_PER_PULL
    assert reading.entries[0].title == "T0"  # feeds list newest first


@pytest.mark.parametrize(
    "data",
    [b"\x00\xff\xfe not xml", b"<html><body><p>A web page, not a feed</p></body></html>", b"", b"/etc/passwd"],
)
def test_bytes_that_are_not_a_feed_are_an_error_not_a_crash(data: bytes) -> None:
    reading = read_feed(data, FEED_URL)
    assert reading.entries == []
    assert reading.error and "not an RSS or Atom feed" in reading.error


def test_an_empty_feed_is_not_an_error() -> None:
    reading = read_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>', FEED_URL)
    assert (reading.entries, reading.error) == ([], None)


def test_a_feed_in_a_legacy_encoding_is_decoded() -> None:
    feed = '<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>x</title>'
    feed += "<item><title>Привет</title><link>https://ru.example.com/1</link></item></channel></rss>"
    assert read_feed(feed.encode("cp1251"), FEED_URL).entries[0].title == "Привет"


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
