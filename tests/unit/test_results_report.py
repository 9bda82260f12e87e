"""The Results report's teams and flags, rendered from a report: escaped, translated, flags above the charts."""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser

from functions.results.report import render_report
from tests.unit import test_kpi_tables

HOSTILE = '<img src=x onerror="alert(1)">'


class Texts(HTMLParser):
    """Each element's tag with its text, and every tag opened, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.texts: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.append((self.tags[-1] if self.tags else "", data.strip()))


def report():  # the CSV tests' report (hostile texts, two teams, two surges), with the page's every series
    made = test_kpi_tables.report()
    days = [{"day": point["day"], "value": 1} for point in made.series["shares"]]
    return replace(made, series={**made.series, "participation": days}, human_clicks_by_network={"linkedin": 6})


def parsed(page: str) -> Texts:
    texts = Texts()
    texts.feed(page)
    return texts


def test_flags_sit_above_the_charts_and_a_hostile_reason_or_team_is_only_text() -> None:
    base = report()
    flagged = replace(
        base,
        surges=[*base.surges, {"day": "2026-03-11", "reason": HOSTILE, "value": 90, "baseline": 2.0, "why": "x"}],
        team_ranking=[{**base.team_ranking[0], "team": HOSTILE}, *base.team_ranking[1:]],
    )
    page = render_report(flagged, "en")
    assert "<img" not in page and 'onerror="alert' not in page
    texts = [text for _, text in parsed(page).texts]
    flags = [text for text in texts if "a day before" in text]
    assert flags == [
        "2026-03-10: 60 human clicks on linkedin, against a median of 4 a day before",
        "2026-03-11: 80 clicks that earned no points (address_cap), against a median of 0 a day before",
        f"2026-03-11: 90 clicks that earned no points ({HOSTILE}), against a median of 2 a day before",
    ]
    assert texts.index("Flagged") < texts.index("Trends") < texts.index("Teams")
    assert HOSTILE in texts  # the team, in the chart's label and its table, as text
    head = texts.index("Points per active member")  # the data table, in the ranking's order
    assert texts[head - 1 : head + 17] == [
        *("Team", "Points per active member", "Active members", "Points", "Shares", "Unique human clicks"),
        *(HOSTILE, "21", "2", "42", "2", "4"),
        *("Former", "–", "0", "1", "1", "0"),  # no active member: no figure per member
    ]


def test_no_surge_no_flagged_notice_and_no_points_says_so_in_the_pages_language() -> None:
    quiet = replace(report(), surges=[], team_ranking=[])
    page = render_report(quiet, "ru")
    texts = [text for _, text in parsed(page).texts]
    assert "Отмечено" not in texts and "notice flagged" not in page
    assert "Команды" in texts and "Ни одна команда не набрала баллов за этот период." in texts
    flagged = render_report(report(), "pl")
    assert "Do sprawdzenia" in [text for _, text in parsed(flagged).texts]
