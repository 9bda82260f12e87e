"""The only module that knows how content items are stored in DynamoDB."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from functions import aws
from functions.config import settings
from functions.content.model import ContentItem, content_from_record
from functions.dynamo import from_item, to_item


class ContentStore:
    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or settings().content_table
        self.client = client or aws.dynamodb()

    def get(self, content_id: str) -> ContentItem | None:
        response = self.client.get_item(TableName=self.table, Key={"id": {"S": content_id}})
        item = response.get("Item")
        return content_from_record(from_item(item)) if item else None

    def add(self, content: ContentItem) -> None:
        record = asdict(content)
        record["topics"] = list(content.topics)
        self.client.put_item(
            TableName=self.table,
            Item=to_item(record),
            ConditionExpression="attribute_not_exists(id)",
        )
