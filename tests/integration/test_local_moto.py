"""`make run`'s moto answers one AWS call at a time, so calls from many threads never corrupt each other."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from infra.local.moto_server import SerialMotoServer

TABLE = "race"
ONE_ATTEMPT = Config(retries={"mode": "standard", "max_attempts": 1})  # a 500 shows, rather than being retried


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = SerialMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def client(endpoint: str) -> Any:
    return boto3.session.Session().client("dynamodb", endpoint_url=endpoint, config=ONE_ATTEMPT)


def test_transactions_and_puts_from_several_threads_all_succeed(moto_endpoint: str) -> None:
    """moto deep-copies a table for each transaction; a put growing that table meanwhile used to fail it (500)."""
    dynamodb = client(moto_endpoint)
    dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for start in range(0, 2_000, 25):  # a table worth copying
        items = [
            {"PutRequest": {"Item": {"pk": {"S": f"old#{n}"}, "sk": {"S": "-"}}}} for n in range(start, start + 25)
        ]
        dynamodb.batch_write_item(RequestItems={TABLE: items})
    failures: list[str] = []
    done = threading.Event()

    def put(thread: int) -> None:
        own, n = client(moto_endpoint), 0
        while not done.is_set():
            try:
                own.put_item(TableName=TABLE, Item={"pk": {"S": f"new#{thread}#{n}"}, "sk": {"S": "-"}})
            except Exception as exc:  # noqa: BLE001 - collected and shown below
                failures.append(f"PutItem: {exc!r}"[:200])
            n += 1

    def transact() -> None:
        own, n = client(moto_endpoint), 0
        while not done.is_set():
            item = {"pk": {"S": f"tx#{n}"}, "sk": {"S": "-"}}
            try:
                own.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": item}}])
            except Exception as exc:  # noqa: BLE001 - collected and shown below
                failures.append(f"TransactWriteItems: {exc!r}"[:200])
            n += 1

    threads = [threading.Thread(target=put, args=(n,)) for n in range(3)] + [threading.Thread(target=transact)]
    for thread in threads:
        thread.start()
    time.sleep(5)
    done.set()
    for thread in threads:
        thread.join()
    assert failures == [], f"{len(failures)} calls failed, e.g. {failures[:2]}"
