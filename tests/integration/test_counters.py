"""The stream handler: batched counter updates, exactly once, with partial batch failures."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.exceptions import ClientError

from functions.stats.counters import apply_stream_batch
from functions.stats.leaderboard import leaderboard
from tests.conftest import (
    BROWSER_HEADERS,
    SHARER_HEADERS,
    World,
    pump_counters,
    short_code_from_intent,
    signed_share_path,
)


def make_activity(client: Any, world: World, visitors: int) -> str:
    location = client.http.get(
        signed_share_path(world.employee_id, world.content_id, "linkedin"), headers=SHARER_HEADERS
    ).headers["Location"]
    code = short_code_from_intent(location)
    for n in range(visitors):
        headers = {**BROWSER_HEADERS, "User-Agent": f"{BROWSER_HEADERS['User-Agent']} visitor/{n}"}
        client.http.get(f"/{code}", headers=headers)
    client.http.get(f"/{code}", headers={"User-Agent": "Slackbot-LinkExpanding 1.0"})
    return code


def stream_records() -> list[dict[str, Any]]:
    dynamodb, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    arn = dynamodb.describe_table(TableName=os.environ["EVENTS_TABLE"])["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    return records


def counter(pk: str, sk: str = "A") -> dict[str, Any]:
    item = (
        boto3.client("dynamodb")
        .get_item(TableName=os.environ["COUNTERS_TABLE"], Key={"pk": {"S": pk}, "sk": {"S": sk}})
        .get("Item", {})
    )
    return {k: int(v["N"]) for k, v in item.items() if "N" in v and k != "expires_at"}


def test_counters_per_scope_and_period_after_the_stream_runs(client: Any, world: World) -> None:
    code = make_activity(client, world, visitors=3)
    assert pump_counters(client) == 5
    expected = {"shares": 1, "human_clicks": 3, "unique_human_clicks": 3, "filtered_clicks": 1, "filtered_preview": 1}
    for scope in (f"LINK#{code}", "CONTENT#launch", "NET#linkedin"):
        assert counter(scope) == expected
    assert counter(f"EMP#{world.employee_id}") == {**expected, "points": 31}
    assert counter("TEAM#Marketing")["points"] == 31


def test_delivering_the_same_records_again_counts_nothing_twice(client: Any, world: World) -> None:
    make_activity(client, world, visitors=4)
    records = stream_records()
    assert apply_stream_batch(records) == {"batchItemFailures": []}
    assert apply_stream_batch(records) == {"batchItemFailures": []}
    assert apply_stream_batch(records[2:]) == {"batchItemFailures": []}
    [me] = leaderboard("all")
    assert (me.shares, me.human_clicks, me.unique_human_clicks, me.points) == (1, 4, 4, 41)


class FailingOnce:
    """The real DynamoDB client, except that its Nth transaction fails once with a server error."""

    def __init__(self, fail_on_call: int) -> None:
        self._client = boto3.client("dynamodb")
        self._fail_on = fail_on_call
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self._fail_on:
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, "TransactWriteItems")
        return self._client.transact_write_items(**kwargs)


def test_a_failed_chunk_reports_only_its_records_and_the_retry_counts_each_once(client: Any, world: World) -> None:
    from functions.content.model import new_content
    from functions.content.store import ContentStore

    # Many distinct content items make the batch larger than one 100-item transaction.
    for n in range(8):
        ContentStore().add(new_content(content_id=f"item{n}", url=f"https://example.com/{n}", title=f"Item {n}"))
    for n in range(8):
        path = signed_share_path(world.employee_id, f"item{n}", "linkedin")
        code = short_code_from_intent(client.http.get(path, headers=SHARER_HEADERS).headers["Location"])
        client.http.get(f"/{code}", headers=BROWSER_HEADERS)
    records = stream_records()
    assert len(records) == 16

    flaky = FailingOnce(fail_on_call=2)
    result = apply_stream_batch(records, client=flaky)
    failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
    assert 0 < len(failed) < len(records)  # the first chunk landed; the rest is reported
    first_failed = min(int(s) for s in failed)
    retry = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) >= first_failed]
    assert {r["dynamodb"]["SequenceNumber"] for r in retry} == set(failed)
    assert apply_stream_batch(retry) == {"batchItemFailures": []}
    assert apply_stream_batch(records) == {"batchItemFailures": []}  # a full replay changes nothing
    [me] = leaderboard("all")
    assert (me.shares, me.human_clicks, me.unique_human_clicks) == (8, 8, 8)


def test_updates_and_ttl_deletions_on_the_stream_are_ignored(aws: None) -> None:
    records = [
        {"eventName": "REMOVE", "dynamodb": {"SequenceNumber": "1", "OldImage": {}}},
        {"eventName": "MODIFY", "dynamodb": {"SequenceNumber": "2", "NewImage": {}}},
    ]
    assert apply_stream_batch(records) == {"batchItemFailures": []}
