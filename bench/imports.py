"""Import cost: ``import app`` and the short links' front door against ``import boto3``, each in a fresh
interpreter (a Lambda cold start).

The front door (functions/links/front_door.py) is measured twice: its handler's import, and with what the
first click loads after it (boto3, Powertools' Logger and Metrics, cachetools, the crawler patterns), beside
``import app`` with the same — the cold start a click pays on each way in.

Two measures, interleaved in the same rounds so that machine noise hits both alike:

* wall clock of ``python -c "import app"`` minus that of ``python -c pass`` (start-up and exit);
* ``python -X importtime``'s cumulative figure for the top-level import (in-process, no start-up).

Subprocesses run from the repo root with ``PYTHONDONTWRITEBYTECODE`` unset, after one warm-up run each,
so the .pyc caches are warm, as they are in a deployed package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

from bench.common import ROOT, median

RUNS = 9
HEAVY = ("jinja2", "css_inline", "pydantic", "aws_lambda_powertools.utilities.idempotency")
NOTABLE = ("boto3", "botocore", "aws_lambda_powertools", "cachetools", "yaml")
FRONT_DOOR = "functions.links.front_door"
FIRST_CLICK = "; import boto3, cachetools, is_bot; from aws_lambda_powertools import Logger, Metrics"

# Run in a subprocess: import app, then say which modules came with it and, for each, the repo line that
# first asked for it (found by a meta-path finder that only looks at the stack and lets the import proceed).
_PROBE = """
import json, sys, traceback
root, watched = sys.argv[1], sys.argv[2:]
first = {}
class Spy:
    def find_spec(self, name, path=None, target=None):
        if name in watched and name not in first:
            frames = [
                f for f in traceback.extract_stack()
                if f.filename.startswith(root) and "site-packages" not in f.filename
            ]
            first[name] = f"{frames[-1].filename[len(root) + 1:]}:{frames[-1].lineno}" if frames else "?"
        return None
sys.meta_path.insert(0, Spy())
import app
print(json.dumps({name: first.get(name) if name in sys.modules else None for name in watched}))
"""


@dataclass(frozen=True)
class ImportCost:
    startup_ms: float
    app_ms: float  # wall clock minus start-up
    boto3_ms: float
    app_importtime_ms: float  # -X importtime, cumulative
    boto3_importtime_ms: float
    boto3_inside_app_ms: float | None  # -X importtime: boto3's share of `import app`, when app imports it
    loaded: dict[str, str | None]  # module -> where the repo first imports it (None: not imported)
    front_door_ms: float = 0.0  # wall clock minus start-up
    front_door_importtime_ms: float = 0.0
    app_first_click_ms: float = 0.0  # `import app` and what the first click loads (-X importtime)
    front_door_first_click_ms: float = 0.0

    @property
    def ratio(self) -> float:
        return self.app_ms / self.boto3_ms

    @property
    def importtime_ratio(self) -> float:
        return self.app_importtime_ms / self.boto3_importtime_ms


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME", "PYTHONSTARTUP", "PYTHONINSPECT"):
        env.pop(name, None)
    return env


def _wall(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000


def _importtime(module: str, env: dict[str, str]) -> dict[str, float]:
    """Cumulative ms per module name, from ``-X importtime`` (the first, outermost, occurrence of each)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    cumulative: dict[str, float] = {}
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].strip()
        cumulative[name] = max(cumulative.get(name, 0.0), int(parts[1]) / 1000)
    return cumulative


def _top_level_ms(code: str, env: dict[str, str]) -> float:
    """``-X importtime``'s cumulative ms over the outermost imports ``code`` runs (start-up's included)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    total = 0.0
    for line in done.stderr.splitlines():
        parts = line.split("|")
        timed = line.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit()
        if timed and not parts[2].startswith("  "):  # one space before the name: an outermost import
            total += int(parts[1]) / 1000
    return total


def measure(runs: int = RUNS) -> ImportCost:
    env = _env()
    commands = {
        "pass": "pass",
        "app": "import app",
        "boto3": "import boto3",
        "front door": f"import {FRONT_DOOR}",
    }
    first_click = {"app": "import app" + FIRST_CLICK, "front door": f"import {FRONT_DOOR}" + FIRST_CLICK}
    for code in commands.values():  # warm-up: writes and warms the .pyc caches
        _wall(code, env)
    _importtime("app", env)
    _importtime("boto3", env)
    _importtime(FRONT_DOOR, env)

    wall: dict[str, list[float]] = {name: [] for name in commands}
    timed: dict[str, list[float]] = {"app": [], "boto3": [], "boto3 in app": [], "front door": []}
    clicks: dict[str, list[float]] = {name: [] for name in first_click}
    names = list(commands)
    for round_ in range(runs):
        turn = round_ % len(names)
        order = names[turn:] + names[:turn]  # rotate who goes first
        for name in order:
            wall[name].append(_wall(commands[name], env))
        app_tree = _importtime("app", env)
        timed["app"].append(app_tree["app"])
        if "boto3" in app_tree:
            timed["boto3 in app"].append(app_tree["boto3"])
        timed["boto3"].append(_importtime("boto3", env)["boto3"])
        timed["front door"].append(_importtime(FRONT_DOOR, env)[FRONT_DOOR])
        nothing = _top_level_ms("pass", env)
        for name, code in first_click.items():
            clicks[name].append(_top_level_ms(code, env) - nothing)

    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ROOT), *HEAVY, *NOTABLE],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    startup = median(wall["pass"])
    return ImportCost(
        startup_ms=startup,
        app_ms=median(wall["app"]) - startup,
        boto3_ms=median(wall["boto3"]) - startup,
        app_importtime_ms=median(timed["app"]),
        boto3_importtime_ms=median(timed["boto3"]),
        boto3_inside_app_ms=median(timed["boto3 in app"]) if timed["boto3 in app"] else None,
        loaded=json.loads(probe.stdout.strip().splitlines()[-1]),
        front_door_ms=median(wall["front door"]) - startup,
        front_door_importtime_ms=median(timed["front door"]),
        app_first_click_ms=median(clicks["app"]),
        front_door_first_click_ms=median(clicks["front door"]),
    )


def report(cost: ImportCost, runs: int = RUNS) -> list[str]:
    lines = [
        f"interpreter start-up (python -c pass): {cost.startup_ms:.0f} ms (median of {runs}), subtracted below",
        f"import app / import boto3: {cost.app_ms:.0f} ms / {cost.boto3_ms:.0f} ms = {cost.ratio:.2f}x "
        f"(wall clock minus start-up, median of {runs})",
        f"import app / import boto3: {cost.app_importtime_ms:.0f} ms / {cost.boto3_importtime_ms:.0f} ms = "
        f"{cost.importtime_ratio:.2f}x (-X importtime cumulative, median of {runs})",
    ]
    lines += [
        f"import {FRONT_DOOR} / import boto3: {cost.front_door_ms:.0f} ms / {cost.boto3_ms:.0f} ms = "
        f"{cost.front_door_ms / cost.boto3_ms:.2f}x (wall clock); {cost.front_door_importtime_ms:.0f} ms / "
        f"{cost.boto3_importtime_ms:.0f} ms = {cost.front_door_importtime_ms / cost.boto3_importtime_ms:.2f}x "
        "(-X importtime)",
        f"with what the first click loads (boto3, Powertools, cachetools, is_bot): front door "
        f"{cost.front_door_first_click_ms:.0f} ms vs app {cost.app_first_click_ms:.0f} ms = "
        f"{cost.front_door_first_click_ms / cost.app_first_click_ms:.2f}x "
        f"({cost.front_door_first_click_ms - cost.app_first_click_ms:+.0f} ms a cold start; -X importtime)",
    ]
    absent = [name for name in HEAVY if cost.loaded.get(name) is None]
    present = [name for name in HEAVY if cost.loaded.get(name) is not None]
    lines.append(f"not imported by `import app`: {', '.join(absent) or 'none of them'}")
    for name in present:
        lines.append(f"IMPORTED by `import app`: {name} (first from {cost.loaded[name]})")
    for name in NOTABLE:
        where = cost.loaded.get(name)
        lines.append(f"  {name}: " + (f"imported (first from {where})" if where else "not imported"))
    if cost.boto3_inside_app_ms is not None:
        lines.append(
            f"  of `import app`'s {cost.app_importtime_ms:.0f} ms, {cost.boto3_inside_app_ms:.0f} ms is boto3 "
            f"({cost.boto3_inside_app_ms / cost.app_importtime_ms:.0%}): boto3 is not deferred to the first AWS call"
        )
    return lines


def run(runs: int = RUNS) -> list[str]:
    return report(measure(runs), runs)
