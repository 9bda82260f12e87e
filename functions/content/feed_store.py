"""The only module that knows how feed sources are stored in DynamoDB.

Table ``feed_sources``, key ``id`` (functions.content.urls.feed_source_id_for_url: one id per canonical
feed URL, so a conditional put refuses the same feed under another spelling). One item per source:
``{id, url, language, topics, kind, added_by, added_at, all_sources, last_pulled_at?, last_error?,
consecutive_failures, items_created}``. ``all_sources`` is the constant ``"registered"``: it puts every
source in one partition of the ``all_sources`` index (sorted by ``added_at``), so listing them is a Query,
never a Scan.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from functions import aws
from functions.config import settings
from functions.dynamo import from_item, is_condition_failure, to_item

SOURCES_INDEX = "all_sources"  # the index, and the attribute that is its partition key
REGISTERED = "registered"  # that attribute's one value


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


class FeedSourceExistsError(ValueError):
    """This feed (by canonical URL) is already registered."""

    def __init__(self, source_id: str) -> None:
        super().__init__(f"this feed is already registered as {source_id}")
        self.source_id = source_id


class FeedSourceNotFoundError(LookupError):
    """No feed source has this id."""


class FeedSourceStore:
    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or settings().feed_sources_table
        self.client = client or aws.dynamodb()

    def add(self, source: FeedSource) -> None:
        """Store a new source; FeedSourceExistsError if its id (its canonical URL) is stored already."""
        record = {**asdict(source), "topics": list(source.topics), SOURCES_INDEX: REGISTERED}
        try:
            self.client.put_item(
                TableName=self.table, Item=to_item(record), ConditionExpression="attribute_not_exists(id)"
            )
        except Exception as exc:
            if is_condition_failure(exc):
                raise FeedSourceExistsError(source.id) from None
            raise

    def get(self, source_id: str) -> FeedSource | None:
        """The source with this id as stored now, or None."""
        key = {"id": {"S": source_id}}
        item = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        return _source(from_item(item)) if item else None

    def all(self) -> list[FeedSource]:
        """Every registered feed, oldest first: a Query of the one ``all_sources`` partition, page by page.

        The index is eventually consistent: a source registered a moment ago may be missing for that moment.
        """
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": SOURCES_INDEX,
            "KeyConditionExpression": "#all = :registered",
            "ExpressionAttributeNames": {"#all": SOURCES_INDEX},
            "ExpressionAttributeValues": {":registered": {"S": REGISTERED}},
        }
        sources: list[FeedSource] = []
        while True:
            page = self.client.query(**request)
            sources += [_source(from_item(item)) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(sources, key=lambda s: (s.added_at, s.id))

    def remove(self, source_id: str) -> None:
        """Forget a source (FeedSourceNotFoundError if there is none); the items it created stay."""
        try:
            self.client.delete_item(
                TableName=self.table, Key={"id": {"S": source_id}}, ConditionExpression="attribute_exists(id)"
            )
        except Exception as exc:
            if is_condition_failure(exc):
                raise FeedSourceNotFoundError(source_id) from None
            raise

    def record_pull(self, source_id: str, moment: str, created: int, error: str | None) -> None:
        """Stamp a pull on its source: ``created`` adds to ``items_created``; an ``error`` is kept in
        ``last_error`` and counted in ``consecutive_failures``, a pull without one clears both.

        A source removed during the pull stays removed (nothing is written).
        """
        values: dict[str, Any] = {":now": {"S": moment}, ":n": {"N": str(created)}}
        if error:
            expression = (
                "SET last_pulled_at = :now, last_error = :error ADD consecutive_failures :one, items_created :n"
            )
            values.update({":error": {"S": error}, ":one": {"N": "1"}})
        else:
            expression = (
                "SET last_pulled_at = :now, consecutive_failures = :zero REMOVE last_error ADD items_created :n"
            )
            values[":zero"] = {"N": "0"}
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"id": {"S": source_id}},
                UpdateExpression=expression,
                ExpressionAttributeValues=values,
                ConditionExpression="attribute_exists(id)",
            )
        except Exception as exc:
            if not is_condition_failure(exc):
                raise

    def backfill_index(self) -> tuple[int, int]:
        """Put sources registered before the ``all_sources`` index into it; (sources read, sources indexed).

        A one-off operator migration (``python -m functions.cli index-feed-sources``): it reads the whole
        table, so never on a request or a schedule.
        """
        read = indexed = 0
        request: dict[str, Any] = {"TableName": self.table, "ProjectionExpression": "id, #all"}
        request["ExpressionAttributeNames"] = {"#all": SOURCES_INDEX}
        while True:
            page = self.client.scan(**request)
            for item in page.get("Items", []):
                read += 1
                if SOURCES_INDEX not in item and self._index(item["id"]):
                    indexed += 1
            if "LastEvaluatedKey" not in page:
                return read, indexed
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _index(self, key: dict[str, Any]) -> bool:
        """Put one stored source into the index; False if it was removed meanwhile."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"id": key},
                UpdateExpression="SET #all = :registered",
                ConditionExpression="attribute_exists(id)",
                ExpressionAttributeNames={"#all": SOURCES_INDEX},
                ExpressionAttributeValues={":registered": {"S": REGISTERED}},
            )
        except Exception as exc:
            if not is_condition_failure(exc):
                raise
            return False
        return True


def _source(record: dict[str, Any]) -> FeedSource:
    known = FeedSource.__dataclass_fields__
    values = {k: v for k, v in record.items() if k in known}
    values["topics"] = tuple(values.get("topics", ()))
    return FeedSource(**values)
