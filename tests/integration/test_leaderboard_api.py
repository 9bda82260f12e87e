"""GET /api/leaderboard and /api/me: ranked from the boards the counting run keeps, never from events."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from functions.directory.model import Employee
from functions.directory.store import EmployeeStore
from tests.conftest import BROWSER_HEADERS, SHARER_HEADERS, World, short_code_from_intent, signed_share_path

PEOPLE = [
    ("ada", "Ada", "Marketing", 3),
    ("bob", "Bob", "Sales", 1),
    ("cy", "Cy", "Sales", 3),
    ("di", "Di", "Sales", 0),
]


@pytest.fixture
def ranked(client: Any, world: World, count_clicks: Any) -> Any:
    store = EmployeeStore()
    for key, name, team, visitors in PEOPLE:
        store.put(Employee(id=key, email=f"{key}@example.com", name=name, team=team))
        location = client.http.get(signed_share_path(key, world.content_id, "linkedin"), headers=SHARER_HEADERS)
        location = location.headers["Location"]
        code = short_code_from_intent(location)
        for n in range(visitors):
            client.http.get(
                f"/{code}", headers={**BROWSER_HEADERS, "User-Agent": f"{BROWSER_HEADERS['User-Agent']} v{n}"}
            )
    count_clicks()
    return client


def test_ranked_by_points_with_ties_sharing_a_rank(ranked: Any) -> None:
    response = ranked.http.get("/api/leaderboard?period=week")
    assert response.status_code == 200
    entries = response.json_body["entries"]
    assert [(e["rank"], e["employee"]) for e in entries] in (
        [(1, "Ada"), (1, "Cy"), (3, "Bob"), (4, "Di")],
        [(1, "Cy"), (1, "Ada"), (3, "Bob"), (4, "Di")],
    )
    assert entries[0] | {"employee": "-", "team": "-"} == {
        "rank": 1,
        "employee": "-",
        "team": "-",
        "shares": 1,
        "human_clicks": 3,
        "unique_human_clicks": 3,
        "points": 31,
    }


def test_per_team_and_limit(ranked: Any) -> None:
    sales = ranked.http.get("/api/leaderboard?period=month&team=Sales").json_body["entries"]
    assert [e["employee"] for e in sales] == ["Cy", "Bob", "Di"]
    top = ranked.http.get("/api/leaderboard?period=all&limit=1").json_body["entries"]
    assert len(top) == 1 and top[0]["points"] == 31


def test_deactivated_people_leave_and_opted_out_people_are_anonymous(ranked: Any) -> None:
    store = EmployeeStore()
    store.put(replace(store.get("cy"), active=False))
    store.put(replace(store.get("ada"), show_name=False))
    entries = ranked.http.get("/api/leaderboard?period=week").json_body["entries"]
    assert [e["employee"] for e in entries] == ["Anonymous colleague", "Bob", "Di"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=year", "period"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=101", "limit"),
        ("colour=red", "colour"),
        ("team=" + "t" * 101, "team"),
    ],
)
def test_bad_parameters_get_a_400_naming_the_field(client: Any, query: str, field: str) -> None:
    response = client.http.get(f"/api/leaderboard?{query}")
    assert response.status_code == 400
    assert set(response.json_body["fields"]) == {field}
    assert response.json_body["error"]


def test_an_empty_board_is_an_empty_list(client: Any) -> None:
    assert client.http.get("/api/leaderboard").json_body == {"period": "week", "team": None, "entries": []}


def test_an_admin_can_keep_a_leaver_on_the_board(ranked: Any) -> None:
    from functions.directory.service import deactivate_employee

    deactivate_employee("cy", keep_on_leaderboard=True)
    deactivate_employee("bob")
    entries = ranked.http.get("/api/leaderboard?period=week").json_body["entries"]
    assert [e["employee"] for e in entries if e["employee"] != "Ada"] == ["Cy", "Di"]


def me(client: Any, employee_id: str) -> Any:
    from functions.directory.tokens import employee_token

    return client.http.get("/api/me", headers={"Authorization": f"Employee {employee_token(employee_id)}"})


def test_an_employee_sees_their_own_rank_and_figures_with_their_token(ranked: Any, world: World) -> None:
    cy = me(ranked, "cy")
    assert cy.status_code == 200 and cy.headers["Access-Control-Allow-Origin"] == "*"
    assert cy.json_body["employee"] == {"name": "Cy", "team": "Sales", "show_name": True}
    for period in ("week", "month", "all"):
        assert cy.json_body["standings"][period] == {
            "rank": 1,
            "rank_is_floor": False,
            "team_rank": 1,
            "team_rank_is_floor": False,
            "shares": 1,
            "unique_human_clicks": 3,
            "points": 31,
        }
    board = {e["employee"]: e["rank"] for e in ranked.http.get("/api/leaderboard").json_body["entries"]}
    di = me(ranked, "di").json_body["standings"]["week"]
    assert di["rank"] == board["Di"] == 4 and di["team_rank"] == 3  # Sales: Cy 31, Bob 11, Di 1
    assert me(ranked, "bob").json_body["standings"]["all"]["points"] == 11
    assert (cy.json_body["badges"], cy.json_body["streak"]) == (["first_share"], {"current": 1, "best": 1})
    fresh = me(ranked, world.employee_id).json_body
    assert (fresh["badges"], fresh["streak"]) == ([], {"current": 0, "best": 0})
    newcomer = fresh["standings"]["week"]
    assert newcomer == {
        "rank": None,
        "rank_is_floor": False,
        "team_rank": None,
        "team_rank_is_floor": False,
        "shares": 0,
        "unique_human_clicks": 0,
        "points": 0,
    }


def test_a_missing_forged_or_offboarded_token_gets_401(ranked: Any) -> None:
    from functions.directory.tokens import employee_token

    token = employee_token("cy")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for headers in ({}, {"Authorization": f"Employee {forged}"}, {"Authorization": f"Bearer {token}"}):
        response = ranked.http.get("/api/me", headers=headers)
        assert response.status_code == 401 and "Authorization" in response.json_body["fields"]
    EmployeeStore().deactivate("cy", keep_on_leaderboard=True, at="2026-11-29T00:00:00Z")
    assert me(ranked, "cy").status_code == 401
    links = ranked.http.get("/api/me/share-links?content_ids=a", headers={"Authorization": f"Employee {token}"})
    assert links.status_code == 401  # the site drops the token of someone who left, and shares publicly


def test_the_site_gets_signed_share_links_that_the_share_endpoint_accepts(client: Any, world: World) -> None:
    from urllib.parse import urlsplit

    from functions.directory.tokens import employee_token

    headers = {"Authorization": f"Employee {employee_token(world.employee_id)}"}
    response = client.http.get(f"/api/me/share-links?content_ids={world.content_id},other-item", headers=headers)
    assert response.status_code == 200
    links = response.json_body["share_links"]
    assert set(links) == {world.content_id, "other-item"}
    assert set(links[world.content_id]) == {"linkedin", "x", "facebook", "whatsapp", "email"}
    url = urlsplit(links[world.content_id]["x"])
    followed = client.http.get(f"{url.path}?{url.query}")
    assert followed.status_code == 302 and followed.headers["Location"].startswith("https://x.com/intent/post?")

    for query in ("", "content_ids=", "content_ids=" + ",".join(f"i{n}" for n in range(51)), "content_ids=a%20b"):
        bad = client.http.get(f"/api/me/share-links?{query}", headers=headers)
        assert bad.status_code == 400 and "content_ids" in bad.json_body["fields"], query
    assert client.http.get(f"/api/me/share-links?content_ids={world.content_id}").status_code == 401
    unknown = client.http.get("/api/me/share-links?content_ids=a&x=1", headers=headers)
    assert unknown.status_code == 400 and "x" in unknown.json_body["fields"]


def test_an_item_counted_ahead_of_its_boards_does_not_put_someone_behind_themselves(ranked: Any) -> None:
    import boto3

    from functions.stats.leaderboard import own_standings

    class ItemAheadOfTheBoards:
        """Bob's item read while a slice is half folded in: it lost a point (a reversed click), the boards not yet."""

        def __init__(self) -> None:
            self.inner = boto3.client("dynamodb")

        def get_item(self, **request: Any) -> Any:
            response = self.inner.get_item(**request)
            for name, value in response.get("Item", {}).items():
                if name.endswith("|points"):
                    value["N"] = str(int(value["N"]) - 1)
            return response

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    standings = own_standings("bob", client=ItemAheadOfTheBoards())
    # His board entry wins: what he sees matches the leaderboard (Ada and Cy ahead; in Sales, Cy).
    assert (standings["week"].points, standings["week"].rank, standings["week"].team_rank) == (11, 3, 2)


@pytest.fixture
def boards_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """Boards that keep only their best two entries (150 in production), so a test can rank below them."""
    from functions.stats import boards

    monkeypatch.setattr(boards, "BOARD_SIZE", 2)


def test_ranks_below_a_boards_best_entries_come_from_its_histogram(boards_of_two: None, ranked: Any) -> None:
    entries = ranked.http.get("/api/leaderboard?period=week").json_body["entries"]
    assert sorted(e["employee"] for e in entries) == ["Ada", "Cy"]  # what the board keeps
    bob, di = me(ranked, "bob").json_body["standings"]["week"], me(ranked, "di").json_body["standings"]["week"]
    assert (bob["rank"], bob["team_rank"], bob["points"]) == (3, 2, 11)
    assert (di["rank"], di["team_rank"], di["points"]) == (4, 3, 1)
