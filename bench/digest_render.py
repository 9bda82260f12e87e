"""Digest emails rendered per second on one core: ``render_digest`` + ``build_message`` for 8 items, per locale.

The process is pinned to one CPU while it measures (where the OS allows it) and the rate is taken from the
process's CPU time, so other work on a shared machine slows the wall clock but not the figure; the wall-clock
rate is printed beside it. Each locale runs a warm-up email, then ``rounds`` rounds of ``per_round`` emails;
figures are the median round. ``run()`` returns the figures; ``lines()`` turns them into what ``make bench``
prints.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

ITEMS = 8
ROUNDS = 5
PER_ROUND = 100
SENDER = "Chorus <digest@chorus.example.org>"


def run(rounds: int = ROUNDS, per_round: int = PER_ROUND) -> dict[str, Any]:
    """``{"items": 8, "cpu": …, "locales": {locale: {"emails_per_second", "render_ms", "message_ms", …}}}``."""
    from functions.digest.render import build_message, render_digest
    from functions.i18n import LOCALES

    figures: dict[str, Any] = {"items": ITEMS, "rounds": rounds, "per_round": per_round, "locales": {}}
    with _one_core() as cpu:
        figures["cpu"] = cpu
        for locale in LOCALES:
            digest = _digest(locale)
            raw = build_message(digest, render_digest(digest), SENDER)  # warm: imports, templates, catalogs
            rates, wall_rates, render_times, message_times = [], [], [], []
            for _ in range(rounds):
                rendering = messaging = 0.0
                wall = time.perf_counter()
                for _ in range(per_round):
                    started = time.process_time()
                    rendered = render_digest(digest)
                    rendered_at = time.process_time()
                    build_message(digest, rendered, SENDER)
                    finished = time.process_time()
                    rendering += rendered_at - started
                    messaging += finished - rendered_at
                wall_rates.append(per_round / (time.perf_counter() - wall))
                rates.append(per_round / (rendering + messaging))
                render_times.append(rendering / per_round)
                message_times.append(messaging / per_round)
            figures["locales"][locale] = {
                "emails_per_second": statistics.median(rates),
                "wall_emails_per_second": statistics.median(wall_rates),
                "render_ms": statistics.median(render_times) * 1000,
                "message_ms": statistics.median(message_times) * 1000,
                "bytes": len(raw),
            }
    return figures


def lines(figures: dict[str, Any]) -> list[str]:
    """What ``make bench`` prints for ``run()``'s figures."""
    where = f"pinned to CPU {figures['cpu']}" if figures["cpu"] is not None else "not pinned (no sched_setaffinity)"
    out = [
        f"{figures['items']} items per email, median of {figures['rounds']} rounds of {figures['per_round']} "
        f"emails, one process {where}"
    ]
    for locale, f in figures["locales"].items():
        out.append(
            f"{locale}: {f['emails_per_second']:,.0f} emails per CPU-second "
            f"({f['render_ms']:.2f} ms HTML + text with CSS inlined, {f['message_ms']:.2f} ms MIME message; "
            f"{f['bytes'] / 1024:.0f} KB raw; {f['wall_emails_per_second']:,.0f}/s by the wall clock)"
        )
    slowest = min(f["emails_per_second"] for f in figures["locales"].values())
    out.append(f"100,000 digests at the slowest locale's rate: {100_000 / slowest / 60:.1f} CPU-minutes of rendering")
    return out


@contextmanager
def _one_core() -> Iterator[int | None]:
    if not hasattr(os, "sched_setaffinity"):
        yield None
        return
    allowed = os.sched_getaffinity(0)
    cpu = min(allowed)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, allowed)


def _digest(locale: str) -> Any:
    """A typical digest: 8 items (two important, five with images), signed-looking links, a week's figures."""
    from functions.config import NETWORKS
    from functions.digest.render import Digest, DigestItem, WeekFigures

    api = "https://api.chorus.example.org"
    signature = "k3Jx0cQbq8yWz5Yk2mFj7uRt1Lh9s"  # about the length of a real share-link signature
    items = tuple(
        DigestItem(
            content_id=f"content-{n:04d}",
            title=f"Quarterly results {n}: what changed for our customers and why it matters",
            summary="A short summary of the article, two or three sentences long, as admins write them for "
            "the library. It tells the reader why this is worth their network's attention.",
            image_url=f"https://cdn.example.com/images/{n}.jpg" if n % 3 else None,
            url=f"https://example.com/news/2026/11/quarterly-results-{n}",
            share_text=f"Proud of what our team shipped this quarter (#{n}). Worth a read:",
            share_links={
                net: f"{api}/share/e0123456789abcdef/content-{n:04d}/{net}?x=1795000000&s={signature}"
                for net in NETWORKS
            },
            important=n < 2,
            kind="third_party" if n % 5 == 4 else "company",
        )
        for n in range(ITEMS)
    )
    token = "e0123456789abcdef.1795000000." + signature
    return Digest(
        employee_id="e0123456789abcdef",
        name={"en": "Alex Morgan", "pl": "Łucja Żak", "lt": "Jūratė Šalkauskienė", "ru": "Анна Смирнова"}[locale],
        email="employee@example.com",
        locale=locale,
        time_zone="Europe/Vilnius",
        items=items,
        site_url=f"https://chorus.example.org/?t={token}",
        preferences_url=f"{api}/preferences?t={token}",
        unsubscribe_url=f"{api}/unsubscribe?t={token}",
        unsubscribe_mailto=f"mailto:unsubscribe@chorus.example.org?subject=unsubscribe%20{token}",
        week=WeekFigures(shares=14, human_clicks=1234, rank=7),
        period="2026-W47",
        created_at=datetime(2026, 11, 22, 7, 0, tzinfo=UTC),
    )


if __name__ == "__main__":
    for line in lines(run()):
        print(line)
