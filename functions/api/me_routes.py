"""The employee's own view on the static site: who the signed token names, their standing, their share links.

The site is static; its small script sends the token it keeps (from the digest link's ``#t=`` fragment)
as ``Authorization: Employee <token>``. A token that fails verification gets a 401, and the page drops it.
CORS is open because the site may live on its own domain: nothing here is sent without the token.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from functions.api import http
from functions.api.operations import Operations

if TYPE_CHECKING:
    from functions.api.schemas import MyShareLinksQuery
    from functions.directory.model import Employee

bp = Blueprint(__name__)
api = Operations(bp)
MAX_CONTENT_IDS = 50
_CONTENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@bp.route("/api/me", methods=["GET"], cors=http.SITE_CORS)
@api.employee_only(
    "The token's employee: name, team, and figures and rank this week, month and all time",
    tag="employees",
    response="MeOut",
    cache=http.NO_STORE,
)
def me(employee: Employee) -> dict[str, Any]:
    """Name, team, this week's, month's and all-time figures and rank, badges and weekly streak of the token's
    employee (one GetItem for the employee's figures, one BatchGetItem for their boards)."""
    from functions.stats.leaderboard import own_view

    standings, progress = own_view(employee.id)
    return {
        "employee": {"name": employee.name, "team": employee.team, "show_name": employee.show_name},
        "standings": {period: standing.public() for period, standing in standings.items()},
        **progress.public(),
    }


@bp.route("/api/me/share-links", methods=["GET"], cors=http.SITE_CORS)
@api.employee_only(
    "The employee's signed share links, per network, for up to 50 items (the static site's buttons)",
    tag="employees",
    query="MyShareLinksQuery",
    response="MyShareLinksOut",
    cache=http.NO_STORE,
)
def my_share_links(query: MyShareLinksQuery, employee: Employee) -> dict[str, Any] | Response:
    """Signed share links, per network, for up to 50 items (``content_ids=a,b,c``): one GetItem, then signing."""
    from functions.config import NETWORKS
    from functions.shares.service import share_url

    ids = list(dict.fromkeys(i for i in query.content_ids.split(",") if i))
    if not ids or len(ids) > MAX_CONTENT_IDS or not all(_CONTENT_ID.match(i) for i in ids):
        message = f"1 to {MAX_CONTENT_IDS} content ids, separated by commas"
        return http.error(400, "invalid query parameter", {"content_ids": message})
    links = {
        content_id: {n: share_url(employee.id, content_id, n, token_version=employee.token_version) for n in NETWORKS}
        for content_id in ids
    }
    return {"share_links": links}
