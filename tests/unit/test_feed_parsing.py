"""Reading a feed without I/O or AWS: RSS and Atom bytes in, the entries the library can use out."""

from __future__ import annotations

import subprocess
import sys

import pytest

from functions.content.feed_parsing import MAX_ENTRIES_PER_PULL, MAX_FEED_BYTES, plain_text, read_feed
from tests.conftest import ROOT

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


def test_a_feed_cut_mid_entry_keeps_the_entries_before_the_cut() -> None:
    feed = b'<rss version="2.0"><channel><title>x</title><item><title>Whole</title>'
    feed += b"<link>https://blog.example.com/whole</link></item><item><title>Cut</tit"
    reading = read_feed(feed, FEED_URL)
    assert [(e.title, e.url) for e in reading.entries] == [("Whole", "https://blog.example.com/whole")]
    assert (reading.skipped, reading.error) == (1, None)  # the cut entry has no link


def test_a_feed_that_is_not_well_formed_xml_is_still_read() -> None:
    feed = b'<rss version="2.0"><channel><title>x</title><item><title>Fish & chips</title>'
    feed += b"<link>https://blog.example.com/fish</link></item></channel></rss>"  # a bare "&"
    (entry,) = read_feed(feed, FEED_URL).entries
    assert (entry.title, entry.url) == ("Fish & chips", "https://blog.example.com/fish")


@pytest.mark.parametrize(
    "item",
    [
        "<title>No link</title>",
        "<title>Blank link</title><link>   </link>",
        '<title>Guid only</title><guid isPermaLink="false">post-17</guid>',  # an id, not an address
    ],
)
def test_an_rss_entry_without_a_link_is_skipped_and_counted(item: str) -> None:
    feed = f'<rss version="2.0"><channel><title>x</title><item>{item}</item></channel></rss>'.encode()
    reading = read_feed(feed, FEED_URL)
    assert (reading.entries, reading.skipped, reading.error) == ([], 1, None)


def test_an_atom_entry_without_a_link_is_skipped_and_a_relative_one_resolved() -> None:
    feed = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>'
    feed += b"<entry><title>No link</title><id>urn:1</id></entry>"
    feed += b'<entry><title>Relative</title><link href="/p/2"/><id>urn:2</id></entry></feed>'
    reading = read_feed(feed, "https://news.example.org/atom")
    assert [(e.title, e.url) for e in reading.entries] == [("Relative", "https://news.example.org/p/2")]
    assert reading.skipped == 1


def test_a_plain_text_title_is_never_read_as_markup() -> None:
    feed = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><entry>'
    feed += b'<title type="text">a &lt; b &amp;&amp; c &gt; d</title><link href="https://a.example.com/x"/>'
    feed += b"<id>urn:1</id></entry></feed>"
    assert read_feed(feed, FEED_URL).entries[0].title == "a < b && c > d"


def test_a_feed_over_the_size_limit_is_an_error_without_parsing() -> None:
    reading = read_feed(b" " * (MAX_FEED_BYTES + 1), FEED_URL)
    assert reading.entries == []
    assert reading.error == f"the feed is larger than {MAX_FEED_BYTES} bytes"


def test_reading_loads_no_aws_and_feedparser_only_when_a_feed_is_read() -> None:
    probe = (
        "import sys; from functions.content import feed_parsing as f; before = 'feedparser' in sys.modules;"
        "f.read_feed(b'<rss version=\"2.0\"><channel><title>x</title></channel></rss>', 'https://a.example.com/');"
        "aws = [m for m in ('boto3', 'botocore', 'functions.aws') if m in sys.modules];"
        "print(before, 'feedparser' in sys.modules, aws)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False True []"
