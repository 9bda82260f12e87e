"""The only module that knows how short links are stored.

Two items per link in one table: ``L#<code>`` (read on every redirect: everything a redirect and its
click event need, so one GetItem suffices) and ``O#<employee>#<content>#<network>`` (the owner index
that makes asking twice return the same link). Both are written in one transaction, each with a
condition, so a code collision can never overwrite another link and a race never makes two links.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from functions import aws
from functions.clock import utc_stamp
from functions.config import settings
from functions.dynamo import from_item, to_item
from functions.links.codes import new_code

MAX_CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class ShortLink:
    code: str
    employee_id: str
    content_id: str
    network: str
    team: str
    target: str  # the registered destination with UTM tags, ready for a Location header


class CodeSpaceError(RuntimeError):
    """No free code was found after several attempts (should never happen with 62**8 codes)."""


class LinkStore:
    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or settings().links_table
        self.client = client or aws.dynamodb()

    def get(self, code: str) -> ShortLink | None:
        response = self.client.get_item(TableName=self.table, Key={"pk": {"S": f"L#{code}"}})
        return _link(response.get("Item"))

    def find_owned(self, employee_id: str, content_id: str, network: str) -> ShortLink | None:
        key = {"pk": {"S": _owner_key(employee_id, content_id, network)}}
        return _link(self.client.get_item(TableName=self.table, Key=key).get("Item"))

    def create(
        self,
        *,
        employee_id: str,
        content_id: str,
        network: str,
        team: str,
        target: str,
        code_factory: Any = new_code,
    ) -> ShortLink:
        """Create the owner's link, or return the one a concurrent request created first."""
        for _ in range(MAX_CODE_ATTEMPTS):
            link = ShortLink(code_factory(), employee_id, content_id, network, team, target)
            attributes = {**asdict(link), "created_at": utc_stamp()}
            condition = "attribute_not_exists(pk)"
            items = [
                {
                    "Put": {
                        "TableName": self.table,
                        "ConditionExpression": condition,
                        "Item": to_item({"pk": f"L#{link.code}", **attributes}),
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "ConditionExpression": condition,
                        "Item": to_item({"pk": _owner_key(employee_id, content_id, network), **attributes}),
                    }
                },
            ]
            try:
                self.client.transact_write_items(TransactItems=items)
                return link
            except self.client.exceptions.TransactionCanceledException as exc:
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                    existing = self.find_owned(employee_id, content_id, network)
                    if existing:
                        return existing
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    continue  # the code is taken: draw another
                raise
        raise CodeSpaceError(f"no free short code after {MAX_CODE_ATTEMPTS} attempts")

    def retarget(self, content_id: str, target_for: Any) -> int:
        """Point every link of a content item at ``target_for(network)``; return how many items changed."""
        changed = 0
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "by_content",
            "KeyConditionExpression": "content_id = :c",
            "ExpressionAttributeValues": {":c": {"S": content_id}},
        }
        while True:
            page = self.client.query(**kwargs)
            for item in page.get("Items", []):
                self.client.update_item(
                    TableName=self.table,
                    Key={"pk": item["pk"]},
                    UpdateExpression="SET target = :t",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":t": {"S": target_for(item["network"]["S"])}},
                )
                changed += 1
            if "LastEvaluatedKey" not in page:
                return changed
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _owner_key(employee_id: str, content_id: str, network: str) -> str:
    return f"O#{employee_id}#{content_id}#{network}"


def _link(item: dict[str, Any] | None) -> ShortLink | None:
    if not item:
        return None
    record = from_item(item)
    return ShortLink(
        code=record["code"],
        employee_id=record["employee_id"],
        content_id=record["content_id"],
        network=record["network"],
        team=record.get("team", ""),
        target=record["target"],
    )
