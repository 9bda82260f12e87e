"""KPI tables and their CSV: every figure as rows, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from functions.kpis.report import KpiReport
from functions.kpis.tables import csv_text, neutralised, tables


def report() -> KpiReport:
    emv = {"value": 12.5, "currency": "USD", "formula": "=clicks × CPC", "per_network": {"linkedin": 12.5}}
    headline = {
        "participation_rate": 0.5,
        "adoption_rate": 0.75,
        "shares": 2,
        "human_clicks": 6,
        "unique_human_clicks": 4,
        "filtered_clicks": 1,
        "clicks_per_share": 3.0,
        "referral_clicks": 1,
        "earned_media_value": emv,
    }
    return KpiReport(
        range={"start": "2026-03-10", "end": "2026-03-11"},
        filters={},
        participation_rate=0.5,
        adoption_rate=0.75,
        shares={"linkedin": 2, "total": 2},
        human_clicks=6,
        unique_human_clicks=4,
        filtered_clicks={"crawler": 1},
        clicks_per_share=3.0,
        top_contributors=[
            {
                "employee_id": "e1",
                "name": '=HYPERLINK("http://evil")',
                "team": "@Sales",
                "shares": 2,
                "unique_human_clicks": 4,
                "points": 42,
            },
            {"employee_id": "e2", "team": "-North", "shares": 1, "unique_human_clicks": 0, "points": 1},
        ],
        top_content=[{"content_id": "c1", "title": "+1 reasons\tto join", "shares": 2, "human_clicks": 6}],
        earned_media_value=emv,
        referral_clicks=1,
        digest_funnel={"digests_sent": 3, "sharers_from_digest": 1, "human_clicks_from_digest_shares": 5},
        series={
            "human_clicks": [{"day": "2026-03-10", "value": 6}, {"day": "2026-03-11", "value": 0}],
            "shares": [{"day": "2026-03-10", "value": 2}, {"day": "2026-03-11", "value": 0}],
        },
        previous={"range": {"start": "2026-03-08", "end": "2026-03-09"}, **headline, "shares": 1},
        team_ranking=[
            {
                "team": "=Sales",
                "active_members": 2,
                "points": 42,
                "points_per_member": 21.0,
                "shares": 2,
                "unique_human_clicks": 4,
            },
            {
                "team": "Former",
                "active_members": 0,
                "points": 1,
                "points_per_member": None,
                "shares": 1,
                "unique_human_clicks": 0,
            },
        ],
        surges=[
            {"day": "2026-03-10", "network": "linkedin", "value": 60, "baseline": 4.0, "why": "60 human clicks"},
            {"day": "2026-03-11", "reason": "address_cap", "value": 80, "baseline": 0.0, "why": "-80 clicks"},
        ],
    )


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_like_a_formula_is_kept_as_text(start: str) -> None:
    assert neutralised(f"{start}1+1") == f"'{start}1+1"


def test_ordinary_cells_are_left_alone() -> None:
    assert [neutralised(v) for v in ("Sales", 42, 0.5, None, "a=b", "")] == ["Sales", "42", "0.5", "", "a=b", ""]


def test_every_table_reads_back_from_its_csv_with_hostile_text_neutralised() -> None:
    made = tables(report())
    assert set(made) == {
        "headline",
        "shares",
        "filtered_clicks",
        "top_contributors",
        "top_content",
        "earned_media_value",
        "digest_funnel",
        "series",
        "team_ranking",
        "surges",
    }
    teams = list(csv.reader(io.StringIO(csv_text(made["team_ranking"]))))
    assert teams == [
        ["team", "active_members", "points", "points_per_member", "shares", "unique_human_clicks"],
        ["'=Sales", "2", "42", "21.0", "2", "4"],
        ["Former", "0", "1", "", "1", "0"],  # no active member: no figure per member
    ]
    surges = list(csv.reader(io.StringIO(csv_text(made["surges"]))))
    assert surges == [
        ["day", "network", "reason", "value", "baseline", "why"],
        ["2026-03-10", "linkedin", "", "60", "4.0", "60 human clicks"],
        ["2026-03-11", "", "address_cap", "80", "0.0", "'-80 clicks"],
    ]
    people = list(csv.DictReader(io.StringIO(csv_text(made["top_contributors"]))))
    assert people[0] == {
        "employee_id": "e1",
        "name": '\'=HYPERLINK("http://evil")',
        "team": "'@Sales",
        "shares": "2",
        "unique_human_clicks": "4",
        "points": "42",
    }
    assert people[1]["name"] == "" and people[1]["team"] == "'-North"  # no name shown: an empty cell
    [item] = csv.DictReader(io.StringIO(csv_text(made["top_content"])))
    assert item["title"] == "'+1 reasons\tto join"
    formula = [row for row in made["earned_media_value"] if row["network"] == "formula"]
    assert csv_text(formula).splitlines()[1].startswith("formula,'=clicks")
    headline = {row["figure"]: row for row in csv.DictReader(io.StringIO(csv_text(made["headline"])))}
    assert (headline["human_clicks"]["value"], headline["human_clicks"]["previous"]) == ("6", "6")
    assert (headline["shares"]["value"], headline["shares"]["previous"]) == ("2", "1")
    assert made["series"] == [
        {"day": "2026-03-10", "human_clicks": 6, "shares": 2},
        {"day": "2026-03-11", "human_clicks": 0, "shares": 0},
    ]


def test_no_rows_is_an_empty_file() -> None:
    assert csv_text([]) == ""
