"""Drive a DynamoDB stream handler locally, the way Lambda's event source mapping does in AWS.

Reads each shard of the table's stream from moto, hands batches to the handler in Lambda's event
format, and honours ``batchItemFailures``: on a partial failure it re-reads the shard from the first
failed record, so only that record and the ones after it are delivered again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], dict[str, Any] | None]


class StreamPump:
    def __init__(self, dynamodb: Any, streams: Any, table: str, handler: Handler, batch_size: int = 100) -> None:
        self.streams = streams
        self.handler = handler
        self.batch_size = batch_size
        self.arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self.iterators: dict[str, str | None] = {}

    def start(self, position: str = "LATEST") -> None:
        """Begin at LATEST (ignore what is already there) or TRIM_HORIZON (replay all of it)."""
        for shard in self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]:
            self.iterators[shard["ShardId"]] = self._iterator(shard["ShardId"], position)

    def _iterator(self, shard: str, position: str, sequence: str | None = None) -> str:
        kwargs: dict[str, Any] = {"StreamArn": self.arn, "ShardId": shard, "ShardIteratorType": position}
        if sequence:
            kwargs["SequenceNumber"] = sequence
        return self.streams.get_shard_iterator(**kwargs)["ShardIterator"]

    def pump(self) -> int:
        """Deliver what is waiting on every shard; return how many records were counted."""
        if not self.iterators:
            self.start("TRIM_HORIZON")
        delivered = 0
        for shard, iterator in list(self.iterators.items()):
            while iterator:
                response = self.streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
                records = response.get("Records", [])
                if not records:
                    self.iterators[shard] = response.get("NextShardIterator")
                    break
                for record in records:
                    record["eventSourceARN"] = self.arn
                result = self.handler({"Records": records}) or {}
                failures = [f["itemIdentifier"] for f in result.get("batchItemFailures", [])]
                if failures:
                    first = min(failures, key=int)
                    self.iterators[shard] = self._iterator(shard, "AT_SEQUENCE_NUMBER", first)
                    delivered += sum(int(r["dynamodb"]["SequenceNumber"]) < int(first) for r in records)
                    return delivered  # retried on the next pump, as Lambda retries the shard
                delivered += len(records)
                iterator = response.get("NextShardIterator")
                self.iterators[shard] = iterator
        return delivered
