"""Demo data for `make run`: a small directory, a dozen items in four languages, a little activity.

Activity goes through the real code paths (signed share links, the redirect), so the demo leaderboard
is produced exactly as a real one would be.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from functions.config import NETWORKS
from functions.content.model import new_content
from functions.content.store import ContentStore
from functions.directory.model import Employee, employee_id_for
from functions.directory.store import EmployeeStore

DEMO = Path(__file__).with_name("demo.json")
BROWSER = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)
SHARER = (  # the employee opening their own share link
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15"
)


def demo_data() -> dict[str, Any]:
    return json.loads(DEMO.read_text())


def seed(activity: bool = True) -> list[Employee]:
    data = demo_data()
    employees = EmployeeStore()
    people = []
    for row in data["employees"]:
        employee = Employee(
            id=employee_id_for(row["email"]),
            email=row["email"],
            name=row["name"],
            team=row["team"],
            locale=row["locale"],
            timezone=row["timezone"],
            show_name=row.get("show_name", True),
        )
        employees.put(employee)
        people.append(employee)
    contents = ContentStore()
    for row in data["content"]:
        fields = {k: v for k, v in row.items() if k != "id"}
        contents.add(new_content(content_id=row["id"], **fields))
    from functions.content.suggestions import suggest

    for row in data.get("suggestions", []):  # one waiting in the admin form's moderation queue
        suggest(employee_id_for(row["email"]), row["url"], row["comment"])
    if activity:
        _activity(people, [row["id"] for row in data["content"]])
    return people


def _activity(people: list[Employee], content_ids: list[str]) -> None:
    """A few shares and clicks, so the leaderboard has a story to tell on first start.

    They are dated over the last minute and a half as people would make them: each person's shares 15 s
    apart, and each reader opening that person's links 15 s apart (three links of one person opened within
    10 s are a mail scanner's burst, counted for nothing: functions/stats/decide.py).
    """
    from datetime import UTC, datetime, timedelta
    from urllib.parse import parse_qs, urlsplit

    from functions.links import redirect
    from functions.shares import service

    now = datetime.now(UTC)
    start = max(now - timedelta(seconds=90), now.replace(hour=0, minute=0, second=0, microsecond=0))
    for rank, employee in enumerate(people[:6]):
        for n in range(6 - rank):
            at = start + timedelta(seconds=15 * n)
            network = NETWORKS[n % 3]
            content_id = content_ids[(rank + n) % len(content_ids)]
            query = parse_qs(urlsplit(service.share_path(employee.id, content_id, network)).query)
            sharer = {"User-Agent": SHARER, "Accept-Language": "pl-PL,pl;q=0.9"}
            done = service.share(
                employee.id,
                content_id,
                network,
                query["exp"][0],
                query["sig"][0],
                headers=sharer,
                source_ip=f"203.0.113.{rank}",
                now=at,
            )
            for visitor in range(2 * (6 - rank)):
                headers = {"User-Agent": BROWSER, "Accept-Language": "pl-PL,pl;q=0.9"}
                clicked = at + timedelta(seconds=1 + visitor / 10)
                redirect.follow(done.link.code, "GET", headers, f"198.51.100.{visitor}", now=clicked)
            redirect.follow(done.link.code, "GET", {"User-Agent": "LinkedInBot/1.0"}, "198.51.100.200", now=at)
