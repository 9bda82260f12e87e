"""`make run` under load: clicks over real HTTP from several threads while the runner counts them.

The runner is started as `make run` starts it (its own process, demo data, a fresh state folder). Short
links: each demo employee's LinkedIn links for three items, made as an employee makes them (the admin
API's signed share link, opened in a browser). Clicks: spread over those links Zipf-like (s = 1), each
from its own visitor — a browser user agent with Accept-Language, and its own address in
``X-Forwarded-For``, which the runner believes from loopback as API Gateway believes CloudFront — so
every click is a human click and a unique one, and none is a scanner burst or over an address cap.

Figures: the redirects answered per second while counting runs, their latency (p50/p99), the runner's
peak memory (VmHWM), the seconds from the last click until the leaderboard API's human clicks
(``period=all``, summed over employees: the demo has few, so all are listed) equal the clicks sent, and
the click events the events table holds for the run (read from the snapshot the runner saves when it
stops: the clicks since the run began, so none is lost and none is written twice). A guard kills the
runner if its memory passes a ceiling (this machine is shared) and says so.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import random
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from functions.events import timestamp
from infra.local.process import RunningChorus, peak_rss_bytes, rss_bytes, start_chorus

CLICKS = 10_000
THREADS = 8
ITEMS_PER_EMPLOYEE = 3
MEMORY_LIMIT = 10**9  # bytes: the bound on the runner's memory
SETTLE_LIMIT = 30.0  # seconds: the bound from the last click until the counters equal the events
VISITORS = ipaddress.ip_network("198.18.0.0/15")  # RFC 2544's benchmarking addresses: one per click
SHARERS = ipaddress.ip_network("192.0.2.0/24")  # TEST-NET-1: the employees opening their share links
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 "
    "Edg/130.0.0.0",
)
LANGUAGES = ("en-GB,en;q=0.9", "pl-PL,pl;q=0.9,en;q=0.8", "lt-LT,lt;q=0.9,en;q=0.6", "ru-RU,ru;q=0.9", "en-US,en")


@dataclass
class LoadReport:
    clicks: int  # sent
    threads: int
    links: int
    statuses: Counter[int] = field(default_factory=Counter)  # 0: no answer (the connection failed)
    latencies: list[float] = field(default_factory=list)  # seconds per click, sorted
    seconds: float = 0.0  # from the first click to the last answer
    peak_rss: int = 0  # bytes (VmHWM of the runner)
    counted: int = 0  # human clicks the leaderboard gained
    settled_after: float | None = None  # seconds from the last answer until counted == clicks; None: not within
    settle_limit: float = SETTLE_LIMIT
    stopped: str = ""  # why clicking stopped early
    since: str = ""  # when the first click was sent, as an event's ``at``
    stored: int | None = None  # click events in the events table since then; None: not read (runner killed)

    @property
    def redirected(self) -> int:
        return self.statuses[302]

    @property
    def redirects_per_second(self) -> float:
        return self.redirected / self.seconds if self.seconds else 0.0

    def latency(self, fraction: float) -> float:
        """The latency that ``fraction`` of the clicks stayed within (nearest rank), in seconds."""
        if not self.latencies:
            return 0.0
        return self.latencies[min(len(self.latencies) - 1, round(fraction * (len(self.latencies) - 1)))]


def run(clicks: int = CLICKS, threads: int = THREADS, memory_ceiling: int = 2 * MEMORY_LIMIT) -> LoadReport:
    """Start a fresh runner, load it, stop it and read the events it stored (the bench's entry point)."""
    with tempfile.TemporaryDirectory(prefix="chorus-load-") as folder:
        chorus = start_chorus(Path(folder) / "state")
        try:
            report = load(chorus, clicks, threads, memory_ceiling=memory_ceiling)
        finally:
            stopped = stop_or_kill(chorus)
        if stopped == 0:
            report.stored = stored_clicks(chorus.state_dir, report.since)
        return report


def stop_or_kill(chorus: RunningChorus, patience: float = 60) -> int:
    """Ctrl-C the runner; if it has not stopped within ``patience`` seconds (still counting), kill it."""
    if chorus.process.poll() is not None:
        return chorus.process.returncode
    try:
        return chorus.stop(timeout=patience)
    except subprocess.TimeoutExpired:
        chorus.process.kill()
        return chorus.process.wait()


def load(
    chorus: RunningChorus,
    clicks: int = CLICKS,
    threads: int = THREADS,
    memory_ceiling: int = MEMORY_LIMIT,
    settle_limit: float = SETTLE_LIMIT,
    seed: int = 11,
) -> LoadReport:
    """Click ``clicks`` times from ``threads`` threads, then wait for the counters to catch up."""
    links = short_links(chorus)
    baseline = settled_human_clicks(chorus)
    report = LoadReport(clicks, threads, len(links), settle_limit=settle_limit)
    plan = click_plan(links, clicks, random.Random(seed))
    stop = threading.Event()
    guard = threading.Thread(target=_guard_memory, args=(chorus.process, memory_ceiling, stop, report))
    guard.start()
    results: list[list[tuple[int, float]]] = [[] for _ in range(threads)]
    workers = [
        threading.Thread(target=_click, args=(chorus.port, plan[n::threads], stop, results[n])) for n in range(threads)
    ]
    report.since = timestamp(datetime.now(UTC))
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    last_answer = time.monotonic()
    report.seconds = last_answer - started
    for status, seconds in (answer for answers in results for answer in answers):
        report.statuses[status] += 1
        report.latencies.append(seconds)
    report.latencies.sort()
    report.clicks = sum(report.statuses.values())
    while not stop.is_set():
        try:
            report.counted = human_clicks(chorus) - baseline
        except (OSError, http.client.HTTPException):
            continue  # killed by the guard (then ``stop`` is set), or too busy to answer in time
        if report.counted >= report.clicks:
            report.settled_after = time.monotonic() - last_answer if report.counted == report.clicks else None
            break
        if time.monotonic() - last_answer > settle_limit:
            break
        time.sleep(0.25)
    stop.set()
    guard.join()
    with contextlib.suppress(OSError, LookupError):  # killed by the guard: the last figure it read stands
        report.peak_rss = peak_rss_bytes(chorus.process.pid)
    return report


def short_links(chorus: RunningChorus, items: int = ITEMS_PER_EMPLOYEE) -> list[str]:
    """The paths of LinkedIn short links of every demo employee for ``items`` demo items each."""
    from functions.directory.model import employee_id_for
    from infra.local.demo import demo_data

    data = demo_data()
    contents = [row["id"] for row in data["content"]]
    paths: list[str] = []
    for n, row in enumerate(data["employees"]):
        for k in range(items):
            content = contents[(n + k) % len(contents)]
            share = _admin_share_link(chorus, employee_id_for(row["email"]), content)
            sharer = str(SHARERS.network_address + 1 + len(paths))
            paths.append(_open_share(chorus, share, sharer))
    return paths


def click_plan(links: list[str], clicks: int, rng: random.Random) -> list[tuple[str, dict[str, str]]]:
    """(path, headers) per click: Zipf-like over the links, each click its own browser visitor."""
    weights = [1 / rank for rank in range(1, len(links) + 1)]
    chosen = rng.choices(links, weights=weights, k=clicks)
    plan = []
    for n, path in enumerate(chosen):
        headers = {
            "User-Agent": BROWSERS[n % len(BROWSERS)],
            "Accept-Language": LANGUAGES[(n // len(BROWSERS)) % len(LANGUAGES)],
            "Accept": "text/html,application/xhtml+xml",
            "X-Forwarded-For": str(VISITORS.network_address + 1 + n),
        }
        plan.append((path, headers))
    return plan


def stored_clicks(state_dir: Path, since: str) -> int:
    """The click events the events table held at ``since`` or later, in the snapshot a stopped runner saved."""
    from infra.local.state import LocalState
    from infra.resources import table_env

    snapshot = json.loads(LocalState(state_dir).snapshot_file.read_text())
    events = snapshot[table_env("dev")["EVENTS_TABLE"]]
    return sum(
        1 for item in events if item.get("type", {}).get("S") == "click" and item.get("at", {}).get("S", "") >= since
    )


def human_clicks(chorus: RunningChorus) -> int:
    """All-time human clicks on the leaderboard API, summed over its employees."""
    status, _, body = _call(chorus, "GET", "/api/leaderboard?period=all&limit=100")
    if status != 200:
        raise AssertionError(f"the leaderboard API answered {status}: {body[:300]!r}")
    return sum(entry["human_clicks"] for entry in json.loads(body)["entries"])


def settled_human_clicks(chorus: RunningChorus, quiet: float = 3.0, limit: float = 60.0) -> int:
    """The leaderboard's human clicks once they have not moved for ``quiet`` seconds (the demo's, counted)."""
    deadline = time.monotonic() + limit
    value, since = human_clicks(chorus), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.5)
        now = human_clicks(chorus)
        if now != value:
            value, since = now, time.monotonic()
    return value


def report_lines(report: LoadReport) -> list[str]:
    failed = {status: n for status, n in sorted(report.statuses.items()) if status != 302}
    lines = [
        f"{report.clicks:,} clicks over HTTP from {report.threads} threads, Zipf over {report.links} demo short links, "
        f"one browser visitor each (X-Forwarded-For); {report.redirected:,} redirected (302)"
        + (f", others: {failed}" if failed else ""),
        f"{report.redirects_per_second:,.0f} redirects per second while counting runs; latency p50 "
        f"{report.latency(0.5) * 1000:.1f} ms, p99 {report.latency(0.99) * 1000:.1f} ms",
        f"runner's peak memory (VmHWM) {report.peak_rss / 2**20:,.0f} MiB",
    ]
    if report.stored is not None:
        lines.append(f"click events stored for the run: {report.stored:,} of {report.clicks:,} clicks")
    if report.stopped:
        lines.append(f"stopped early, so the counters were not compared: {report.stopped}")
    elif report.settled_after is not None:
        lines.append(f"counters equal the events {report.settled_after:.1f} s after the last click")
    else:
        lines.append(
            f"counters NOT equal to the events {report.settle_limit:.0f} s after the last click: "
            f"{report.counted:,} of {report.clicks:,} human clicks counted"
        )
    return lines


def _admin_share_link(chorus: RunningChorus, employee_id: str, content_id: str) -> str:
    body = json.dumps({"employee_id": employee_id, "content_id": content_id}).encode()
    headers = {"Authorization": f"Bearer {chorus.admin_token}", "Content-Type": "application/json"}
    status, _, answer = _call(chorus, "POST", "/api/admin/share-links", headers, body)
    if status != 201:
        raise AssertionError(f"share links for {employee_id}/{content_id}: {status} {answer[:300]!r}")
    return json.loads(answer)["share_links"]["linkedin"]


def _open_share(chorus: RunningChorus, share_url: str, address: str) -> str:
    """Open a share link as its employee would; returns the path of the short link in the share intent."""
    parts = urlsplit(share_url)
    headers = {"User-Agent": BROWSERS[0], "Accept-Language": LANGUAGES[0], "X-Forwarded-For": address}
    status, answer_headers, _ = _call(chorus, "GET", f"{parts.path}?{parts.query}", headers)
    if status != 302:
        raise AssertionError(f"opening {share_url} answered {status}")
    text = parse_qs(urlsplit(answer_headers["Location"]).query)["text"][0]
    short = next(word for word in text.split() if word.startswith(chorus.base + "/"))
    return urlsplit(short).path


def _call(
    chorus: RunningChorus, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, Any, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", chorus.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def _click(port: int, plan: list[tuple[str, dict[str, str]]], stop: threading.Event, out: list[Any]) -> None:
    """One browser-like client: keep-alive, a new connection whenever the last one failed."""
    connection = None
    for path, headers in plan:
        if stop.is_set():
            return
        started = time.perf_counter()
        try:
            connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            if connection is not None:
                connection.close()
            connection = None
        out.append((status, time.perf_counter() - started))
    if connection is not None:
        connection.close()


def _guard_memory(process: subprocess.Popen, ceiling: int, stop: threading.Event, report: LoadReport) -> None:
    """Until ``stop``: past the ceiling, kill the runner (it would take the shared machine's memory) and say so."""
    while not stop.wait(0.25):
        try:
            held, report.peak_rss = rss_bytes(process.pid), peak_rss_bytes(process.pid)
        except (OSError, LookupError):
            return  # the runner is gone
        if held > ceiling:
            process.kill()
            report.stopped = (
                f"the runner was killed holding {held / 2**20:,.0f} MiB, over the {ceiling / 2**20:,.0f} MiB ceiling"
            )
            stop.set()
