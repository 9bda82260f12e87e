"""A check schemathesis runs on every response besides its own (loaded through the run's `hooks` setting)."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.check
def api_errors_name_the_field(ctx: Any, response: Any, case: Any) -> None:
    """A 4xx from /api/* is JSON {"error": text, "fields": {field: problem, …}} naming at least one field."""
    if not case.operation.path.startswith("/api/") or not 400 <= response.status_code < 500:
        return
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - whatever the body is, it is not the API's JSON
        raise AssertionError(f"{response.status_code} is not JSON: {response.content[:200]!r}") from None
    if not (isinstance(body, dict) and isinstance(body.get("error"), str) and isinstance(body.get("fields"), dict)):
        raise AssertionError(f"{response.status_code} is not {{error, fields}}: {body!r:.200}")
    if not body["fields"]:
        raise AssertionError(f"{response.status_code} names no field: {body!r:.200}")
