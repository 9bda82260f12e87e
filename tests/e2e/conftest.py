"""Start `make run`'s runner as a real process on free ports, and talk to it over real HTTP."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningChorus:
    process: subprocess.Popen
    port: int
    state_dir: Path
    admin_token: str = ""
    employee_token: str = ""
    preferences_url: str = ""
    site_links: dict[str, str] = field(default_factory=dict)  # name -> the site with their token (#t=)
    share_urls: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://localhost:{self.port}"

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)


def start_chorus(state_dir: Path, port: int | None = None, timeout: float = 120) -> RunningChorus:
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local.runner", "--port", str(port), "--state-dir", str(state_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = RunningChorus(process, port, state_dir)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            raise AssertionError("the runner exited:\n" + "\n".join(running.output))
        running.output.append(line)
        if match := re.match(r"Admin token: (\S+)$", line):
            running.admin_token = match.group(1)
        if match := re.match(r"Employee token for .*: (\S+)$", line):
            running.employee_token = match.group(1)
        if match := re.match(r"Email preferences of .*: (http://\S+)$", line):
            running.preferences_url = match.group(1)
        if match := re.match(r"Site as (.+?): (http://\S+)$", line):
            running.site_links[match.group(1)] = match.group(2)
        if match := re.match(r"Share as .*: (http://\S+/share/\S+)$", line):
            running.share_urls.append(match.group(1))
            if len(running.share_urls) == 3:
                threading.Thread(target=lambda: [lines.get() for _ in iter(int, 1)], daemon=True).start()
                return running
    process.kill()
    raise AssertionError("the runner did not start in time:\n" + "\n".join(running.output))


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirects)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes | None = None) -> Any:
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=body)
    try:
        return OPENER.open(request, timeout=10)
    except urllib.error.HTTPError as response:
        return response


@pytest.fixture(scope="session")
def chorus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningChorus]:
    running = start_chorus(tmp_path_factory.mktemp("state"))
    yield running
    if running.process.poll() is None:
        running.stop()


def show_name(chorus: RunningChorus, show: bool, token: str | None = None) -> None:
    """The employee (the runner's demo employee unless ``token`` says otherwise) shows or hides their name."""
    request = urllib.request.Request(
        f"{chorus.base}/api/me/name-visibility",
        data=json.dumps({"show_name": show}).encode(),
        headers={"Authorization": f"Employee {token or chorus.employee_token}", "Content-Type": "application/json"},
        method="PUT",
    )
    urllib.request.urlopen(request, timeout=10).close()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
