"""Importing the directory and offboarding, against the template's employees table in moto."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from functions import aws
from functions.config import settings
from functions.directory.csv_import import DirectoryFileError
from functions.directory.model import Employee, EmployeeNotFoundError, employee_id_for
from functions.directory.service import (
    ImportInterruptedError,
    deactivate_employee,
    import_employees,
    reactivate_employee,
    set_name_visibility,
)
from functions.directory.store import EmployeeStore
from tests.conftest import World

pytestmark = pytest.mark.usefixtures("aws")

HEADER = "email,name,team,locale,timezone,cadence,topics"
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MONDAY_STAMP = "2026-03-02T09:00:00Z"  # MONDAY as the directory stores it


def directory_csv(*lines: str, header: str = HEADER) -> bytes:
    return ("\ufeff" + "\r\n".join((header, *lines)) + "\r\n").encode()


def people(count: int, start: int = 0) -> list[str]:
    return [f"user{n}@example.com,User {n},Team {n % 7},en,UTC,daily,news" for n in range(start, start + count)]


def stored(email: str) -> Employee | None:
    return EmployeeStore().get(employee_id_for(email))


def table_size() -> int:
    return aws.dynamodb().scan(TableName=settings().employees_table, Select="COUNT")["Count"]


class FlakyDynamoDB:
    """The real (moto) client, with DynamoDB's bad days scripted: unprocessed items, failed calls."""

    def __init__(
        self, unprocess_on: tuple[int, ...] = (), fail_on: tuple[int, ...] = (), fail_reads: bool = False
    ) -> None:
        self.real = aws.dynamodb()
        self.calls: Counter[str] = Counter()
        self.unprocess_on = unprocess_on
        self.fail_on = fail_on
        self.fail_reads = fail_reads

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import EndpointConnectionError

        self.calls["batch_get_item"] += 1
        if self.fail_reads:
            raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")
        return self.real.batch_get_item(RequestItems=RequestItems)

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self.real, name)

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        self.calls["batch_write_item"] += 1
        call = self.calls["batch_write_item"]
        if call in self.fail_on:
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "scripted"}}, "BatchWriteItem")
        if call in self.unprocess_on:
            ((table, requests),) = RequestItems.items()
            kept = len(requests) // 2
            self.real.batch_write_item(RequestItems={table: requests[:kept]})
            return {"UnprocessedItems": {table: requests[kept:]}}
        return self.real.batch_write_item(RequestItems=RequestItems)


def flaky_store(**script: Any) -> tuple[EmployeeStore, FlakyDynamoDB]:
    client = FlakyDynamoDB(**script)
    return EmployeeStore(client=client, pause=lambda seconds: None), client


def test_valid_rows_mode_applies_the_good_rows_and_names_each_bad_field_by_line() -> None:
    data = directory_csv(
        'anna@example.com,"Kowalska, Anna",Marketing,pl,Europe/Warsaw,weekly:friday,brand;culture',
        "bad-email,Bob,Sales,en,UTC,daily,",
        "olga@example.com,Ольга Иванова,Engineering,ru,Europe/Nowhere,daily,",
        "ruta@example.com,Rūta Jankauskienė,Engineering,lt,europe/vilnius,,",
    )
    report = import_employees(data, mode="valid_rows", now=MONDAY)

    assert (report.applied, report.created, report.updated, report.unchanged, report.invalid) == (True, 2, 0, 0, 2)
    assert [(e.line, e.fields) for e in report.errors] == [
        (3, {"email": "is not a valid email address (expected name@company.com)"}),
        (4, {"timezone": "must be an IANA time zone such as Europe/Warsaw or UTC"}),
    ]
    assert report.written_lines == (2, 5)
    anna = stored("ANNA@example.com")
    assert anna is not None
    assert (anna.name, anna.locale, anna.timezone, anna.digest_cadence, anna.topics) == (
        "Kowalska, Anna",
        "pl",
        "Europe/Warsaw",
        "weekly:friday",
        ("brand", "culture"),
    )
    ruta = stored("ruta@example.com")
    assert ruta is not None and (ruta.timezone, ruta.digest_cadence, ruta.active) == (
        "Europe/Vilnius",
        "weekly:monday",
        True,
    )
    assert stored("olga@example.com") is None
    assert table_size() == 2


def test_the_report_serialises_for_the_api() -> None:
    report = import_employees(directory_csv("ada@example.com,Ada,Eng,xx,UTC,daily,"), now=MONDAY)
    assert report.public() == {
        "mode": "valid_rows",
        "applied": True,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "invalid": 1,
        "errors": [{"line": 2, "email": "ada@example.com", "fields": {"locale": "must be one of en, pl, lt, ru"}}],
        "written_lines": [],
        "unwritten_lines": [],
        "error": None,
        "choices_kept": [],
    }


def test_all_or_nothing_writes_nothing_when_one_row_is_bad() -> None:
    data = directory_csv(*people(30), "late@example.com,Late,Eng,en,UTC,fortnightly,")
    report = import_employees(data, mode="all_or_nothing", now=MONDAY)

    assert (report.applied, report.created, report.invalid) == (False, 0, 1)
    assert report.errors[0].line == 32 and "digest_cadence" in report.errors[0].fields
    assert table_size() == 0

    fixed = import_employees(directory_csv(*people(30)), mode="all_or_nothing", now=MONDAY)
    assert (fixed.applied, fixed.created) == (True, 30)
    assert table_size() == 30


def test_an_unknown_mode_or_an_unusable_file_writes_nothing() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        import_employees(directory_csv(*people(1)), mode="some_rows")  # type: ignore[arg-type]
    with pytest.raises(DirectoryFileError, match="Unknown columns: salary"):
        import_employees(directory_csv("ada@example.com,Ada,Eng,1", header="email,name,team,salary"))
    assert table_size() == 0


def test_reimporting_with_another_email_case_updates_instead_of_duplicating() -> None:
    import_employees(directory_csv(*people(3)), now=MONDAY)
    again = directory_csv(
        "USER0@Example.COM,User 0,Team 0,en,UTC,daily,news",  # same person, same data
        "User1@example.com,User One,Team 1,en,UTC,daily,news",  # renamed
        "user2@example.com,User 2,Team 2,en,UTC,daily,news",
        "user3@example.com,User 3,Team 3,en,UTC,daily,news",  # new
    )
    later = datetime(2026, 3, 9, tzinfo=UTC)
    report = import_employees(again, now=later)

    assert (report.created, report.updated, report.unchanged) == (1, 1, 2)
    assert report.written_lines == (3, 5)
    assert table_size() == 4
    renamed = stored("user1@example.com")
    assert renamed is not None and (renamed.name, renamed.email) == ("User One", "user1@example.com")
    untouched = stored("user0@example.com")
    assert untouched is not None and untouched.updated_at == MONDAY_STAMP


def test_reimport_keeps_what_the_file_does_not_carry() -> None:
    import_employees(directory_csv("ada@example.com,Ada,Eng,pl,Europe/Warsaw,weekly:friday,brand;culture"), now=MONDAY)
    employee_id = employee_id_for("ada@example.com")
    set_name_visibility(employee_id, False)

    report = import_employees(directory_csv("ada@example.com,Ada,Sales", header="email,name,team"))

    assert (report.updated, report.unchanged) == (1, 0)
    ada = EmployeeStore().get(employee_id)
    assert ada is not None
    assert (ada.team, ada.show_name, ada.locale, ada.timezone, ada.digest_cadence, ada.topics) == (
        "Sales",
        False,
        "pl",
        "Europe/Warsaw",
        "weekly:friday",
        ("brand", "culture"),
    )


def test_reimport_does_not_bring_back_someone_who_left_unless_active_says_yes() -> None:
    data = directory_csv(*people(2))
    import_employees(data, now=MONDAY)
    gone = employee_id_for("user1@example.com")
    deactivate_employee(gone, now=MONDAY)

    report = import_employees(data)
    assert (report.updated, report.unchanged) == (0, 2)
    still_gone = EmployeeStore().get(gone)
    assert still_gone is not None and not still_gone.active

    back = import_employees(directory_csv("user1@example.com,User 1,Team 1,yes", header="email,name,team,active"))
    assert back.updated == 1
    returned = EmployeeStore().get(gone)
    assert returned is not None and returned.active and returned.deactivated_at is None


def test_an_active_no_column_offboards_without_deleting() -> None:
    import_employees(directory_csv(*people(1)), now=MONDAY)
    report = import_employees(directory_csv("user0@example.com,User 0,Team 0,no", header="email,name,team,active"))
    assert report.updated == 1
    employee = stored("user0@example.com")
    assert employee is not None and not employee.active and employee.deactivated_at


def test_legacy_employees_match_an_import_of_the_same_data() -> None:
    EmployeeStore().put(
        Employee(id=employee_id_for("ada@example.com"), email="ada@example.com", name="Ada", team="Eng", locale="pl")
    )
    report = import_employees(directory_csv("ada@example.com,Ada,Eng,pl", header="email,name,team,locale"))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


def test_existing_employees_are_read_in_batches_of_100_and_written_in_batches_of_25_never_scanned() -> None:
    store, client = flaky_store()
    report = import_employees(directory_csv(*people(260)), store=store)
    assert report.created == 260
    assert client.calls["batch_get_item"] == 3
    assert client.calls["batch_write_item"] == 11
    assert client.calls["scan"] == 0
    assert table_size() == 260


def test_unprocessed_items_are_retried_until_written() -> None:
    store, client = flaky_store(unprocess_on=(1, 2, 5))
    report = import_employees(directory_csv(*people(60)), store=store)
    assert (report.applied, report.created) == (True, 60)
    assert table_size() == 60
    assert client.calls["batch_write_item"] == 6


def test_a_failure_mid_way_reports_exactly_the_lines_written_and_a_rerun_completes() -> None:
    import_employees(directory_csv(*people(10)), now=MONDAY)  # lines 2-11 exist and will be unchanged
    data = directory_csv(*people(100))
    store, _ = flaky_store(unprocess_on=(2,), fail_on=(3,))  # chunk 2 half-written, then DynamoDB fails

    with pytest.raises(ImportInterruptedError) as caught:
        import_employees(data, store=store)

    report = caught.value.report
    in_table = {
        employee.email
        for employee in EmployeeStore().get_many(employee_id_for(f"user{n}@example.com") for n in range(100)).values()
    }
    written_emails = {f"user{line - 2}@example.com" for line in report.written_lines}
    unwritten_emails = {f"user{line - 2}@example.com" for line in report.unwritten_lines}
    assert not report.applied and "InternalServerError" in (report.error or "")
    assert report.unchanged == 10
    assert report.created == len(report.written_lines) == 25 + 12
    assert in_table == written_emails | {f"user{n}@example.com" for n in range(10)}
    assert not unwritten_emails & in_table
    assert len(report.unwritten_lines) == 90 - 37

    rerun = import_employees(data)
    assert (rerun.applied, rerun.created, rerun.unchanged) == (True, 53, 47)
    assert table_size() == 100


def test_when_the_directory_cannot_be_read_nothing_is_written_and_the_report_says_so() -> None:
    store, client = flaky_store(fail_reads=True)
    with pytest.raises(ImportInterruptedError) as caught:
        import_employees(directory_csv(*people(3), "bad,Bad,Eng,en,UTC,daily,"), store=store)
    report = caught.value.report
    assert (report.applied, report.written_lines, report.unwritten_lines, report.invalid) == (False, (), (2, 3, 4), 1)
    assert "Could not connect" in (report.error or "")
    assert client.calls["batch_write_item"] == 0 and table_size() == 0


def test_offboarding_keeps_the_employee_and_their_history() -> None:
    import_employees(directory_csv(*people(1)), now=MONDAY)
    employee_id = employee_id_for("user0@example.com")

    gone = deactivate_employee(employee_id, now=MONDAY)
    assert (gone.active, gone.on_leaderboard, gone.deactivated_at) == (False, False, MONDAY_STAMP)
    assert (gone.name, gone.team, gone.topics) == ("User 0", "Team 0", ("news",))

    kept = deactivate_employee(employee_id, keep_on_leaderboard=True, now=datetime(2026, 4, 1, tzinfo=UTC))
    assert (kept.on_leaderboard, kept.deactivated_at) == (True, MONDAY_STAMP)

    back = reactivate_employee(employee_id)
    assert (back.active, back.deactivated_at, back.keep_on_leaderboard) == (True, None, False)
    assert EmployeeStore().get(employee_id) == back


def test_a_deactivated_employee_can_no_longer_share(world: World) -> None:
    from functions.shares.service import ShareTargetNotFoundError, share, share_path

    deactivate_employee(world.employee_id)
    query = parse_qs(urlsplit(share_path(world.employee_id, world.content_id, "linkedin")).query)
    with pytest.raises(ShareTargetNotFoundError):
        share(world.employee_id, world.content_id, "linkedin", query["exp"][0], query["sig"][0])


def test_an_employee_can_hide_and_show_their_name() -> None:
    import_employees(directory_csv(*people(1)), now=MONDAY)
    employee_id = employee_id_for("user0@example.com")
    assert set_name_visibility(employee_id, False).show_name is False
    assert EmployeeStore().get(employee_id).show_name is False  # type: ignore[union-attr]
    assert set_name_visibility(employee_id, True).show_name is True


@pytest.mark.parametrize(
    "action",
    [
        lambda: deactivate_employee("nobody"),
        lambda: reactivate_employee("nobody"),
        lambda: set_name_visibility("nobody", False),
    ],
)
def test_unknown_employees_are_reported_and_never_created(action: Any) -> None:
    with pytest.raises(EmployeeNotFoundError):
        action()
    assert table_size() == 0
