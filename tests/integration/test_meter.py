"""functions/stats/meter.py's ``meter_calls``: the units a client's own calls are billed, over moto."""

from __future__ import annotations

import os
from typing import Any


def test_a_clients_own_calls_are_metered_as_dynamodb_bills_them(aws: None) -> None:
    from functions import aws as chorus_aws
    from functions.stats.meter import Usage, meter_calls

    client = chorus_aws.dynamodb()
    table = os.environ["EVENTS_TABLE"]
    usage = Usage()
    stop = meter_calls(client, usage)
    big: dict[str, Any] = {"pk": {"S": "x"}, "sk": {"S": "1"}, "blob": {"S": "a" * 1500}}  # 2 KB: 2 units
    client.put_item(TableName=table, Item=big)
    client.get_item(TableName=table, Key={"pk": {"S": "x"}, "sk": {"S": "1"}})  # ≤ 4 KB, eventually: ½
    small = [{"Put": {"TableName": table, "Item": {"pk": {"S": "y"}, "sk": {"S": str(n)}}}} for n in range(2)]
    client.transact_write_items(TransactItems=small)  # two small items in a transaction: 2 × 2
    stop()
    client.put_item(TableName=table, Item=big)  # not metered any more
    assert (usage.write_units, usage.read_units) == (6, 0.5)
    assert usage.operations == {
        "dynamodb:PutItem": 1,
        "dynamodb:GetItem": 1,
        "dynamodb:TransactWriteItems": 1,
    }
