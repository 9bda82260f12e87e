"""The only module that knows how content items are stored in DynamoDB.

Published items carry sparse index attributes: ``feed_lang`` / ``feed_all`` as partition and
``feed_sk = <1|0 important>#<publish_start>#<id>`` as sort key, so one Query, newest first, yields the
feed with important items on top. Every item is also indexed by stored status and last change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from functions import aws
from functions.config import settings
from functions.content.model import ContentItem, content_from_record
from functions.dynamo import from_item, to_item

TOPIC_READ_AHEAD = 5


class ContentNotFoundError(LookupError):
    pass


class ContentConflictError(RuntimeError):
    """Someone else changed the item since it was read."""


class ContentExistsError(ValueError):
    """An item with this id is already stored: ``add`` wrote nothing."""


@dataclass(frozen=True)
class Page:
    items: list[ContentItem]
    last_key: dict[str, Any] | None  # DynamoDB's LastEvaluatedKey, for the caller's cursor
    consumed_capacity: float = 0.0


class ContentStore:
    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or settings().content_table
        self.client = client or aws.dynamodb()

    def get(self, content_id: str) -> ContentItem | None:
        response = self.client.get_item(TableName=self.table, Key={"id": {"S": content_id}})
        item = response.get("Item")
        return content_from_record(from_item(item)) if item else None

    def get_many(self, content_ids: Iterable[str], attributes: Sequence[str] = ()) -> dict[str, ContentItem]:
        """The items that exist among these ids: BatchGetItem, 100 keys at a time (never a Scan); with
        ``attributes``, only those are read (and ``id``, ``url``, ``title``, ``slug``, which an item needs)."""
        ids = list(dict.fromkeys(content_ids))
        found: dict[str, ContentItem] = {}
        for start in range(0, len(ids), 100):
            request: dict[str, Any] = {self.table: {"Keys": [{"id": {"S": i}} for i in ids[start : start + 100]]}}
            if attributes:
                names = dict.fromkeys(("id", "url", "title", "slug", *attributes))
                request[self.table]["ProjectionExpression"] = ", ".join(f"#a{n}" for n in range(len(names)))
                request[self.table]["ExpressionAttributeNames"] = {f"#a{n}": name for n, name in enumerate(names)}
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self.table, []):
                    content = content_from_record(from_item(item))
                    found[content.id] = content
                request = response.get("UnprocessedKeys") or {}
        return found

    def add(self, content: ContentItem) -> None:
        """Store a new item; ContentExistsError if one with its id is stored already."""
        try:
            self.client.put_item(**self.add_request(content))
        except self.client.exceptions.ConditionalCheckFailedException:
            raise ContentExistsError(content.id) from None

    def add_request(self, content: ContentItem) -> dict[str, Any]:
        """The Put that ``add`` makes (for a transaction): refused if an item with this id is stored already."""
        return {"TableName": self.table, "Item": _item(content), "ConditionExpression": "attribute_not_exists(id)"}

    def replace(self, content: ContentItem, expected_updated_at: str) -> None:
        """Store a revision, unless the item changed since ``expected_updated_at`` was read."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item=_item(content),
                ConditionExpression="attribute_exists(id) AND updated_at = :seen",
                ExpressionAttributeValues={":seen": {"S": expected_updated_at}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            raise ContentConflictError(content.id) from None

    def feed_page(
        self, language: str | None, topic: str | None, now_iso: str, limit: int, start_key: dict[str, Any] | None
    ) -> Page:
        """One Query on a feed index: published items whose window contains ``now_iso``."""
        index, key, value = (
            ("feed_all", "feed_all", "published") if language is None else ("feed_by_language", "feed_lang", language)
        )
        conditions = ["publish_start <= :now", "(attribute_not_exists(publish_end) OR publish_end > :now)"]
        values: dict[str, Any] = {":k": {"S": value}, ":now": {"S": now_iso}}
        if topic:
            conditions.append("contains(topics, :topic)")
            values[":topic"] = {"S": topic}
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": f"{key} = :k",
            "FilterExpression": " AND ".join(conditions),
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            # A topic filter drops most of what is read: read ahead so a page is usually full.
            "Limit": limit * TOPIC_READ_AHEAD if topic else limit,
            "ReturnConsumedCapacity": "TOTAL",
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        page = _page(self.client.query(**kwargs))
        if len(page.items) <= limit:
            return page
        # More matched than asked for: stop at the last item shown and continue after it next time.
        last = page.items[limit - 1]
        resume = {"id": {"S": last.id}, key: {"S": value}, "feed_sk": {"S": feed_sort_key(last)}}
        return Page(page.items[:limit], resume, page.consumed_capacity)

    def by_status(self, status: str, limit: int, start_key: dict[str, Any] | None) -> Page:
        """Items with a stored status, most recently changed first (one Query per page)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "by_status",
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": {"S": status}},
            "ScanIndexForward": False,
            "Limit": limit,
            "ReturnConsumedCapacity": "TOTAL",
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        return _page(self.client.query(**kwargs))


def _page(response: dict[str, Any]) -> Page:
    items = [content_from_record(from_item(item)) for item in response.get("Items", [])]
    consumed = float((response.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0))
    return Page(items, response.get("LastEvaluatedKey"), consumed)


def _item(content: ContentItem) -> dict[str, Any]:
    record = asdict(content)
    record["topics"] = list(content.topics)
    if content.status == "published":
        record["feed_lang"] = content.language
        record["feed_all"] = "published"
        record["feed_sk"] = feed_sort_key(content)
    return to_item(record)


def feed_sort_key(content: ContentItem) -> str:
    """Important first, then the newest publish_start (the index is read in descending order)."""
    return f"{1 if content.important else 0}#{content.publish_start}#{content.id}"
