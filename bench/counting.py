"""What counting a click costs at a realistic load: DynamoDB write units per click, and dollars per million.

The load: clicks spread Zipf-like (s = 1) over 5,000 short links held by 2,000 employees in 20 teams,
70% human (the rest bots, link previews and mail scanners), one UTC day, some visitors coming back. The
events are stored as the redirect stores them and handed to the real stream handler
(``functions.stats.counters.apply_stream_batch``) in batches of two sizes:

* as Lambda delivers them at 1 million clicks a day (~12 a second) with the template's 1-second batching
  window: about 12 records a batch;
* 100 a batch (the event source's maximum, reached only in a burst).

Write units are what DynamoDB on-demand bills, from the items actually written: the event itself (1 unit
per KB), each item of a transaction twice (transactions cost 2x, per KB of the item's final size), and
each leaderboard-index entry the counters touch (an index key that changes is a delete and a put: 2 units;
an entry that changes otherwise, or appears, 1). moto bills nothing, so the rules are applied here.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

LINKS = 5_000
EMPLOYEES = 2_000
TEAMS = 20
CONTENT = 400
NETWORKS = ("linkedin", "x", "facebook", "whatsapp", "email")
CLICKS = 3_000
BATCHES = (12, 100)  # as delivered at ~12 clicks a second with a 1 s window; the maximum
FILTERED = (("bot", "crawler"), ("preview", "link_preview"), ("scanner", "mail_scanner"))
PRICE_PER_MILLION_WCU = 0.625  # us-east-1 on-demand
LEADERBOARD_INDEXES = 2  # leaderboard, team_leaderboard


@dataclass
class Bill:
    clicks: int = 0
    event_wcu: float = 0
    transactions: int = 0
    transaction_items: int = 0
    transaction_wcu: float = 0
    index_wcu: float = 0
    reads: int = 0
    seconds: float = 0
    written: Counter[str] = field(default_factory=Counter)  # transaction items by kind

    @property
    def wcu_per_click(self) -> float:
        return (self.event_wcu + self.transaction_wcu + self.index_wcu) / self.clicks


def run(clicks: int = CLICKS, batches: tuple[int, ...] = BATCHES, seed: int = 7) -> dict[int, Bill]:
    from infra.local.sandbox import in_process_account

    stream = _clicks(clicks, random.Random(seed))
    bills = {}
    with in_process_account(POWERTOOLS_LOG_LEVEL="ERROR"):  # settings and the event items, as deployed
        for batch in batches:
            bills[batch] = _count(stream, batch)
    return bills


def report(bills: dict[int, Bill]) -> list[str]:
    lines = [
        f"{LINKS:,} links of {EMPLOYEES:,} employees in {TEAMS} teams, Zipf (s = 1), 70% human, one day; "
        "write units as DynamoDB on-demand bills them"
    ]
    for batch, bill in bills.items():
        per = bill.clicks
        kinds = ", ".join(f"{kind} {n / per:.1f}" for kind, n in sorted(bill.written.items()))
        lines.append(
            f"batches of {batch}: {bill.wcu_per_click:.1f} WCU per click = ${bill.wcu_per_click * 0.625:.2f} "
            f"per million clicks (event {bill.event_wcu / per:.2f}, transactions {bill.transaction_wcu / per:.1f}, "
            f"leaderboard indexes {bill.index_wcu / per:.1f}); {bill.transaction_items / per:.1f} transaction items "
            f"per click ({kinds}); {bill.transactions / per:.2f} transactions per click; reads {bill.reads / per:.2f}"
            f" per click; the counters' own code folds {per / bill.seconds:,.0f} clicks/s (no DynamoDB)"
        )
    return lines


@dataclass(frozen=True)
class _Link:
    code: str
    employee: str
    team: str
    content: str
    network: str


def _clicks(count: int, rng: random.Random) -> list[Any]:
    """The day's click events, in arrival order."""
    from functions.events import Event

    teams = [f"team{t:02d}" for t in range(TEAMS)]
    links = [
        _Link(
            code=f"L{n:07d}",
            employee=f"emp{(e := rng.randrange(EMPLOYEES)):05d}",
            team=teams[e % TEAMS],
            content=f"item{rng.randrange(CONTENT):04d}",
            network=rng.choice(NETWORKS),
        )
        for n in range(LINKS)
    ]
    weights = [1 / rank for rank in range(1, LINKS + 1)]
    chosen = rng.choices(links, weights=weights, k=count)
    visitors: dict[str, list[str]] = {}
    events = []
    for n, link in enumerate(chosen):
        at = f"2026-11-23T{8 + n * 10 // max(count, 1):02d}:{n % 60:02d}:{(n * 7) % 60:02d}.000Z"
        seen = visitors.setdefault(link.code, [])
        if rng.random() < 0.7:
            kind, reason = "human", "browser"
            visitor = rng.choice(seen) if seen and rng.random() < 0.15 else f"v{rng.getrandbits(64):016x}"
            seen.append(visitor)
        else:
            kind, reason = rng.choice(FILTERED)
            visitor = f"v{rng.getrandbits(64):016x}"
        events.append(
            Event(
                type="click",
                at=at,
                employee_id=link.employee,
                content_id=link.content,
                network=link.network,
                team=link.team,
                code=link.code,
                kind=kind,
                reason=reason,
                visitor=visitor,
                country="PL",
                device="mobile",
                method="GET",
            )
        )
    return events


def _count(events: list[Any], batch: int) -> Bill:
    from functions.events import EventStore
    from functions.stats.counters import apply_stream_batch

    store = EventStore()
    ledger = _Ledger()
    bill = Bill(clicks=len(events))
    records = []
    for n, event in enumerate(events):
        item = store.item(event)
        bill.event_wcu += math.ceil(_size(item) / 1024)
        records.append({"eventName": "INSERT", "dynamodb": {"NewImage": item, "SequenceNumber": f"{n:021d}"}})
    started = time.perf_counter()
    for start in range(0, len(records), batch):
        failures = apply_stream_batch(records[start : start + batch], client=ledger)["batchItemFailures"]
        if failures:
            raise RuntimeError(f"{len(failures)} records failed to count")
    bill.seconds = time.perf_counter() - started
    bill.transactions = ledger.transactions
    bill.reads = ledger.reads
    _bill(bill, ledger)
    return bill


class _Ledger:
    """Takes the counters' transactions as DynamoDB would: all or nothing, conditions on the markers honoured.

    Not moto: moto deep-copies its tables on every transaction (150 clicks took 142 s and 3.7 GB here), so
    a realistic day cannot be counted on it. The figures depend only on which items the counters write,
    and how big they grow, which this keeps.
    """

    def __init__(self) -> None:
        import boto3

        self.exceptions = boto3.client("dynamodb", region_name="us-east-1").exceptions
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.written: list[tuple[str, tuple[str, str], dict[str, Any]]] = []  # (action, key, item after)
        self.transactions = 0
        self.cancelled_items = 0
        self.reads = 0

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        self.transactions += 1
        reasons = [
            {"Code": "ConditionalCheckFailed"}
            if "Put" in t and _key(t["Put"]["Item"]) in self.items
            else {"Code": "None"}
            for t in TransactItems
        ]
        if any(r["Code"] != "None" for r in reasons):
            error = {"Error": {"Code": "TransactionCanceledException"}, "CancellationReasons": reasons}
            raise self.exceptions.TransactionCanceledException(error, "TransactWriteItems")
        for request in TransactItems:
            (action, body), *_ = request.items()
            if action == "Put":
                key = _key(body["Item"])
                self.items[key] = dict(body["Item"])
            else:
                key = _key(body["Key"])
                self.items[key] = _updated(self.items.get(key, dict(body["Key"])), body)
            self.written.append((action, key, self.items[key]))
        return {}


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


def _updated(item: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The item after the counters' update: ``SET #x = :x`` and ``ADD #a :a`` only, as counters.py writes."""
    names, values = update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]
    after = dict(item)
    for placeholder, name in names.items():
        value = values[":" + placeholder[1:]]
        if placeholder.startswith("#a"):
            after[name] = {"N": str(int(after.get(name, {"N": "0"})["N"]) + int(value["N"]))}
        else:
            after[name] = value
    return after


def _bill(bill: Bill, ledger: _Ledger) -> None:
    """Transactions cost two units per KB of each item; a leaderboard entry's change one (two if its key moved)."""
    indexed: dict[tuple[str, str], str] = {}  # board entries and their points
    bill.transaction_items += ledger.cancelled_items
    bill.transaction_wcu += 2 * ledger.cancelled_items
    bill.written["cancelled"] += ledger.cancelled_items
    for action, key, item in ledger.written:
        bill.transaction_items += 1
        bill.written[key[0].split("#", 1)[0].lower()] += 1
        bill.transaction_wcu += 2 * max(1, math.ceil(_size(item) / 1024))
        if action == "Update" and "lb" in item:
            points = item.get("points", {"N": "0"})["N"]
            moved = key in indexed and indexed[key] != points
            bill.index_wcu += LEADERBOARD_INDEXES * (2 if moved else 1)
            indexed[key] = points


def _size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: attribute names plus values (numbers ~1 byte per 2 digits)."""
    total = 0
    for name, value in item.items():
        total += len(name.encode())
        (kind, data), *_ = value.items()
        total += len(str(data)) // 2 + 1 if kind == "N" else len(str(data).encode())
    return total
