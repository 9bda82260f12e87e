"""Reading a directory CSV: what an admin uploading a spreadsheet export would run into. No I/O."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from functions.directory.csv_import import MAX_ROWS, DirectoryFileError, EmployeeRow, parse_directory_csv
from functions.directory.model import Employee, employee_from_record, employee_id_for
from functions.directory.service import merge_row

HEADER = "email,name,team,locale,time zone,digest cadence,topics"
AT = "2026-03-02T09:00:00+00:00"


def csv_of(*lines: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return newline.join((header, *lines)).encode()


def errors_by_line(data: bytes | str) -> dict[int, dict[str, str]]:
    return {error.line: error.fields for error in parse_directory_csv(data).errors}


def only_row(data: bytes | str) -> EmployeeRow:
    parsed = parse_directory_csv(data)
    assert parsed.errors == ()
    (row,) = parsed.rows
    return row


def test_an_excel_utf8_export_with_bom_crlf_quotes_and_names_in_four_languages() -> None:
    text = (
        "\ufeffEmail,Name,Team,Locale,Time Zone,Digest Cadence,Topics\r\n"
        'anna.kowalska@example.com,"Kowalska, Anna",Marketing,pl,Europe/Warsaw,daily,"brand; culture"\r\n'
        'ruta@example.com,"Rūta ""Rūtelė"" Jankauskienė",Engineering,lt,Europe/Vilnius,weekly:friday,\r\n'
        "olga@example.com,Ольга Иванова,Инженеры,ru,Europe/Riga,off,\r\n"
        "marek@example.com,Marek Wiśniewski-Żółć,Sales,en,UTC,weekly:monday,\r\n"
    )
    rows = parse_directory_csv(text.encode("utf-8")).rows
    assert [(r.line, r.email, r.name, r.team) for r in rows] == [
        (2, "anna.kowalska@example.com", "Kowalska, Anna", "Marketing"),
        (3, "ruta@example.com", 'Rūta "Rūtelė" Jankauskienė', "Engineering"),
        (4, "olga@example.com", "Ольга Иванова", "Инженеры"),
        (5, "marek@example.com", "Marek Wiśniewski-Żółć", "Sales"),
    ]
    assert rows[0].topics == ("brand", "culture")
    assert rows[0].digest_cadence == "daily"


def test_a_semicolon_separated_export_from_a_polish_excel_is_read_too() -> None:
    data = b"email;name;team;topics\r\nanna@example.com;Kowalska, Anna;Marketing;brand|culture\r\n"
    row = only_row(data)
    assert (row.name, row.topics) == ("Kowalska, Anna", ("brand", "culture"))


def test_a_string_with_a_bom_is_accepted_as_well_as_bytes() -> None:
    assert only_row("\ufeffemail,name,team\nada@example.com,Ada,Eng\n").email == "ada@example.com"


@pytest.mark.parametrize("title", ["time zone", "timezone", "time_zone", "Time-Zone", " TIME ZONE "])
def test_time_zone_header_spellings(title: str) -> None:
    row = only_row(csv_of("ada@example.com,Ada,Eng,Europe/Warsaw", header=f"email,name,team,{title}"))
    assert row.timezone == "Europe/Warsaw"


@pytest.mark.parametrize("title", ["digest cadence", "digest_cadence", "Cadence", "DigestCadence"])
def test_cadence_header_spellings(title: str) -> None:
    row = only_row(csv_of("ada@example.com,Ada,Eng,daily", header=f"email,name,team,{title}"))
    assert row.digest_cadence == "daily"


def test_line_numbers_are_the_rows_a_spreadsheet_shows() -> None:
    data = csv_of(
        '"ada@example.com","Ada\nLovelace",Eng,en,UTC,daily,',  # a quoted line break stays in row 2
        "",  # a blank row 3
        ",,,,,,",  # an empty row 4, as spreadsheets export trailing rows
        "bob@example.com,Bob,Eng,xx,UTC,daily,",
    )
    parsed = parse_directory_csv(data)
    assert parsed.rows[0].name == "Ada Lovelace"
    assert errors_by_line(data) == {5: {"locale": "must be one of en, pl, lt, ru"}}


def test_every_bad_field_of_a_row_is_named() -> None:
    data = csv_of(
        "not-an-email,,Eng,de,Mars/Olympus,hourly,ok",
        "cy@example.com,Cy,Eng,en,UTC,weekly:funday,",
    )
    errors = errors_by_line(data)
    assert set(errors[2]) == {"email", "name", "locale", "timezone", "digest_cadence"}
    assert "IANA" in errors[2]["timezone"]
    assert errors[3] == {"digest_cadence": "must be daily, off, weekly or weekly:<day> (e.g. weekly:friday)"}
    assert parse_directory_csv(data).errors[0].email == "not-an-email"


@pytest.mark.parametrize(
    "email",
    [
        "plain",
        "@example.com",
        "ada@",
        "ada@example",
        "ada@@example.com",
        "ada..lovelace@example.com",
        ".ada@example.com",
        "ada@-example.com",
        "ada@example.c",
        "ada lovelace@example.com",
        "Ada Lovelace <ada@example.com>",
        "ada@exa_mple.com",
        "a" * 65 + "@example.com",
        "ada@" + "a" * 250 + ".com",
        "ąda@example.com",
    ],
)
def test_bad_emails_are_refused(email: str) -> None:
    data = csv_of(f'"{email}",Ada,Eng', header="email,name,team")
    assert "email" in errors_by_line(data)[2]


@pytest.mark.parametrize(
    ("email", "stored"),
    [
        ("  Ada.Lovelace@Example.COM ", "ada.lovelace@example.com"),
        ("o'brien+news@mail.example.co.uk", "o'brien+news@mail.example.co.uk"),
        ("ada@xn--bcher-kva.example", "ada@xn--bcher-kva.example"),
    ],
)
def test_good_emails_are_stored_lower_cased_and_trimmed(email: str, stored: str) -> None:
    assert only_row(csv_of(f'"{email}",Ada,Eng', header="email,name,team")).email == stored


@pytest.mark.parametrize(
    ("cell", "cadence"),
    [
        ("daily", "daily"),
        ("OFF", "off"),
        ("weekly", "weekly:monday"),
        ("weekly:friday", "weekly:friday"),
        ("Weekly: Sunday", "weekly:sunday"),
        ("weekly:wed", "weekly:wednesday"),
    ],
)
def test_cadences(cell: str, cadence: str) -> None:
    assert only_row(csv_of(f"ada@example.com,Ada,Eng,{cell}", header="email,name,team,cadence")).digest_cadence == (
        cadence
    )


@pytest.mark.parametrize("cell", ["monthly", "weekly:fr", "weekly:someday", "daily:monday", "weekly:monday:9"])
def test_bad_cadences(cell: str) -> None:
    assert (
        "digest_cadence"
        in errors_by_line(csv_of(f"ada@example.com,Ada,Eng,{cell}", header="email,name,team,cadence"))[2]
    )


@pytest.mark.parametrize(
    ("cell", "zone"), [("Europe/Vilnius", "Europe/Vilnius"), ("europe/warsaw", "Europe/Warsaw"), ("UTC", "UTC")]
)
def test_time_zones_are_stored_in_their_canonical_spelling(cell: str, zone: str) -> None:
    assert only_row(csv_of(f"ada@example.com,Ada,Eng,{cell}", header="email,name,team,tz")).timezone == zone


@pytest.mark.parametrize("cell", ["Europe/Atlantis", "CET+1", "../../etc/passwd", "localtime", "GMT+2"])
def test_bad_time_zones(cell: str) -> None:
    assert "timezone" in errors_by_line(csv_of(f"ada@example.com,Ada,Eng,{cell}", header="email,name,team,timezone"))[2]


def test_topics_are_trimmed_lower_cased_and_deduplicated_in_order() -> None:
    row = only_row(
        csv_of('ada@example.com,Ada,Eng," Brand ; culture|BRAND;;Społeczność "', header="email,name,team,topics")
    )
    assert row.topics == ("brand", "culture", "społeczność")


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("x" * 41, "at most 40 characters"),
        (";".join(f"t{n}" for n in range(21)), "at most 20 topics"),
        ("brand, culture", "separate topics with ; or |"),
    ],
)
def test_bad_topics(cell: str, message: str) -> None:
    errors = errors_by_line(csv_of(f'ada@example.com,Ada,Eng,"{cell}"', header="email,name,team,topics"))
    assert message in errors[2]["topics"]


def test_twenty_distinct_topics_are_fine() -> None:
    cell = ";".join(f"t{n}" for n in range(20)) + ";t0"
    assert len(only_row(csv_of(f"ada@example.com,Ada,Eng,{cell}", header="email,name,team,topics")).topics) == 20


def test_name_and_team_lengths() -> None:
    data = csv_of(
        f"ada@example.com,{'N' * 201},{'T' * 101}", f"bob@example.com,{'N' * 200},{'T' * 100}", header="email,name,team"
    )
    assert errors_by_line(data) == {
        2: {"name": "must be at most 200 characters", "team": "must be at most 100 characters"}
    }


def test_names_typed_on_different_systems_are_one_name() -> None:
    decomposed = "Ru\u0304ta"  # "Rūta" as macOS may write it
    assert only_row(csv_of(f"ruta@example.com,{decomposed},Eng", header="email,name,team")).name == "Rūta"


def test_a_later_row_with_the_same_email_in_any_case_names_the_first() -> None:
    data = csv_of(
        "ada@example.com,Ada,Eng",
        "bob@example.com,Bob,Eng",
        "ADA@Example.com,Ada Again,Sales",
        header="email,name,team",
    )
    parsed = parse_directory_csv(data)
    assert [row.line for row in parsed.rows] == [2, 3]
    assert errors_by_line(data) == {4: {"email": "duplicates line 2"}}


def test_a_duplicate_of_an_invalid_row_is_still_a_duplicate() -> None:
    data = csv_of("ada@example.com,Ada,Eng,Mars/Base", "ada@example.com,Ada,Eng,UTC", header="email,name,team,tz")
    errors = errors_by_line(data)
    assert set(errors) == {2, 3}
    assert errors[3] == {"email": "duplicates line 2"}


@pytest.mark.parametrize(
    ("cell", "flag"), [("yes", True), ("No", False), ("TRUE", True), ("false", False), ("1", True), ("0", False)]
)
def test_show_name_and_active_flags(cell: str, flag: bool) -> None:
    row = only_row(csv_of(f"ada@example.com,Ada,Eng,{cell},{cell}", header="email,name,team,show_name,active"))
    assert (row.show_name, row.active) == (flag, flag)


def test_a_bad_flag_is_named() -> None:
    errors = errors_by_line(csv_of("ada@example.com,Ada,Eng,maybe", header="email,name,team,show_name"))
    assert errors == {2: {"show_name": "must be yes or no (or true/false, 1/0)"}}


def test_blank_optional_cells_mean_the_file_does_not_say() -> None:
    row = only_row(csv_of("ada@example.com,Ada,Eng,,,,", header=HEADER))
    assert (row.locale, row.timezone, row.digest_cadence, row.topics, row.show_name, row.active) == (None,) * 6


def test_regional_locales_count_as_their_language() -> None:
    assert only_row(csv_of("ada@example.com,Ada,Eng,pl-PL", header="email,name,team,locale")).locale == "pl"


def test_unknown_columns_are_named_and_nothing_is_read() -> None:
    with pytest.raises(DirectoryFileError) as caught:
        parse_directory_csv(csv_of("ada@example.com,Ada,Eng,1,x", header="email,name,team,Salary,Manager"))
    assert caught.value.columns == ("Salary", "Manager")
    assert "Salary, Manager" in str(caught.value)


def test_missing_required_columns_are_named() -> None:
    with pytest.raises(DirectoryFileError, match="Missing required columns: team"):
        parse_directory_csv(csv_of("ada@example.com,Ada", header="email,name"))


def test_the_same_column_twice_is_refused() -> None:
    with pytest.raises(DirectoryFileError, match="same column"):
        parse_directory_csv(csv_of("ada@example.com,Ada,Eng,UTC,UTC", header="email,name,team,timezone,time zone"))


def test_an_unnamed_trailing_column_is_ignored_unless_it_holds_a_value() -> None:
    data = csv_of("ada@example.com,Ada,Eng,", "bob@example.com,Bob,Eng,oops", header="email,name,team,")
    assert errors_by_line(data) == {3: {"column 4": "has a value but no header"}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "empty"),
        (b"email,name,team\r\n", "no employee rows"),
        (b"email,name,team\r\n,,\r\n", "no employee rows"),
    ],
)
def test_empty_and_header_only_files(data: bytes, message: str) -> None:
    with pytest.raises(DirectoryFileError, match=message):
        parse_directory_csv(data)


def test_a_file_that_is_not_utf8_says_so_and_where() -> None:
    data = "email,name,team\nanna@example.com,Anna Wiśniewska,Eng\n".encode("cp1250")
    with pytest.raises(DirectoryFileError, match=r"not UTF-8 text.*line 2.*CSV UTF-8"):
        parse_directory_csv(data)


def test_an_unclosed_quote_is_reported_by_line() -> None:
    with pytest.raises(DirectoryFileError, match="Line 3 is not valid CSV"):
        parse_directory_csv(csv_of("ada@example.com,Ada,Eng", 'bob@example.com,"Bob,Eng', header="email,name,team"))


def test_twenty_thousand_rows_are_accepted_and_one_more_is_refused() -> None:
    lines = [f"user{n}@example.com,User {n},Eng" for n in range(MAX_ROWS + 1)]
    assert len(parse_directory_csv(csv_of(*lines[:MAX_ROWS], header="email,name,team")).rows) == MAX_ROWS
    with pytest.raises(DirectoryFileError, match="more than 20,000 employee rows"):
        parse_directory_csv(csv_of(*lines, header="email,name,team"))


def test_a_file_over_five_megabytes_is_refused() -> None:
    line = "ada@example.com,Ada," + "T" * 90
    data = csv_of(*[line] * (5 * 1024 * 1024 // len(line) + 1), header="email,name,team")
    with pytest.raises(DirectoryFileError, match="larger than 5 MB"):
        parse_directory_csv(data)


# Applying a row to what is stored (pure).

STORED = Employee(
    id=employee_id_for("ada@example.com"),
    email="ada@example.com",
    name="Ada",
    team="Eng",
    locale="pl",
    timezone="Europe/Warsaw",
    show_name=False,
    digest_cadence="daily",
    topics=("brand",),
    updated_at="2026-01-01T00:00:00+00:00",
)


def row(**fields: Any) -> EmployeeRow:
    return replace(EmployeeRow(line=2, email="ada@example.com", name="Ada", team="Eng"), **fields)


def test_a_new_employee_gets_the_defaults() -> None:
    employee = merge_row(None, row(), AT)
    assert (employee.locale, employee.timezone, employee.digest_cadence, employee.topics) == (
        "en",
        "UTC",
        "weekly:monday",
        (),
    )
    assert (employee.active, employee.show_name, employee.keep_on_leaderboard, employee.updated_at) == (
        True,
        True,
        False,
        AT,
    )


def test_fields_the_row_does_not_carry_are_kept() -> None:
    employee = merge_row(STORED, row(team="Sales"), AT)
    assert employee == replace(STORED, team="Sales", updated_at=AT)


def test_a_deactivated_employee_stays_deactivated_unless_the_row_says_active() -> None:
    gone = Employee(
        id="x",
        email="ada@example.com",
        name="Ada",
        team="Eng",
        active=False,
        deactivated_at="2026-02-01T00:00:00+00:00",
    )
    assert merge_row(gone, row(), AT).active is False
    back = merge_row(gone, row(active=True), AT)
    assert (back.active, back.deactivated_at) == (True, None)


def test_active_no_deactivates_and_stamps_the_time() -> None:
    employee = merge_row(STORED, row(active=False), AT)
    assert (employee.active, employee.deactivated_at, employee.on_leaderboard) == (False, AT, False)


def test_records_written_before_the_new_fields_still_read() -> None:
    legacy = {"id": "e1", "email": "e1@example.com", "name": "E", "team": "T", "locale": "lt", "timezone": "UTC"}
    employee = employee_from_record(legacy)
    assert (employee.digest_cadence, employee.topics, employee.keep_on_leaderboard, employee.deactivated_at) == (
        "weekly:monday",
        (),
        False,
        None,
    )
    assert employee.active and employee.show_name and employee.on_leaderboard
