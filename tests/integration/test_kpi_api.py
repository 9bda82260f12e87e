"""The KPIs over HTTP: JSON and CSV for admins, the Results page's report, the public totals."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from functions.admin.tokens import AdminTokenStore
from functions.content.model import new_content
from functions.content.store import ContentStore
from functions.events import EventStore
from tests.conftest import Clock
from tests.integration.test_kpis import DAY, click, programme, share  # noqa: F401 - the fixture, and its events

RANGE = f"from={DAY.isoformat()}&to={DAY.isoformat()}"


@pytest.fixture
def admin(programme: Clock) -> dict[str, str]:  # noqa: F811 - the imported fixture
    return {"Authorization": f"Bearer {AdminTokenStore().create('results')}"}


def test_the_kpis_are_the_report_for_the_range_and_slice(client: Any, admin: dict[str, str]) -> None:
    body = client.http.get(f"/api/admin/kpis?{RANGE}", headers=admin).json_body  # checked against KpisOut
    assert (body["shares"]["total"], body["human_clicks"], body["unique_human_clicks"]) == (2, 6, 4)
    assert body["range"] == {"start": "2026-03-10", "end": "2026-03-10"}
    assert [(row["team"], row["points_per_member"]) for row in body["team_ranking"]] == [
        ("Marketing", 31.0),
        ("Sales", 5.5),
    ]
    assert body["surges"] == []
    sales = client.http.get(f"/api/admin/kpis?{RANGE}&team=Sales&network=x", headers=admin).json_body
    assert sales["filters"] == {"team": "Sales", "network": "x"} and sales["human_clicks"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-03-11&to=2026-03-10", "to"),  # before its start
        ("from=10.03.2026", "from"),
        ("to=0", "to"),  # not a Unix time: a day
        ("from=2026-03-10T00:00", "from"),
        ("from=2025-01-01&to=2026-03-10", "to"),  # more than 366 days
        ("network=myspace", "network"),
        ("zzz=1", "zzz"),
    ],
)
def test_a_query_the_kpis_cannot_answer_names_its_parameter(
    client: Any, admin: dict[str, str], query: str, field: str
) -> None:
    response = client.http.get(f"/api/admin/kpis?{query}", headers=admin)
    assert response.status_code == 400
    assert field in response.json_body["fields"], response.json_body


def test_the_kpis_need_an_admin_token(client: Any, admin: dict[str, str]) -> None:
    for path in (f"/api/admin/kpis?{RANGE}", f"/api/admin/kpis.csv?table=headline&{RANGE}", "/api/admin/results"):
        assert client.http.get(path).status_code == 401
        assert client.http.get(path, headers={"Authorization": "Bearer chorus_adm_wrong"}).status_code == 401


def test_a_csv_table_downloads_and_a_formula_in_a_title_is_only_text(
    client: Any, admin: dict[str, str], clock: Clock
) -> None:
    ContentStore().add(new_content(content_id="calc", url="https://example.com/calc", title='=HYPERLINK("x")'))
    log = EventStore()
    log.add(share("ada", "calc", "linkedin", "s-ada", 200))
    log.add(click("ada", "calc", "linkedin", "v9", 210))
    clock.close_slice()
    from functions.stats.counting import run_once

    run_once()
    response = client.http.get(f"/api/admin/kpis.csv?table=top_content&{RANGE}", headers=admin)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="chorus-top_content-2026-03-10-2026-03-10\.csv"', response.headers["Content-Disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    titles = {row["content_id"]: row["title"] for row in rows}
    assert titles["calc"] == '\'=HYPERLINK("x")'  # a spreadsheet shows it, never runs it
    assert titles["launch"] == "Our launch"
    teams = client.http.get(f"/api/admin/kpis.csv?table=team_ranking&{RANGE}", headers=admin).body.decode()
    assert list(csv.reader(io.StringIO(teams)))[:2] == [
        ["team", "active_members", "points", "points_per_member", "shares", "unique_human_clicks"],
        ["Marketing", "1", "42", "42.0", "2", "4"],  # and the item above: one more share (1) and reader (10)
    ]


def test_the_results_report_is_charts_with_data_tables_in_the_asked_language(
    client: Any, admin: dict[str, str]
) -> None:
    response = client.http.get(f"/api/admin/results?{RANGE}&lang=pl", headers=admin)
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.body.decode()
    assert page.count('<svg class="chart"') == 6  # three trends, the network funnel, filtered clicks, teams
    assert page.count("<table>") >= 7  # each chart's data, top content and contributors
    assert 'lang="pl"' in page
    assert "Our launch" in page and "Marketing" in page
    assert "<script" not in page and " style=" not in page  # nothing the site's CSP would refuse
    assert "Zespoły" in page and "Punkty na aktywnego członka" in page  # the teams' section, in Polish
    assert 'class="notice flagged"' not in page  # nothing surged


def test_the_results_report_flags_a_surge_at_its_top(
    client: Any, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.config import settings

    monkeypatch.setenv("SURGE_MINIMUM", "5")
    settings.cache_clear()
    page = client.http.get(f"/api/admin/results?{RANGE}&lang=en", headers=admin).body.decode()
    flagged = page.index('class="notice flagged"')
    assert flagged < page.index("<h3>Trends</h3>")  # above every chart
    assert "2026-03-10: 5 human clicks on linkedin, against a median of 0 a day before" in page
    body = client.http.get(f"/api/admin/kpis?{RANGE}", headers=admin).json_body
    assert [(surge["network"], surge["value"]) for surge in body["surges"]] == [("linkedin", 5)]


def test_the_public_summary_names_nobody(client: Any, programme: Clock) -> None:  # noqa: F811
    response = client.http.get("/api/results/summary")
    assert response.status_code == 200
    body = response.json_body
    assert set(body) == {"range", "shares", "human_clicks", "unique_human_clicks", "employees_sharing"}
    assert (body["shares"], body["human_clicks"], body["unique_human_clicks"], body["employees_sharing"]) == (
        2,
        6,
        4,
        2,
    )
    assert body["range"]["end"] == "2026-03-10"  # the last 30 days, by the event log's clock
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_the_public_summary_reads_one_listing_and_the_ranges_files_and_no_dynamodb(
    client: Any,
    programme: Clock,  # noqa: F811
) -> None:
    from functions import aws
    from functions.kpis.recompute import live
    from functions.kpis.store import FACTS, KpiFiles

    # a day of activity in the period before the summary's 30 days, which the full report would also read
    files = KpiFiles()
    earlier = [{**row, "day": "2026-01-20"} for row in live(DAY.isoformat(), files=files)]
    files.put_slice(FACTS, "2026-01-20", 1, earlier)
    files.forget()  # a cold Lambda: nothing cached
    calls: list[str] = []
    for service in ("s3", "dynamodb"):
        aws.client(service).meta.events.register(
            f"before-call.{service}",
            lambda model, **_: calls.append(f"{model.service_model.service_name}:{model.name}"),
        )
    cold = client.http.get("/api/results/summary")
    assert cold.status_code == 200 and cold.json_body["human_clicks"] == 6
    # one listing of the range's files and a GET of the day's one file: no previous period, no names or
    # titles (BatchGetItem), not even the directory's counts (the totals need no rate)
    assert calls == ["s3:ListObjectsV2", "s3:GetObject"]
    calls.clear()
    assert client.http.get("/api/results/summary").json_body == cold.json_body
    assert calls == ["s3:ListObjectsV2"]  # warm: the day's file is cached
