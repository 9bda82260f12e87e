"""Fire the app's @app.schedule handlers locally, as EventBridge would in AWS.

`chalice local` never runs schedules; the runner calls this on its loop. Each schedule fires once at
start-up (so a fresh `make run` shows their effect at once) and then at its own rate; cron expressions
fire hourly here.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from functions.clock import utc_stamp

_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def interval_seconds(expression: Any) -> float:
    """Seconds between runs for a Chalice schedule expression (a Rate object or a string)."""
    if hasattr(expression, "to_string"):
        expression = expression.to_string()
    match = re.fullmatch(r"rate\((\d+) (\w+)\)", str(expression).strip())
    if match:
        return int(match.group(1)) * _UNITS[match.group(2).lower()]
    return 3600.0


class ScheduleDriver:
    def __init__(self, app_module: Any, clock: Callable[[], float] = time.monotonic) -> None:
        from chalice.app import ScheduledEventConfig

        self.clock = clock
        self.jobs = [
            (
                config.name,
                getattr(app_module, config.handler_string.split(".")[-1]),
                interval_seconds(config.schedule_expression),
            )
            for config in app_module.app.event_sources
            if isinstance(config, ScheduledEventConfig)
        ]
        self.next_run = {name: 0.0 for name, _, _ in self.jobs}

    def names(self) -> list[str]:
        return [name for name, _, _ in self.jobs]

    def run_due(self) -> list[str]:
        """Run every schedule whose time has come; return their names."""
        ran = []
        for name, handler, every in self.jobs:
            if self.clock() >= self.next_run[name]:
                self.fire(name, handler)
                self.next_run[name] = self.clock() + every
                ran.append(name)
        return ran

    def fire(self, name: str, handler: Any = None) -> Any:
        handler = handler or next(h for n, h, _ in self.jobs if n == name)
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "000000000000",
            "time": utc_stamp(),  # as EventBridge writes it: 2026-11-30T05:00:00Z
            "region": "us-east-1",
            "resources": [f"arn:aws:events:us-east-1:000000000000:rule/{name}"],
            "detail": {},
        }
        return handler(event, SimpleNamespace(aws_request_id=str(uuid.uuid4()), function_name=name))
