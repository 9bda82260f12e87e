"""DynamoDB's limits on key values, enforced on every call as AWS does; moto checks them only on writes.

AWS answers ``ValidationException`` when a key value is an empty string or longer than the key may be
(2,048 bytes for a partition key, 1,024 for a sort key) — on GetItem, BatchGetItem, DeleteItem,
UpdateItem and a Query's key condition too. moto accepts those reads and answers "not found", so a
request that puts a client's text into a key passes under moto and fails with a 500 in AWS. Tests that
feed hostile input register this on the app's DynamoDB client to see what AWS would do.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

HASH_KEY_MAX_BYTES = 2048
RANGE_KEY_MAX_BYTES = 1024
_CONDITION = re.compile(
    r"begins_with\(\s*(?P<bw_name>[#\w.]+)\s*,\s*(?P<bw_value>:\w+)\s*\)"
    r"|(?P<name>[#\w.]+)\s*(?:=|<=|>=|<|>)\s*(?P<value>:\w+)"
    r"|(?P<between_name>[#\w.]+)\s+BETWEEN\s+(?P<low>:\w+)\s+AND\s+(?P<high>:\w+)",
    re.IGNORECASE,
)


def enforce_key_limits(client: Any) -> None:
    """Make ``client`` refuse what DynamoDB refuses: empty or oversized key values in any call."""
    schemas = _key_schemas()

    def keys_of(table: str, index: str | None = None) -> tuple[str, str | None]:
        return schemas[(table, index)]

    def check(operation: str, table: str, key: dict[str, Any], index: str | None = None) -> None:
        hash_name, range_name = keys_of(table, index)
        for name, limit in ((hash_name, HASH_KEY_MAX_BYTES), (range_name, RANGE_KEY_MAX_BYTES)):
            if name is None or name not in key:
                continue
            value = next(iter(key[name].values()))
            size = len(value.encode("utf-8", "surrogatepass")) if isinstance(value, str) else len(str(value))
            if isinstance(value, str) and size == 0:
                _refuse(
                    operation,
                    f"The AttributeValue for a key attribute cannot contain an empty string value. Key: {name}",
                )
            if size > limit:
                _refuse(operation, f"Size of key {name} has exceeded the maximum size limit of {limit} bytes")

    def before(params: dict[str, Any], model: Any, **_: Any) -> None:
        operation = model.name
        if operation in ("GetItem", "DeleteItem", "UpdateItem"):
            check(operation, params["TableName"], params["Key"])
        elif operation == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                for key in request["Keys"]:
                    check(operation, table, key)
        elif operation in ("TransactGetItems", "TransactWriteItems"):
            for entry in params["TransactItems"]:
                for kind, action in entry.items():
                    if kind != "Put":
                        check(operation, action["TableName"], action["Key"])
        elif operation == "Query":
            names = params.get("ExpressionAttributeNames", {})
            values = params.get("ExpressionAttributeValues", {})
            condition: dict[str, Any] = {}
            for match in _CONDITION.finditer(params.get("KeyConditionExpression", "")):
                name = match["bw_name"] or match["name"] or match["between_name"]
                for placeholder in (match["bw_value"], match["value"], match["low"], match["high"]):
                    if placeholder:
                        condition[names.get(name, name)] = values[placeholder]
            check(operation, params["TableName"], condition, params.get("IndexName"))

    client.meta.events.register("before-parameter-build.dynamodb", before)


def _key_schemas() -> dict[tuple[str, str | None], tuple[str, str | None]]:
    """(table, index) → (hash key, range key), from the template the tables are created from: reading them
    from DynamoDB would be a call of this instrument's own in the middle of the app's."""
    from infra.resources import tables

    schemas: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    for spec in tables().values():
        table = spec["create"]["TableName"]
        indexes = [(i["IndexName"], i["KeySchema"]) for i in spec["create"].get("GlobalSecondaryIndexes", [])]
        for name, schema in [(None, spec["create"]["KeySchema"]), *indexes]:
            kinds = {part["KeyType"]: part["AttributeName"] for part in schema}
            schemas[(table, name)] = (kinds["HASH"], kinds.get("RANGE"))
    return schemas


def _refuse(operation: str, message: str) -> None:
    error = {"Code": "ValidationException", "Message": f"One or more parameter values were invalid: {message}"}
    raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)
