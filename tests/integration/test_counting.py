"""The counting run over moto: each event counted exactly once, however a run is interrupted or repeated."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from functions.events import Event, EventStore
from functions.stats.aggregates import AggregateStore, Checkpoint
from functions.stats.counting import run_once
from functions.stats.leaderboard import leaderboard
from tests.conftest import BROWSER_HEADERS, SHARER_HEADERS, Clock, World, short_code_from_intent, signed_share_path


def click(employee: str, visitor: str, *, at: str, code: str = "", kind: str = "human", team: str = "Sales") -> Event:
    return Event(
        type="click",
        at=at,
        employee_id=employee,
        content_id="launch",
        network="linkedin",
        team=team,
        code=code or f"code-{employee}",
        kind=kind,
        reason="" if kind == "human" else "crawler",
        visitor=visitor,
    )


def share(employee: str, *, at: str, team: str = "Sales", content: str = "launch") -> Event:
    return Event("share", at, employee, content, "linkedin", team, f"code-{employee}")


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write(clock: Clock, events: list[Event]) -> None:
    store = EventStore()
    for event in events:
        store.add(event)


def totals(employee: str, period: str = "A") -> dict[str, int]:
    found = AggregateStore().employee(employee)
    return found.figures.get(period, {}) if found else {}


def board(period: str = "A", scope: str = "*") -> tuple[list[tuple[str, int]], dict[int, int]]:
    stored = AggregateStore().board(period, scope, consistent=True)
    return [(e.employee_id, e.points) for e in stored.top], stored.hist


@pytest.fixture
def activity(clock: Clock) -> None:
    """One slice: Ada (Marketing) 31 points, Cy (Sales) 22, Bob (Sales) 11; a repeat visit and a bot earn nothing."""
    at = iso(clock.at)
    write(
        clock,
        [
            share("ada", at=at, team="Marketing"),
            *(click("ada", f"v{n}", at=at, team="Marketing") for n in range(3)),
            click("ada", "v0", at=at, team="Marketing"),
            click("ada", "bot", at=at, team="Marketing", kind="bot"),
            share("bob", at=at),
            click("bob", "v9", at=at),
            share("cy", at=at),
            share("cy", at=at, content="other"),
            click("cy", "v1", at=at),
            click("cy", "v2", at=at),
        ],
    )
    clock.close_slice()


def assert_counted_once() -> None:
    assert totals("ada") == {"shares": 1, "human_clicks": 4, "unique_human_clicks": 3, "points": 31}
    assert totals("bob") == {"shares": 1, "human_clicks": 1, "unique_human_clicks": 1, "points": 11}
    assert totals("cy") == {"shares": 2, "human_clicks": 2, "unique_human_clicks": 2, "points": 22}
    assert board() == ([("ada", 31), ("cy", 22), ("bob", 11)], {31: 1, 22: 1, 11: 1})
    assert board(scope="Sales") == ([("cy", 22), ("bob", 11)], {22: 1, 11: 1})
    assert board(scope="Marketing") == ([("ada", 31)], {31: 1})


def test_a_slice_is_counted_into_one_item_per_employee_and_one_board_per_period_and_scope(
    activity: None, clock: Clock
) -> None:
    report = run_once()
    assert (report.slices, report.events, report.employees) == (1, 12, 3)
    assert report.boards == 9  # week, month, all time; everyone, Sales, Marketing
    assert_counted_once()
    week, month = datetime.fromtimestamp(clock.at, UTC).strftime("W#%G-W%V"), f"M#{iso(clock.at)[:7]}"
    assert totals("ada", week) == totals("ada", month) == totals("ada")
    operations = report.usage.operations
    # the employees; their first badge and streak week (a second write, only when those change); the lease released
    assert operations["dynamodb:UpdateItem"] == 3 + 3 + 1
    assert operations["dynamodb:PutItem"] == 9 + 3  # the boards, the lease, the first and the next checkpoint


def test_counting_a_slice_again_changes_nothing(activity: None, clock: Clock) -> None:
    store = AggregateStore()
    before = store.checkpoint()
    run_once()
    assert_counted_once()
    after = store.checkpoint()
    store.move_checkpoint(after, Checkpoint(after.slice_end - 300, before.state_key if before else ""))
    report = run_once()  # the same slice, from the same state: every write is already there
    assert report.slices == 1 and report.employees == 3 and report.boards == 0
    assert_counted_once()


class FailingOnce:
    """The real DynamoDB client, except that the ``nth`` ``method`` call on a key starting ``prefix`` fails once."""

    def __init__(self, method: str, prefix: str, nth: int) -> None:
        self.inner = boto3.client("dynamodb")
        self.method, self.prefix, self.nth = method, prefix, nth
        self.seen = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name != self.method:
            return attribute

        def call(**params: Any) -> Any:
            key = params.get("Key") or params.get("Item")
            if key["pk"]["S"].startswith(self.prefix):
                self.seen += 1
                if self.seen == self.nth:
                    raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, name)
            return attribute(**params)

        return call


@pytest.mark.parametrize(
    ("method", "prefix", "nth"),
    [
        ("update_item", "EMP#", 2),  # part-way through the employees
        ("put_item", "BOARD#", 4),  # part-way through the boards
        ("put_item", "CHECKPOINT", 1),  # everything written but the checkpoint
    ],
    ids=["employees", "boards", "checkpoint"],
)
def test_a_run_that_dies_part_way_is_run_again_and_counts_each_event_once(
    activity: None, clock: Clock, method: str, prefix: str, nth: int
) -> None:
    failing = FailingOnce(method, prefix, nth + (1 if prefix == "CHECKPOINT" else 0))  # the 1st is the initial one
    with pytest.raises(ClientError):
        run_once(client=failing)
    assert failing.seen == failing.nth
    report = run_once()
    assert report.slices == 1
    assert_counted_once()
    assert run_once().slices == 0  # and the checkpoint moved on


def test_two_runs_at_once_count_once(activity: None, clock: Clock) -> None:
    store = AggregateStore()
    assert store.take_lease("another run", clock.at, 600)
    busy = run_once()
    assert busy.busy and busy.slices == 0 and totals("ada") == {}
    store.release_lease("another run")

    reports = []
    threads = [threading.Thread(target=lambda: reports.append(run_once())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.slices for r in reports) in ([0, 1], [1, 1])  # the second either waited out or found it done
    assert sum(r.events for r in reports) == 12
    assert_counted_once()


def test_slices_without_events_cost_their_queries_and_one_checkpoint(aws: None, clock: Clock) -> None:
    run_once()  # takes the checkpoint
    clock.at += 10 * 300
    report = run_once()
    assert report.slices == 10 and report.events == 0 and report.employees == report.boards == 0
    writes = {op: n for op, n in report.usage.operations.items() if op.split(":")[1].startswith(("Put", "Update"))}
    assert writes == {"dynamodb:PutItem": 2, "dynamodb:UpdateItem": 1}  # lease, checkpoint; lease released
    assert report.usage.operations["dynamodb:Query"] == 10 * 5 * 10  # 5 minute-buckets x 10 shards a slice
    assert report.usage.s3_bytes_written == 0


def test_a_run_stops_starting_slices_when_its_time_is_up(aws: None, clock: Clock) -> None:
    run_once()
    clock.at += 10 * 300
    ticks = iter(range(1000))
    report = run_once(budget_seconds=3, clock=lambda: float(next(ticks)))
    assert report.slices == 2  # started at 0; slices at 1 and 2; the deadline is 3
    assert run_once().slices == 8


def test_a_slice_across_midnight_a_week_and_a_month_counts_each_event_in_its_own_periods(
    aws: None, clock: Clock
) -> None:
    sunday = datetime(2026, 5, 31, 23, 59, 59, 500000, UTC).timestamp()  # the last of May and of ISO week 22
    clock.at = sunday - 600
    run_once()  # the checkpoint, before that week's end
    clock.at = sunday + 2  # written after midnight: a late Sunday click in Monday's first slice
    write(
        clock,
        [
            click("ada", "v1", at=iso(sunday)),
            share("ada", at=iso(sunday + 30)),
            click("ada", "v2", at=iso(sunday + 31)),
        ],
    )
    clock.close_slice()
    report = run_once()
    assert report.events == 3
    assert (
        totals("ada", "W#2026-W22")
        == totals("ada", "M#2026-05")
        == {"human_clicks": 1, "unique_human_clicks": 1, "points": 10}
    )
    assert (
        totals("ada", "W#2026-W23")
        == totals("ada", "M#2026-06")
        == {"shares": 1, "human_clicks": 1, "unique_human_clicks": 1, "points": 11}
    )
    assert totals("ada", "A")["points"] == 21
    assert board("W#2026-W22") == ([("ada", 10)], {10: 1}) and board("W#2026-W23") == ([("ada", 11)], {11: 1})
    from functions.directory.model import Employee
    from functions.directory.store import EmployeeStore

    EmployeeStore().put(Employee(id="ada", email="ada@example.com", name="Ada", team="Sales"))
    monday = datetime.fromtimestamp(sunday + 3600, UTC)
    assert [s.points for s in leaderboard("week", now=monday)] == [11]
    assert [s.points for s in leaderboard("month", team="Sales", now=monday)] == [11]


def test_figures_of_periods_before_the_previous_one_are_removed(aws: None, clock: Clock) -> None:
    store = AggregateStore()
    long_ago = datetime(2026, 8, 3, 12, 0, tzinfo=UTC).timestamp()  # ISO week 32, August
    for moment in (long_ago, long_ago + 14 * 86400, long_ago + 70 * 86400):  # weeks 32, 34 and 42 (October)
        clock.at = moment
        checkpoint = store.checkpoint()
        if checkpoint:  # nothing was written in between: skip those slices rather than read them all
            store.move_checkpoint(checkpoint, Checkpoint(int(moment - 600) // 300 * 300, checkpoint.state_key))
        else:
            run_once()
        write(clock, [share("ada", at=iso(moment))])
        clock.close_slice()
        assert run_once().events == 1
        if moment == long_ago + 14 * 86400:  # week 34: 32 is two weeks ago, gone with the same update
            assert set(AggregateStore().employee("ada").figures) == {"W#2026-W34", "M#2026-08", "A"}
    figures = AggregateStore().employee("ada").figures
    assert set(figures) == {"W#2026-W42", "M#2026-10", "A"}  # August's figures went with the next update
    assert figures["A"]["shares"] == 3
    assert board("M#2026-08") == ([("ada", 2)], {2: 1})  # the board keeps that month's final standing


def test_someone_who_moves_team_takes_their_standing_with_them(aws: None, clock: Clock) -> None:
    run_once()
    write(clock, [share("ada", at=iso(clock.at), team="Sales"), share("bob", at=iso(clock.at), team="Sales")])
    clock.close_slice()
    run_once()
    write(clock, [click("ada", "v1", at=iso(clock.at), team="Marketing")])
    clock.close_slice()
    run_once()
    assert board(scope="Sales") == ([("bob", 1)], {1: 1})
    assert board(scope="Marketing") == ([("ada", 11)], {11: 1})
    assert board() == ([("ada", 11), ("bob", 1)], {11: 1, 1: 1})


def test_a_click_through_the_api_reaches_the_leaderboard_after_one_run(
    client: Any, world: World, count_clicks: Any
) -> None:
    share = signed_share_path(world.employee_id, world.content_id, "linkedin")
    code = short_code_from_intent(client.http.get(share, headers=SHARER_HEADERS).headers["Location"])
    for n in range(3):
        client.http.get(f"/{code}", headers={**BROWSER_HEADERS, "User-Agent": f"{BROWSER_HEADERS['User-Agent']} v{n}"})
    client.http.get(f"/{code}", headers={"User-Agent": "Slackbot-LinkExpanding 1.0"})
    assert count_clicks()["events"] == 5
    [me] = leaderboard("all")
    assert (me.shares, me.human_clicks, me.unique_human_clicks, me.points) == (1, 3, 3, 31)
    assert count_clicks()["events"] == 0
    [me] = leaderboard("week", team="Marketing")
    assert me.points == 31


def test_a_hot_link_spreads_over_every_shard_and_its_items_are_written_once_a_slice(
    client: Any, world: World, clock: Clock
) -> None:
    from functions import aws
    from functions.config import settings
    from functions.links import redirect

    code = short_code_from_intent(
        client.http.get(
            signed_share_path(world.employee_id, world.content_id, "linkedin"), headers=SHARER_HEADERS
        ).headers["Location"]
    )
    written: dict[str, list[str]] = {}

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        key = params.get("Item") or params.get("Key") or {}
        if "pk" in key:
            written.setdefault(model.name, []).append(key["pk"]["S"])

    aws.dynamodb().meta.events.register("before-parameter-build.dynamodb", record)
    for n in range(5_000):  # in one second of the clock: one bucket
        agent = f"{BROWSER_HEADERS['User-Agent']} v{n % 50}"
        redirect.follow(code, "GET", {**BROWSER_HEADERS, "User-Agent": agent}, f"198.51.{n // 250}.{n % 250}")
    partitions = {pk for pk in written["PutItem"] if pk.startswith("T#")}
    assert len(partitions) == settings().event_shards == 10  # 500 a shard: under a partition's 1,000 a second
    assert len(written["PutItem"]) == 5_000
    written.clear()
    clock.close_slice()
    report = run_once()
    assert report.events == 5_001  # and the share
    assert written["UpdateItem"].count(f"EMP#{world.employee_id}") == 2  # the figures; the badges and streak earned
    boards = [pk for pk in written["PutItem"] if pk.startswith("BOARD#")]
    assert len(boards) == len(set(boards)) == 6  # week, month, all time; everyone and Marketing: once each
    [me] = leaderboard("all")
    assert (me.human_clicks, me.unique_human_clicks) == (5_000, 5_000)


def test_a_day_counted_again_from_its_archive_gives_the_same_totals(aws: None, clock: Clock) -> None:
    from collections import Counter

    from functions.config import settings
    from functions.stats.archive import CountingArchive
    from functions.stats.decide import DayState, decide

    run_once()
    day = iso(clock.at)[:10]
    batches = [
        [click("ada", "v1", at=iso(clock.at)), click("ada", "v2", at=iso(clock.at)), share("bob", at=iso(clock.at))],
        [
            click("ada", "v1", at=iso(clock.at + 300)),
            click("ada", "v3", at=iso(clock.at + 300)),
            click("cy", "v1", at=iso(clock.at + 300)),
        ],
        [
            click("bob", "b", at=iso(clock.at + 600), kind="bot"),
            share("ada", at=iso(clock.at + 600)),
            click("bob", "v1", at=iso(clock.at + 600)),
            click("bob", "v1", at=iso(clock.at + 600)),
        ],
    ]
    for batch in batches:  # three slices, a visitor coming back across them
        write(clock, batch)
        clock.close_slice()
        run_once()
    rows = sorted(CountingArchive().archived_day(day), key=lambda row: (row["at"], row["id"]))
    assert len(rows) == 10
    fields = Event.__dataclass_fields__
    events = [Event(**{k: v for k, v in row.items() if k in fields}) for row in rows]
    s = settings()
    decisions, credits, _ = decide(
        events, DayState(), points_per_unique=s.points_per_unique_human_click, points_per_share=s.points_per_share
    )
    again: dict[str, Counter[str]] = {}
    for credit in credits:
        for metric in ("shares", "human_clicks", "unique_human_clicks", "self_clicks", "points"):
            again.setdefault(credit.employee_id, Counter())[metric] += getattr(credit, metric)
    for employee, figures in again.items():
        assert totals(employee) == {k: v for k, v in figures.items() if v}, employee
    assert [(d.counted, d.reason, d.unique) for d in decisions] == [
        (row["counted"], row["decision"], row["unique"]) for row in rows
    ]
    assert totals("ada") == {"shares": 1, "human_clicks": 4, "unique_human_clicks": 3, "points": 31}


def test_counting_a_realistic_slice_writes_each_employee_and_board_once(aws: None) -> None:
    from bench.clickstream import clicks, count_slices

    [load] = count_slices(clicks(300, per_second=2))
    report, operations = load.report, load.report.usage.operations
    employees = report.employees
    assert report.events == load.clicks == 600 and 0 < employees < 600
    badges = operations["dynamodb:UpdateItem"] - employees - 1  # one per employee credited, the lease's release
    assert badges <= employees // 10  # and a second for an employee who earned a badge (clicks only: no streaks)
    assert report.boards == operations["dynamodb:GetItem"] - 1 <= 3 * (1 + 20)  # each board read and written once
    assert operations["dynamodb:Query"] == 5 * 10  # the slice's five minute-buckets, ten shards each
    assert max(load.report.usage.written["employee"]) <= 1024  # one write unit per employee item
    # The bounds, even at this sixth of the realistic rate (fewer clicks share each employee item):
    # everything the click path and counting write ≤ 2 units a click, read ≤ 0.5.
    assert load.event_write_units / load.clicks + load.counting_write_units_per_click <= 2.0
    assert load.read_units_per_click <= 0.5
