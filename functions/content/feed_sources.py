"""RSS and Atom feeds that admins register, pulled into draft content items.

An article's identity is its canonical URL: the content id is derived from it, so the content table's
conditional put is the de-duplication (no Scan, no extra index). The same article in two feeds, pulled
twice, or also suggested by an employee, becomes one item.

Pulls are fanned out (functions.content.feed_pulls): the hourly schedule queues one message per source
and a queue worker pulls each with ``pull_feed_source``, so a slow feed costs only its own pull.

This module is the only one that knows how feed sources are stored (table ``feed_sources``, key ``id``):
``{id, url, language, topics, kind, added_by, added_at, all_sources, last_pulled_at?, last_error?,
consecutive_failures, items_created}``. ``all_sources`` is the constant ``"registered"``: it puts every
source in one partition of the ``all_sources`` index (sorted by ``added_at``), so listing them is a Query,
never a Scan.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from functions import aws, observability
from functions.clock import utc_stamp
from functions.config import settings
from functions.content.model import ContentItem, ContentValidationError, new_content
from functions.content.store import ContentExistsError, ContentStore
from functions.content.urls import content_id_for_url, feed_source_id_for_url, without_tracking
from functions.dynamo import from_item, is_condition_failure, to_item
from functions.links.destinations import DestinationError, validate_destination
from functions.text import shorten

MAX_ENTRIES_PER_PULL = 50
MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_SUMMARY = 1000  # what the content model accepts
MAX_TITLE = 300
MAX_ERROR = 300
SOURCES_INDEX = "all_sources"  # the index, and the attribute that is its partition key
REGISTERED = "registered"  # that attribute's one value

Fetch = Callable[[str], bytes]


class FeedSourceValidationError(ValueError):
    """The feed source cannot be registered; ``fields`` maps each bad field to its message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid feed source: " + ", ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class FeedSourceExistsError(ValueError):
    """This feed (by canonical URL) is already registered."""

    def __init__(self, source_id: str) -> None:
        super().__init__(f"this feed is already registered as {source_id}")
        self.source_id = source_id


class FeedSourceNotFoundError(LookupError):
    """No feed source has this id."""


@dataclass(frozen=True)
class FeedSource:
    id: str
    url: str
    added_by: str
    added_at: str
    language: str = "en"
    topics: tuple[str, ...] = ()
    kind: str = "third_party"
    last_pulled_at: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    items_created: int = 0  # over all pulls


@dataclass(frozen=True)
class FeedEntry:
    """What one feed entry offers the library, before it becomes a draft."""

    url: str
    title: str
    summary: str = ""
    image_url: str | None = None


@dataclass(frozen=True)
class FeedReading:
    entries: list[FeedEntry]
    skipped: int = 0  # entries without a usable link or title
    error: str | None = None  # set when the bytes are not a feed at all


@dataclass
class SourcePull:
    created: int = 0
    duplicates: int = 0
    skipped: int = 0
    error: str | None = None


# --- Feed sources ----------------------------------------------------------------------------------


def _table() -> str:
    return settings().feed_sources_table


def add_feed_source(
    url: str,
    *,
    language: str = "en",
    topics: Iterable[str] = (),
    kind: str = "third_party",
    added_by: str,
    now: datetime | None = None,
) -> FeedSource:
    """Register a feed; its entries will become drafts in ``language`` with ``topics`` and ``kind``."""
    errors: dict[str, str] = {}
    topics = (topics,) if isinstance(topics, str) else tuple(topics)
    if not isinstance(added_by, str) or not added_by.strip():
        errors["added_by"] = "is required"
    # Every entry becomes a content item, so the source's fields follow the content rules: check them
    # here, through the model itself, so that a bad source cannot fail every pull.
    try:
        probe = new_content(url=url, title="feed", language=language, topics=topics, kind=kind, status="draft")
    except ContentValidationError as exc:
        errors.update(exc.fields)
    try:
        url = validate_destination(url)
    except DestinationError as exc:
        errors["url"] = str(exc)
    if errors:
        raise FeedSourceValidationError(errors)
    source = FeedSource(
        id=feed_source_id_for_url(url),
        url=url,
        added_by=added_by.strip(),
        added_at=utc_stamp(now),
        language=probe.language,
        topics=probe.topics,
        kind=probe.kind,
    )
    record = {**asdict(source), "topics": list(source.topics), SOURCES_INDEX: REGISTERED}
    try:
        aws.dynamodb().put_item(
            TableName=_table(), Item=to_item(record), ConditionExpression="attribute_not_exists(id)"
        )
    except Exception as exc:
        if is_condition_failure(exc):
            raise FeedSourceExistsError(source.id) from None
        raise
    return source


def list_feed_sources() -> list[FeedSource]:
    """Every registered feed, oldest first: a Query of the one ``all_sources`` partition, page by page.

    The index is eventually consistent: a source registered a moment ago may be missing for that moment.
    """
    client = aws.dynamodb()
    request: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": SOURCES_INDEX,
        "KeyConditionExpression": "#all = :registered",
        "ExpressionAttributeNames": {"#all": SOURCES_INDEX},
        "ExpressionAttributeValues": {":registered": {"S": REGISTERED}},
    }
    sources: list[FeedSource] = []
    while True:
        page = client.query(**request)
        sources += [_source_from_record(from_item(item)) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(sources, key=lambda s: (s.added_at, s.id))


def get_feed_source(source_id: str) -> FeedSource | None:
    """The source with this id as stored now, or None."""
    item = aws.dynamodb().get_item(TableName=_table(), Key={"id": {"S": source_id}}, ConsistentRead=True).get("Item")
    return _source_from_record(from_item(item)) if item else None


def index_feed_sources() -> tuple[int, int]:
    """Put sources registered before the ``all_sources`` index into it; (sources read, sources indexed).

    A one-off operator migration (``python -m functions.cli index-feed-sources``): it reads the whole
    table, so never on a request or a schedule.
    """
    client = aws.dynamodb()
    read = indexed = 0
    request: dict[str, Any] = {"TableName": _table(), "ProjectionExpression": "id, #all"}
    request["ExpressionAttributeNames"] = {"#all": SOURCES_INDEX}
    while True:
        page = client.scan(**request)
        for item in page.get("Items", []):
            read += 1
            if SOURCES_INDEX in item:
                continue
            try:
                client.update_item(
                    TableName=_table(),
                    Key={"id": item["id"]},
                    UpdateExpression="SET #all = :registered",
                    ConditionExpression="attribute_exists(id)",
                    ExpressionAttributeNames={"#all": SOURCES_INDEX},
                    ExpressionAttributeValues={":registered": {"S": REGISTERED}},
                )
            except Exception as exc:
                if not is_condition_failure(exc):
                    raise
                continue  # removed meanwhile
            indexed += 1
        if "LastEvaluatedKey" not in page:
            return read, indexed
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def remove_feed_source(source_id: str) -> None:
    """Stop pulling a feed; the items it already created stay."""
    try:
        aws.dynamodb().delete_item(
            TableName=_table(), Key={"id": {"S": source_id}}, ConditionExpression="attribute_exists(id)"
        )
    except Exception as exc:
        if is_condition_failure(exc):
            raise FeedSourceNotFoundError(source_id) from None
        raise


def _source_from_record(record: dict[str, Any]) -> FeedSource:
    known = FeedSource.__dataclass_fields__
    values = {k: v for k, v in record.items() if k in known}
    values["topics"] = tuple(values.get("topics", ()))
    return FeedSource(**values)


# --- Reading a feed (no I/O) -----------------------------------------------------------------------


class _TextOnly(HTMLParser):
    """Text of an HTML fragment: tags dropped, entities decoded, script and style content ignored."""

    _SKIP = frozenset({"script", "style", "template"})
    _BREAKS = frozenset({"p", "br", "div", "li", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def plain_text(html: str) -> str:
    reader = _TextOnly()
    reader.feed(html)
    reader.close()
    return " ".join("".join(reader.parts).split())


def _text_of(value: Any, detail: Any) -> str:
    if not isinstance(value, str):
        return ""
    kind = (detail or {}).get("type", "text/html")
    # text/plain is already text: "a < b" must not be read as a tag.
    return plain_text(value) if "html" in kind else " ".join(value.split())


def _image_of(entry: Any) -> str | None:
    candidates = [
        m.get("url")
        for m in entry.get("media_content") or []
        if m.get("medium") == "image" or str(m.get("type", "")).startswith("image/")
    ]
    candidates += [m.get("url") for m in entry.get("media_thumbnail") or []]
    candidates += [e.get("href") for e in entry.get("enclosures") or [] if str(e.get("type", "")).startswith("image/")]
    for url in candidates:
        try:
            return validate_destination(url)
        except DestinationError:
            continue  # an unusable image never costs the article
    return None


def entry_of(entry: Any) -> FeedEntry | None:
    """A feedparser entry as a FeedEntry, or None without a usable http(s) link and title."""
    title = shorten(_text_of(entry.get("title"), entry.get("title_detail")), MAX_TITLE)
    try:
        url = without_tracking(validate_destination(entry.get("link")))
    except DestinationError:
        return None
    if not title:
        return None
    summary_html, detail = entry.get("summary"), entry.get("summary_detail")
    if not summary_html and entry.get("content"):
        summary_html, detail = entry["content"][0].get("value"), entry["content"][0]
    summary = shorten(_text_of(summary_html, detail), MAX_SUMMARY)
    return FeedEntry(url=url, title=title, summary=summary, image_url=_image_of(entry))


def read_feed(data: bytes, feed_url: str, limit: int = MAX_ENTRIES_PER_PULL) -> FeedReading:
    """Parse RSS or Atom bytes; relative links resolve against ``feed_url``. No I/O."""
    import feedparser

    if len(data) > MAX_FEED_BYTES:
        return FeedReading([], error=f"the feed is larger than {MAX_FEED_BYTES} bytes")
    # A file object, never bare bytes: given bytes, feedparser first tries them as a local file name.
    parsed = feedparser.parse(
        io.BytesIO(data), response_headers={"content-type": "application/xml", "content-location": feed_url}
    )
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        reason = parsed.get("bozo_exception")
        return FeedReading([], error=f"not an RSS or Atom feed ({reason})" if reason else "not an RSS or Atom feed")
    entries: list[FeedEntry] = []
    skipped = 0
    for raw in parsed.entries[:limit]:
        entry = entry_of(raw)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    return FeedReading(entries, skipped)


def draft_from(entry: FeedEntry, source: FeedSource) -> ContentItem:
    """The draft content item for a feed entry (raises ContentValidationError)."""
    return new_content(
        url=entry.url,
        title=entry.title,
        language=source.language,
        summary=entry.summary,
        image_url=entry.image_url,
        topics=source.topics,
        kind=source.kind,
        status="draft",
        content_id=content_id_for_url(entry.url),
        actor=f"feed:{source.id}",
    )


# --- Pulling ---------------------------------------------------------------------------------------


def safe_fetcher() -> Fetch:
    """Feeds read through functions.web.fetch (SSRF-safe, 5 s, size cap) with the feed media types."""
    from functions.web.fetch import FEED_POLICY, fetch_page

    def fetch(url: str) -> bytes:
        page = fetch_page(url, policy=FEED_POLICY)
        if page.truncated:  # a feed cut mid-entry would import half an article
            raise ValueError("the feed is larger than the fetcher reads")
        return page.body

    return fetch


def pull_feed_source(
    source_id: str, fetch: Fetch, now: datetime | None = None, store: ContentStore | None = None
) -> SourcePull | None:
    """Pull one registered feed now and record how it went on it; None if it is no longer registered.

    A broken feed is not an error here: its error is recorded on the source (``last_error``,
    ``consecutive_failures``). Only failing to read or update the source itself raises, so the caller
    can retry.
    """
    source = get_feed_source(source_id)
    if source is None:
        return None
    result = _pull_one(source, fetch, store or ContentStore())
    _record_pull(source.id, result, utc_stamp(now))
    return result


def _pull_one(source: FeedSource, fetch: Fetch, store: ContentStore) -> SourcePull:
    result = SourcePull()
    try:
        reading = read_feed(fetch(source.url), source.url)
        result.skipped = reading.skipped
        result.error = reading.error
        for entry in reading.entries:
            try:
                store.add(draft_from(entry, source))
            except ContentValidationError:
                result.skipped += 1
            except ContentExistsError:
                result.duplicates += 1
            else:
                result.created += 1
    except Exception as exc:  # noqa: BLE001 - whatever breaks one feed is recorded on it; the others go on
        result.error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    if result.error:
        observability.logger().warning("feed_pull_failed", extra={"source": source.id, "error": result.error})
    return result


def _record_pull(source_id: str, result: SourcePull, moment: str) -> None:
    values: dict[str, Any] = {":now": {"S": moment}, ":n": {"N": str(result.created)}}
    if result.error:
        expression = "SET last_pulled_at = :now, last_error = :error ADD consecutive_failures :one, items_created :n"
        values.update({":error": {"S": result.error}, ":one": {"N": "1"}})
    else:
        expression = "SET last_pulled_at = :now, consecutive_failures = :zero REMOVE last_error ADD items_created :n"
        values[":zero"] = {"N": "0"}
    try:
        aws.dynamodb().update_item(
            TableName=_table(),
            Key={"id": {"S": source_id}},
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
            ConditionExpression="attribute_exists(id)",  # removed during the pull: stays removed
        )
    except Exception as exc:
        if not is_condition_failure(exc):
            raise
