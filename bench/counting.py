"""What storing and counting a click costs at a realistic load, and what a million clicks cost (ADR 9).

The realistic day of ``bench.clickstream`` (1 million clicks a day, ≈ 12 a second, Zipf over 5,000 links of
2,000 employees in 20 teams, 70% human) is written to the event log as the redirect writes it, slice by
slice, and each slice is counted by the real counting run (``functions.stats.counting.run_once``) as the
schedule would count it. Its write and read units are DynamoDB on-demand's, from the items' sizes
(functions/stats/meter.py): the event itself, then what the run reads and writes (employee items, boards,
the checkpoint, the lease). The first slice of a day writes small boards, so the figure at realistic load
is the slices after it (boards near their 150 entries). The same is measured for one hot link taking every
click, and the redirect's link lookups for the same stream with its warm caches.

The price table turns the measured operations into dollars per million clicks at us-east-1 on-demand list
prices (the constants below). What is not measured here is said on its line: the redirect's Lambda time
is an assumption; the counting run's Lambda time is measured over moto, which is slower than DynamoDB.
The designs not chosen are priced on the same stream (bench/counting_designs.py).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.clickstream import PER_SECOND, Click, SliceLoad, clicks, count_slices

ROOT = Path(__file__).resolve().parents[1]

# us-east-1 list prices (USD)
API_GATEWAY_REST = 3.50 / 1e6  # per request (the API's front door; clicks go through CloudFront instead)
CLOUDFRONT_HTTPS_REQUEST = 0.0100 / 10_000  # United States, Canada, Europe
CLOUDFRONT_GB_OUT = 0.085  # to the internet, first 10 TB a month
RESPONSE_BYTES = 1024  # assumed: a 302's status line and headers, the function's (~0.3 KB) and CloudFront's (~0.4 KB)
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_SECOND = 0.0000166667
DYNAMODB_WRITE_UNIT = 0.625 / 1e6  # on-demand
DYNAMODB_READ_UNIT = 0.125 / 1e6
S3_PUT = 0.005 / 1000
S3_GET = 0.0004 / 1000
S3_GB_MONTH = 0.023
FIREHOSE_GB = 0.029  # ingested, each record rounded up to 5 KB
FIREHOSE_PARQUET_GB = 0.018  # format conversion, on the same volume
FIREHOSE_RECORD_BYTES = 5 * 1024

REDIRECT_SECONDS = 0.010  # assumed billed duration of a warm redirect: one PutItem round trip in the region, a few ms
WARM_INSTANCES = 2  # redirect Lambdas sharing the clicks (12 a second × ~20 ms needs fewer than one)
BUDGET = 1.25  # issue 11: storing and counting a million clicks
CLICK_BUDGET = 2.50  # issue 14: a million clicks, front door included


@dataclass
class Measured:
    """One run of the counting over one stream."""

    loads: list[SliceLoad]
    archive_bytes: int  # the raw events archived to S3, gzipped

    @property
    def steady(self) -> list[SliceLoad]:
        return self.loads[1:] or self.loads

    @property
    def clicks(self) -> int:
        return sum(load.clicks for load in self.steady)

    @property
    def event_write_units(self) -> float:
        return sum(load.event_write_units for load in self.steady) / self.clicks

    @property
    def counting_write_units(self) -> float:
        return sum(load.report.usage.write_units for load in self.steady) / self.clicks

    @property
    def counting_read_units(self) -> float:
        return sum(load.report.usage.read_units for load in self.steady) / self.clicks

    def operations(self, name: str) -> float:
        """Calls of one kind (``s3:PutObject``) per click."""
        return sum(load.report.usage.operations.get(name, 0) for load in self.steady) / self.clicks

    @property
    def seconds_per_click(self) -> float:
        return sum(load.report.seconds for load in self.steady) / self.clicks


@dataclass
class Figures:
    realistic: Measured
    hot: Measured
    link_read_units: float  # per click, the redirect's link lookups
    hot_link_read_units: float
    designs: list[Any] = field(default_factory=list)


def run(slices: int = 3, per_second: float = PER_SECOND) -> Figures:
    from bench.counting_designs import stream_batches, tumbling_windows

    stream = clicks(slices * 300, per_second=per_second)
    hot = clicks(300, per_second=per_second, hot=True)
    return Figures(
        realistic=_measure(stream),
        hot=_measure(hot),
        link_read_units=link_lookups(stream) * 0.5 / len(stream),  # eventually consistent GetItem, < 4 KB
        hot_link_read_units=link_lookups(hot) * 0.5 / len(hot),
        designs=[stream_batches(stream), tumbling_windows(stream)],
    )


def _measure(stream: list[Click]) -> Measured:
    import boto3

    from functions.config import settings
    from infra.local.sandbox import in_process_account

    with in_process_account(POWERTOOLS_LOG_LEVEL="ERROR"):
        loads = list(count_slices(stream))
        pages = (
            boto3.client("s3")
            .get_paginator("list_objects_v2")
            .paginate(Bucket=settings().data_bucket, Prefix="events/")
        )
        archived = sum(item["Size"] for page in pages for item in page.get("Contents", []))
    return Measured(loads, archived)


def link_lookups(stream: list[Click], instances: int = WARM_INSTANCES, seed: int = 11) -> int:
    """The redirect's GetItems for the stream: a lookup when the instance a click lands on has no fresh
    copy of the link (functions/links/redirect.py keeps each for ``link_cache_seconds``)."""
    from functions.config import settings

    ttl = settings().link_cache_seconds
    rng = random.Random(seed)
    fresh_until: list[dict[str, float]] = [{} for _ in range(instances)]
    lookups = 0
    for click in stream:
        cache, now = rng.choice(fresh_until), click.at.timestamp()
        if cache.get(click.link.code, 0.0) <= now:
            lookups += 1
            cache[click.link.code] = now + ttl
    return lookups


def memory_gb(function: str) -> float:
    stage = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["dev"]
    own = stage.get("lambda_functions", {}).get(function, {})
    return own.get("lambda_memory_size", stage["lambda_memory_size"]) / 1024


def front_door_memory_gb() -> float:
    from infra.resources import template

    return int(template()["Resources"]["FrontDoor"]["Properties"]["MemorySize"]) / 1024


def prices(m: Measured, link_read_units: float) -> list[tuple[str, float, bool]]:
    """(line, USD per million clicks, part of storing and counting)."""
    million = 1e6
    puts, gets = m.operations("s3:PutObject") * million, m.operations("s3:GetObject") * million
    s3_gb = m.archive_bytes / m.clicks * million / 1e9 if m.clicks else 0.0
    return [
        ("front door: CloudFront, one HTTPS request a click", CLOUDFRONT_HTTPS_REQUEST * million, False),
        (
            f"front door: CloudFront's data out, {RESPONSE_BYTES / 1024:.0f} KB a response (assumed) at "
            f"${CLOUDFRONT_GB_OUT}/GB; the Function URL behind it adds nothing to the Lambda's price",
            RESPONSE_BYTES * million / 2**30 * CLOUDFRONT_GB_OUT,
            False,
        ),
        (
            f"Lambda, the front door: a request and ~{REDIRECT_SECONDS * 1000:.0f} ms (assumed) at "
            f"{front_door_memory_gb() * 1024:.0f} MB",
            (LAMBDA_REQUEST + REDIRECT_SECONDS * front_door_memory_gb() * LAMBDA_GB_SECOND) * million,
            False,
        ),
        (
            "DynamoDB reads, redirect: link lookups",
            link_read_units * DYNAMODB_READ_UNIT * million,
            False,
        ),
        (
            f"DynamoDB writes, the event ({m.event_write_units:.2f} WCU)",
            m.event_write_units * DYNAMODB_WRITE_UNIT * million,
            True,
        ),
        (
            f"DynamoDB writes, counting ({m.counting_write_units:.2f} WCU)",
            m.counting_write_units * DYNAMODB_WRITE_UNIT * million,
            True,
        ),
        (
            f"DynamoDB reads, counting ({m.counting_read_units:.2f} RCU)",
            m.counting_read_units * DYNAMODB_READ_UNIT * million,
            True,
        ),
        (
            f"S3: archive and day state ({puts:,.0f} PUTs, {gets:,.0f} GETs), "
            f"archive {s3_gb * 1000:.0f} MB kept a month",
            puts * S3_PUT + gets * S3_GET + s3_gb * S3_GB_MONTH,
            True,
        ),
        (
            f"Lambda, count_events: {m.seconds_per_click * million:,.0f} s at "
            f"{memory_gb('count_events') * 1024:.0f} MB "
            "(measured over moto: an upper bound)",
            m.seconds_per_click * million * memory_gb("count_events") * LAMBDA_GB_SECOND
            + len(m.steady) / m.clicks * million * LAMBDA_REQUEST,
            True,
        ),
        ("SQS: the click backlog, only for clicks whose write failed", 0.0, True),
    ]


def report(f: Figures) -> list[str]:
    m, hot = f.realistic, f.hot
    writes = m.event_write_units + m.counting_write_units
    reads = f.link_read_units + m.counting_read_units
    lines = [
        f"counting: {writes:.2f} write units and {reads:.2f} read units per click at realistic load",
        f"counting, one hot link: {hot.event_write_units + hot.counting_write_units:.2f} write units and "
        f"{f.hot_link_read_units + hot.counting_read_units:.2f} read units per click",
        f"  ({m.clicks:,} clicks in {len(m.steady)} slice(s) after the day's first; the event "
        f"{m.event_write_units:.2f} WCU, counting {m.counting_write_units:.2f} WCU and "
        f"{m.counting_read_units:.2f} RCU, "
        f"link lookups {f.link_read_units:.2f} RCU)",
    ]
    for n, load in enumerate(m.loads):
        usage = load.report.usage
        ops = ", ".join(f"{count} {op}" for op, count in sorted(usage.operations.items()))
        lines.append(
            f"  slice {n + 1}: {load.clicks:,} clicks, {load.report.employees} employees, {load.report.boards} boards; "
            f"{usage.write_units / max(load.clicks, 1):.3f} WCU and {usage.read_units / max(load.clicks, 1):.3f} RCU "
            f"a click for counting; {ops}"
        )
    lines.append("cost per million clicks (us-east-1 list prices):")
    table = prices(m, f.link_read_units)
    for line, usd, _ in table:
        lines.append(f"  ${usd:7.3f}  {line}")
    storing = sum(usd for _, usd, counted in table if counted)
    total = sum(usd for _, usd, _ in table)
    lines.append(
        f"  storing and counting: ${storing:.2f} per million clicks (budget ${BUDGET:.2f}: "
        f"{storing / BUDGET:.0%} of it); everything: ${total:.2f} (budget ${CLICK_BUDGET:.2f}, front door included)"
    )
    via_api_gateway = total - table[0][1] - table[1][1] + API_GATEWAY_REST * 1e6
    lines.append(
        f"  through API Gateway REST instead of CloudFront: ${via_api_gateway:.2f} (the API's own routes stay "
        "behind it: admins and employees, a few requests a day)"
    )
    lines.append("the designs not chosen, on the same stream (storing and counting, DynamoDB writes only):")
    for design in f.designs:
        usd = design.wcu_per_click * DYNAMODB_WRITE_UNIT * 1e6
        lines.append(
            f"  {design.wcu_per_click:5.1f} WCU a click, ${usd:6.2f} per million ({usd / max(storing, 1e-9):.0f}× the "
            f"chosen design's storing and counting): {design.name}"
        )
    firehose = FIREHOSE_RECORD_BYTES * 1e6 / 2**30 * (FIREHOSE_GB + FIREHOSE_PARQUET_GB)
    firehose_total = storing - m.event_write_units * DYNAMODB_WRITE_UNIT * 1e6 + firehose
    lines.append(
        f"  {m.counting_write_units:5.2f} WCU a click, ${firehose_total:6.2f} per million: (c) Kinesis Data Firehose → "
        f"S3 Parquet (${firehose:.2f} for 1 million records of ≤ 5 KB, ingest and conversion) counted as the chosen "
        "design counts, without the event's DynamoDB write"
    )
    return lines
