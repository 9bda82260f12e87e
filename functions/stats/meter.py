"""What a counting run asks of AWS: operations, and the capacity units DynamoDB on-demand bills for them.

``Metered(client)`` stands in for a boto3 client and tallies each call; units are computed from the items
as DynamoDB sizes them (names plus values), since moto bills nothing: a write is 1 unit per KB of the item
(an UpdateItem's new image; a failed condition still costs the item's size; twice that in a transaction), a
read ½ unit per 4 KB eventually consistent or 1 strongly consistent (a Query per page, a BatchGetItem per
item). ``meter_calls`` tallies a client's own calls the same way, for code that creates its own client.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def item_size(item: dict[str, Any]) -> int:
    """An item's size in bytes as DynamoDB counts it."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        digits = len(data.lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode()) for v in data)
    if kind == "NS":
        return sum(_value_size({"N": v}) for v in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in data.items())
    return len(str(data))


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return units if consistent else units / 2


@dataclass
class Usage:
    operations: Counter[str] = field(default_factory=Counter)  # "dynamodb:UpdateItem" -> calls
    write_units: float = 0.0
    read_units: float = 0.0
    written: dict[str, list[int]] = field(default_factory=dict)  # what was written -> item sizes (bytes)
    s3_bytes_written: int = 0

    def wrote(self, kind: str, size: int) -> None:
        self.written.setdefault(kind, []).append(size)


class Metered:
    """A boto3 client whose DynamoDB and S3 calls are tallied in ``usage`` (thread-safe)."""

    def __init__(self, client: Any, usage: Usage) -> None:
        self._client = client
        self._service = client.meta.service_model.service_name
        self._usage = usage
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith(("get_paginator", "can_paginate", "generate_")):
            return attribute
        operation = self._client.meta.method_to_api_mapping.get(name)
        if operation is None:
            return attribute

        def call(**params: Any) -> Any:
            try:
                response = attribute(**params)
            except Exception as exc:
                self._tally(operation, params, getattr(exc, "response", None) or {}, failed=True)
                raise
            self._tally(operation, params, response)
            return response

        return call

    def _tally(self, operation: str, params: dict[str, Any], response: dict[str, Any], failed: bool = False) -> None:
        usage = self._usage
        with self._lock:
            usage.operations[f"{self._service}:{operation}"] += 1
            if self._service == "s3":
                if operation == "PutObject" and not failed:
                    usage.s3_bytes_written += len(params.get("Body", b""))
                return
            if operation == "PutItem":
                usage.write_units += write_units(item_size(params["Item"]))
            elif operation in ("UpdateItem", "DeleteItem"):
                after = response.get("Attributes") or response.get("Item") or params.get("Key", {})
                usage.write_units += write_units(item_size(after))
            elif operation == "GetItem":
                usage.read_units += read_units(item_size(response.get("Item", {})), params.get("ConsistentRead", False))
            elif operation == "Query":
                size = sum(item_size(item) for item in response.get("Items", []))
                usage.read_units += read_units(size, params.get("ConsistentRead", False))
            elif operation == "BatchGetItem":
                for items in response.get("Responses", {}).values():
                    usage.read_units += sum(read_units(item_size(item), False) for item in items)
            elif operation == "TransactWriteItems":  # 2 units per KB of each item (its key, for an update)
                for entry in params.get("TransactItems", []):
                    [request] = entry.values()
                    usage.write_units += 2 * write_units(item_size(request.get("Item") or request.get("Key", {})))


def meter_calls(client: Any, usage: Usage) -> Callable[[], None]:
    """Tally every call ``client`` itself makes (code that holds the client, not a ``Metered`` wrapper) into
    ``usage``, through botocore's events; returns the function that stops it."""
    tally = Metered(client, usage)._tally
    events = client.meta.events

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["metered_params"] = params

    def count(model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        failed = "Error" in parsed
        tally(model.name, context.get("metered_params", {}), parsed, failed=failed)

    events.register("before-parameter-build", remember, unique_id="meter-params")
    events.register("after-call", count, unique_id="meter-count")

    def stop() -> None:
        events.unregister("before-parameter-build", unique_id="meter-params")
        events.unregister("after-call", unique_id="meter-count")

    return stop
