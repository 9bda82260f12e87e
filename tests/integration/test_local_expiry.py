"""`make run` expires TTL items as DynamoDB does (moto stores the TTL attribute but never deletes)."""

from __future__ import annotations

from typing import Any

import boto3

from infra.local.expiry import TtlSweeper, ttl_attributes
from infra.resources import tables

NOW = 1_790_000_000  # a fixed clock: 2026-09-21


def key(spec: dict[str, Any], name: str) -> dict[str, Any]:
    """A primary key for one of the template's tables, whatever its key attributes are."""
    types = {a["AttributeName"]: a["AttributeType"] for a in spec["AttributeDefinitions"]}
    return {
        part["AttributeName"]: {"N": str(sum(map(ord, name)))} if types[part["AttributeName"]] == "N" else {"S": name}
        for part in spec["KeySchema"]
    }


def names(dynamodb: Any, table: str) -> set[str]:
    items = dynamodb.scan(TableName=table)["Items"]
    return {item["label"]["S"] for item in items}


def test_every_table_the_template_gives_a_ttl_is_swept_and_no_other() -> None:
    expected = {spec["create"]["TableName"]: spec["ttl"]["AttributeName"] for spec in tables().values() if spec["ttl"]}
    assert ttl_attributes() == expected
    assert "chorus-dev-events" in expected and "chorus-dev-links" not in expected


def test_expired_items_disappear_and_the_others_stay(aws: None) -> None:
    dynamodb = boto3.client("dynamodb")
    specs = {spec["create"]["TableName"]: spec["create"] for spec in tables().values()}
    attributes = ttl_attributes()
    ages = {
        "expired an hour ago": {"N": str(NOW - 3600)},
        "expired this second": {"N": str(NOW)},
        "expires in a minute": {"N": str(NOW + 60)},
        "expired six years ago": {"N": str(NOW - 6 * 365 * 86400)},  # DynamoDB ignores such old TTLs
        "ttl is not a number": {"S": str(NOW - 3600)},
        "no ttl": None,
    }
    for table, attribute in attributes.items():
        for label, ttl in ages.items():
            item = {**key(specs[table], label), "label": {"S": label}}
            if ttl is not None:
                item[attribute] = ttl
            dynamodb.put_item(TableName=table, Item=item)

    deleted = TtlSweeper(dynamodb, attributes, clock=lambda: NOW).sweep()

    assert deleted == dict.fromkeys(attributes, 2)
    for table in attributes:
        assert names(dynamodb, table) == {
            "expires in a minute",
            "expired six years ago",
            "ttl is not a number",
            "no ttl",
        }, table
    assert TtlSweeper(dynamodb, attributes, clock=lambda: NOW).sweep() == dict.fromkeys(attributes, 0)
    later = TtlSweeper(dynamodb, attributes, clock=lambda: NOW + 61).sweep()
    assert later == dict.fromkeys(attributes, 1)  # a minute on, the next one goes


def test_an_item_whose_ttl_moved_on_meanwhile_is_kept(aws: None) -> None:
    """The sweep deletes on condition: an item renewed between the Scan and the delete stays, as in DynamoDB."""
    dynamodb = boto3.client("dynamodb")
    table, attribute = next(iter(ttl_attributes().items()))
    spec = next(s["create"] for s in tables().values() if s["create"]["TableName"] == table)
    item_key = key(spec, "renewed")
    dynamodb.put_item(TableName=table, Item={**item_key, "label": {"S": "renewed"}, attribute: {"N": str(NOW - 5)}})
    sweeper = TtlSweeper(dynamodb, {table: attribute}, clock=lambda: NOW)
    original_scan = dynamodb.scan

    def scan_then_renew(**kwargs: Any) -> Any:
        page = original_scan(**kwargs)
        dynamodb.put_item(
            TableName=table, Item={**item_key, "label": {"S": "renewed"}, attribute: {"N": str(NOW + 600)}}
        )
        return page

    dynamodb.scan = scan_then_renew
    assert sweeper.sweep() == {table: 0}
    dynamodb.scan = original_scan
    assert names(dynamodb, table) == {"renewed"}
