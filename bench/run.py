"""`make bench`: print Chorus's figures. Nothing here asserts a timing.

python -m bench.run [--only imports,calls,...] [--runs 9] [--n 1000] [--tiny]

``--tiny`` runs every section once at a tiny size: `make test` does, so that no section can rot unseen
(its figures mean nothing at that size).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.common import ROOT, moto_world

SECTIONS = (
    "imports",
    "calls",
    "latency",
    "library",
    "render",
    "digest_plan",
    "digest_send",
    "site",
    "counting",
    "kpis",
    "local_load",
)


@dataclass(frozen=True)
class Sizes:
    """How much each section measures; ``TINY`` only proves the section still runs."""

    library: tuple[int, int] = (10_000, 10_000)  # items, employees
    render: tuple[int, int] = (5, 100)  # rounds, emails per round
    digest_plan: tuple[int, ...] = (10_000, 20_000)  # due employees per run
    digest_send: int = 100  # due employees
    site: tuple[int, int] = (1_000, 10_000)  # items, employees
    counting: tuple[int, float] = (3, 1_000_000 / 86_400)  # 5-minute slices, clicks a second
    kpis: tuple[int, int] = (10_000, 365)  # employees, days of facts (~20 million events)
    local_load: int = 10_000  # clicks over HTTP to `make run`'s runner


TINY = Sizes(
    library=(30, 30),
    render=(1, 3),
    digest_plan=(20, 40),
    digest_send=4,
    site=(3, 12),
    counting=(1, 0.5),
    kpis=(50, 3),
    local_load=200,
)


def _section(title: str, produce: Callable[[], list[str]]) -> None:
    print(f"\n== {title}", flush=True)
    start = time.perf_counter()
    for line in produce():
        print(f"   {line}", flush=True)
    print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated: " + ", ".join(SECTIONS))
    parser.add_argument("--runs", type=int, default=9, help="fresh interpreters per import measure (default 9)")
    parser.add_argument("--warm", type=int, default=100, help="warm redirects whose calls are counted (default 100)")
    parser.add_argument("--n", type=int, default=1000, help="timed redirects per variant (default 1000)")
    parser.add_argument("--tiny", action="store_true", help="every section once at a tiny size (make test's check)")
    args = parser.parse_args(argv)
    sizes = TINY if args.tiny else Sizes()
    if args.tiny:
        args.runs, args.warm, args.n = 1, 3, 10
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    print(f"Chorus benchmarks: Python {platform.python_version()} ({sys.executable}), repo {ROOT}")
    started = time.perf_counter()
    if "imports" in chosen:  # first: subprocesses only, before this process imports moto
        from bench import imports

        _section("1. import cost (fresh interpreters, warm .pyc)", lambda: imports.run(args.runs))
    if "calls" in chosen or "latency" in chosen:
        with moto_world() as world:
            if "calls" in chosen:
                from bench import calls

                _section(
                    "2. AWS calls per redirect (the Chalice route and the front door, moto in-process)",
                    lambda: calls.run(world, args.warm),
                )
            if "latency" in chosen:
                from bench import latency

                _section(
                    "3. time per redirect (Lambda-style invocation, moto in-process; includes moto's own work)",
                    lambda: latency.run(world, args.n),
                )
    if "library" in chosen:
        from bench import library

        _section("4. the content library and directory at size (moto in-process)", lambda: library.run(*sizes.library))
    if "render" in chosen:
        from bench import digest_render

        _section(
            "5. digest emails rendered per second (one core, 8 items)",
            lambda: digest_render.lines(digest_render.run(*sizes.render)),
        )
    if "digest_plan" in chosen:
        from bench import digest_plan

        _section(
            "6. digest planning at size (moto in-process)",
            lambda: digest_plan.report(digest_plan.run(sizes.digest_plan)),
        )
    if "digest_send" in chosen:
        from bench import digest_send

        _section(
            "7. a digest run and its re-run (moto in-process)",
            lambda: digest_send.report(digest_send.run(sizes.digest_send)),
        )
    if "site" in chosen:
        from bench import site_build

        _section("8. the static site at size (moto in-process)", lambda: site_build.report(site_build.run(*sizes.site)))
    if "counting" in chosen:
        from bench import counting

        _section(
            "9. what storing and counting a click costs at a realistic load (the counting run), and a million clicks",
            lambda: counting.report(counting.run(*sizes.counting)),
        )
    if "kpis" in chosen:
        from bench import kpis

        _section(
            "11. the KPIs for a year of a 10,000-employee programme: what one request reads (moto in-process)",
            lambda: kpis.report(kpis.run(*sizes.kpis)),
        )
    if "local_load" in chosen:
        from bench import local_load

        _section(
            f"10. `make run` under load: clicks over HTTP from {local_load.THREADS} threads while it counts them",
            lambda: local_load.report_lines(local_load.run(sizes.local_load)),
        )
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
