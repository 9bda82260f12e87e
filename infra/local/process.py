"""Start `make run`'s runner as a child process on a free port and wait for its banner.

The e2e tests and the load benchmark talk to it over real HTTP. Its own state folder is passed as
``--state-dir`` (or, with ``via_make``, as ``CHORUS_STATE_DIR`` and ``PORT`` to `make run` itself,
exactly as a developer runs a second stack beside the first).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
    share_names: list[str] = field(default_factory=list)  # whose each share URL is, in the same order
    output: list[str] = field(default_factory=list)
    own_group: bool = False  # started under make in a session of its own: Ctrl-C goes to the whole group

    @property
    def base(self) -> str:
        return f"http://localhost:{self.port}"

    def stop(self, timeout: float = 60) -> int:
        """Ctrl-C, as a developer stops it; returns the exit code.

        Under `make run` the whole process group gets it, as from a terminal, and this waits for the runner
        too; make itself then dies of the signal (-2) once the runner has finished.
        """
        if not self.own_group:
            self.process.send_signal(signal.SIGINT)
            return self.process.wait(timeout=timeout)
        os.killpg(self.process.pid, signal.SIGINT)
        code = self.process.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)  # anyone left in the group?
            except ProcessLookupError:
                return code
            time.sleep(0.1)
        raise TimeoutError(f"the runner under make (group {self.process.pid}) did not stop")


def start_chorus(
    state_dir: Path, port: int | None = None, timeout: float = 120, via_make: bool = False
) -> RunningChorus:
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONUNBUFFERED"] = "1"
    if via_make:
        env.update({"PORT": str(port), "CHORUS_STATE_DIR": str(state_dir)})
        command = ["make", "--no-print-directory", "run"]
    else:
        command = [sys.executable, "-m", "infra.local.runner", "--port", str(port), "--state-dir", str(state_dir)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=via_make,  # so Ctrl-C reaches make's child, as from a terminal
    )
    running = RunningChorus(process, port, state_dir, own_group=via_make)
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
        if match := re.match(r"Share as (.+?) \(.*\): (http://\S+/share/\S+)$", line):
            running.share_names.append(match.group(1))
            running.share_urls.append(match.group(2))
            if len(running.share_urls) == 3:
                threading.Thread(target=lambda: [lines.get() for _ in iter(int, 1)], daemon=True).start()
                return running
    _kill(process, via_make)
    raise AssertionError("the runner did not start in time:\n" + "\n".join(running.output))


def _kill(process: subprocess.Popen, group: bool) -> None:
    if group:
        os.killpg(process.pid, signal.SIGKILL)
    else:
        process.kill()


def peak_rss_bytes(pid: int) -> int:
    """The most memory the process has held at once (VmHWM, Linux's resident high-water mark)."""
    return _status_kib(pid, "VmHWM") * 1024


def rss_bytes(pid: int) -> int:
    """The memory the process holds now (VmRSS)."""
    return _status_kib(pid, "VmRSS") * 1024


def _status_kib(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise LookupError(f"{field_name} is not in /proc/{pid}/status")
