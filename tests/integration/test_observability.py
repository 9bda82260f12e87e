"""Metrics and logs a operator sees in CloudWatch, emitted once per invocation by app.py's middleware."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import BROWSER_HEADERS, World, short_code_from_intent, signed_share_path


def emf_documents(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def test_redirects_and_click_kinds_are_published_as_metrics(
    client: Any, world: World, capsys: Any, metrics_on: None
) -> None:
    location = client.http.get(signed_share_path(world.employee_id, world.content_id, "linkedin")).headers["Location"]
    code = short_code_from_intent(location)
    capsys.readouterr()
    client.http.get(f"/{code}", headers=BROWSER_HEADERS)
    client.http.get(f"/{code}", headers={"User-Agent": "Twitterbot/1.0"})
    client.http.get("/NoSuchCode1", headers=BROWSER_HEADERS)
    documents = emf_documents(capsys.readouterr().out)
    assert len(documents) == 3  # one flush per invocation
    published = [{k: v for k, v in d.items() if k not in ("_aws", "service")} for d in documents]
    assert published == [
        {"Redirects": [1.0], "HumanClicks": [1.0]},
        {"Redirects": [1.0], "FilteredClicks": [1.0]},
        {"UnknownCodes": [1.0]},
    ]
    assert documents[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Chorus"
