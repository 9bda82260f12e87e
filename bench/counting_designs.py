"""The counting designs Chorus did not choose, priced on the same click stream (ADR 9 compares them).

Each design is replayed over ``bench.clickstream`` and its writes are counted item by item, as DynamoDB
on-demand bills them: 1 write unit per item of at most 1 KB, 2 inside a transaction, and for each
leaderboard index entry whose key (the points) moves a delete and a put (2), one that appears 1.

(a) **Stream batches, one checkpoint per shard.** Today's handler, slimmed: no "applied" marker per
    event but one checkpoint per shard in each batch's transaction, and fewer counter items (the
    employee and the team per week, month and all time, which leaderboards need; the link, the item and
    the network per day only). Uniqueness still needs a marker per human click.
(b) **Lambda tumbling windows.** The stream handler keeps a window's sums in its state and writes each
    counter item once per window (300 s) with a watermark condition (no transaction); uniqueness over a
    day outlives a window's 1 MB state, so it still needs a marker per human click.
(c) **Kinesis Data Firehose → S3, counted per delivered file**, priced in ``bench.counting`` from the
    chosen design's measured counting writes: it saves the event's DynamoDB write and pays Firehose per
    record (rounded up to 5 KB).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bench.clickstream import Click

PERIODS = ("W", "M", "A")  # the leaderboard periods (week, month, all time)
LEADERBOARD_INDEXES = 2  # overall and per team


@dataclass(frozen=True)
class DesignCost:
    name: str
    clicks: int
    write_units: float
    read_units: float

    @property
    def wcu_per_click(self) -> float:
        return self.write_units / self.clicks

    @property
    def rcu_per_click(self) -> float:
        return self.read_units / self.clicks


def stream_batches(stream: list[Click], batch: int = 12) -> DesignCost:
    """(a): one transaction per batch with a checkpoint, 9 counter items per click, a marker per human."""
    units = float(len(stream))  # the event itself
    boards = _Boards()
    seen: set[tuple[str, str, str]] = set()
    for start in range(0, len(stream), batch):
        chunk = stream[start : start + batch]
        items = set().union(*(_counter_items(click) for click in chunk))
        markers = 0
        scored: set[str] = set()
        for click in chunk:
            if click.kind != "human":
                continue
            markers += 1  # a conditional "seen" marker, whether or not the visitor is new
            key = (click.link.code, click.visitor, click.at.date().isoformat())
            if key not in seen:
                seen.add(key)
                scored.add(click.link.employee)
        units += 2 * (len(items) + markers + 1)  # transactional: counters, markers, the shard checkpoint
        units += boards.moved(click.link.employee for click in chunk if click.link.employee in scored)
    return DesignCost("(a) stream batches of 12, one checkpoint per shard, 9 counter items", len(stream), units, 0.0)


def tumbling_windows(stream: list[Click], window_seconds: int = 300) -> DesignCost:
    """(b): each counter item written once per window (watermarked), a marker per human click."""
    units = float(len(stream))
    boards = _Boards()
    seen: set[tuple[str, str, str]] = set()
    windows: dict[int, list[Click]] = {}
    for click in stream:
        windows.setdefault(int(click.at.timestamp()) // window_seconds, []).append(click)
    for chunk in windows.values():
        items = set().union(*(_counter_items(click) for click in chunk))
        scored: set[str] = set()
        for click in chunk:
            if click.kind != "human":
                continue
            units += 1  # the day's "seen" marker: a conditional put, outside any transaction
            key = (click.link.code, click.visitor, click.at.date().isoformat())
            if key not in seen:
                seen.add(key)
                scored.add(click.link.employee)
        units += len(items) + 1  # each counter item once, plus the window's checkpoint
        units += boards.moved(scored)
    return DesignCost(f"(b) tumbling windows of {window_seconds} s, watermarked writes", len(stream), units, 0.0)


def _counter_items(click: Click) -> set[tuple[str, str]]:
    day = click.at.date().isoformat()
    link = click.link
    owners = (("EMP", link.employee), ("TEAM", link.team))
    ranked = {(f"{scope}#{value}", p) for scope, value in owners for p in PERIODS}
    return ranked | {(f"LINK#{link.code}", day), (f"CONTENT#{link.content}", day), (f"NET#{link.network}", day)}


class _Boards:
    """Index writes of the employees' counter items: their points key moves in both leaderboard indexes."""

    def __init__(self) -> None:
        self.indexed: set[str] = set()

    def moved(self, employees: Iterable[str]) -> float:
        units = 0.0
        for employee in set(employees):
            units += len(PERIODS) * LEADERBOARD_INDEXES * (2 if employee in self.indexed else 1)
            self.indexed.add(employee)
        return units
