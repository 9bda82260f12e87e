"""`make digest`: ask the running `make run` to send the digests due now (``--all``: everyone's, now).

The local stack lives in the `make run` process (its moto server is in memory), so this only talks to it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="everyone whose digests are on, ignoring the schedule")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    args = parser.parse_args(argv)
    url = f"http://127.0.0.1:{args.port}/dev/digests" + ("?all=1" if args.all else "")
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=300) as response:
            report = json.load(response)
    except urllib.error.URLError as exc:
        reason = f"Chorus is not running on port {args.port} ({exc.reason}): start it with `make run` first."
        print(reason, file=sys.stderr)
        return 1
    print(
        f"Queued {report['queued']} digest(s); sent {report['sent']} "
        f"({report['already_sent_or_skipped']} already sent this period or with nothing to send).\n"
        f"Read them at {report['outbox']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
