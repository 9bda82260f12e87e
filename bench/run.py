"""`make bench`: print Chorus's cold-start and redirect figures. Nothing here asserts a timing.

python -m bench.run [--only imports,calls,latency,library] [--runs 9] [--n 1000]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable

from bench.common import ROOT, moto_world

SECTIONS = ("imports", "calls", "latency", "library", "render", "digest_plan", "digest_send", "site")


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
    args = parser.parse_args(argv)
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
                    "2. AWS calls per redirect (Chalice test client, moto in-process)",
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

        _section("4. the content library and directory at size (moto in-process)", library.run)
    if "render" in chosen:
        from bench import digest_render

        _section(
            "5. digest emails rendered per second (one core, 8 items)",
            lambda: digest_render.lines(digest_render.run()),
        )
    if "digest_plan" in chosen:
        from bench import digest_plan

        _section("6. digest planning at size (moto in-process)", lambda: digest_plan.report(digest_plan.run()))
    if "digest_send" in chosen:
        from bench import digest_send

        _section("7. a digest run and its re-run (moto in-process)", lambda: digest_send.report(digest_send.run()))
    if "site" in chosen:
        from bench import site_build

        _section("8. the static site at size (moto in-process)", lambda: site_build.report(site_build.run()))
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
