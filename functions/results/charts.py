"""Charts for the Results page, drawn server-side as SVG (no script, no CDN, nothing for the CSP to refuse).

Each chart is one ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that says in words what it shows
(screen readers read those; the page also shows every chart's data as a table). Colours and strokes are SVG
presentation attributes, not ``style``: the site's CSP allows no inline style. Every label is escaped.

Why not a library: pygal (the maintained Python SVG charting library) writes a ``<style>`` element and inline
styles into each chart and a ``<script>`` for its tooltips, which the site's CSP (``style-src 'self'``,
``script-src 'self'``) refuses; a JavaScript library would draw in the browser from the figures, where this
draws once, beside the data table it must match.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28  # room for the axis labels
BLUE, GREEN, GREY, INK = "#1d4ed8", "#047857", "#d1d5db", "#374151"
_ANCHORS = {0: (), 1: ("start",), 2: ("start", "end"), 3: ("start", "middle", "end")}  # the day labels' ends


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at or above ``value`` (the axis' top), 1 for nothing."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        top = step * 10.0**exponent
        if top >= value - 1e-9:
            return top
    return 10.0 ** (exponent + 1)  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}".rstrip("0")


def trend(points: Sequence[tuple[str, float]], *, title: str, description: str, colour: str = BLUE) -> Markup:
    """A line over days: ``points`` are (day, value), oldest first."""
    values = [float(v) for _, v in points]
    top = nice_ceiling(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: float) -> float:
        return TOP + plot_h - (v / top) * plot_h

    grid = "".join(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(top * f):.1f}" y2="{y(top * f):.1f}" stroke="{GREY}"/>'
        f'<text x="{LEFT - 6}" y="{y(top * f) + 4:.1f}" text-anchor="end" font-size="11" fill="{INK}">'
        f"{escape(_number(top * f))}</text>"
        for f in (0, 0.5, 1)
    )
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    shape = (
        f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>'
        if len(values) > 1
        else "".join(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>' for i, v in enumerate(values))
    )
    ticks = [(0, points[0][0])] if points else []
    if len(points) > 2:
        ticks.append((len(points) // 2, points[len(points) // 2][0]))
    if len(points) > 1:
        ticks.append((len(points) - 1, points[-1][0]))
    labels = "".join(
        f'<text x="{x(i):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" font-size="11" fill="{INK}">{escape(day)}</text>'
        for (i, day), anchor in zip(ticks, _ANCHORS[len(ticks)], strict=True)
    )
    return _svg(title, description, grid + shape + labels)


def bars(rows: Sequence[tuple[str, float]], *, title: str, description: str, colour: str = BLUE) -> Markup:
    """Horizontal bars, one per (label, value), in the order given."""
    top = nice_ceiling(max((float(v) for _, v in rows), default=0.0))
    row_h, label_w = 26, 150
    height = max(len(rows), 1) * row_h + 8
    plot_w = WIDTH - label_w - 60
    body = "".join(
        f'<text x="{label_w - 8}" y="{i * row_h + 18}" text-anchor="end" font-size="12" fill="{INK}">'
        f"{escape(_clip(label))}</text>"
        f'<rect x="{label_w}" y="{i * row_h + 5}" width="{max(float(v) / top * plot_w, 0.0):.1f}" height="16" '
        f'fill="{colour}"/>'
        f'<text x="{label_w + max(float(v) / top * plot_w, 0.0) + 6:.1f}" y="{i * row_h + 18}" font-size="12" '
        f'fill="{INK}">{escape(_number(float(v)))}</text>'
        for i, (label, v) in enumerate(rows)
    )
    return _svg(title, description, body, height=height)


def paired_bars(
    rows: Sequence[tuple[str, float, float]], *, title: str, description: str, legend: tuple[str, str]
) -> Markup:
    """Two bars per label (e.g. shares and the human clicks they brought), with a legend."""
    top = nice_ceiling(max((float(max(a, b)) for _, a, b in rows), default=0.0))
    row_h, label_w = 40, 110
    height = max(len(rows), 1) * row_h + 30
    plot_w = WIDTH - label_w - 60
    body = (
        f'<rect x="{label_w}" y="4" width="12" height="12" fill="{BLUE}"/>'
        f'<text x="{label_w + 18}" y="14" font-size="12" fill="{INK}">{escape(legend[0])}</text>'
        f'<rect x="{label_w + 180}" y="4" width="12" height="12" fill="{GREEN}"/>'
        f'<text x="{label_w + 198}" y="14" font-size="12" fill="{INK}">{escape(legend[1])}</text>'
    )
    for i, (label, first, second) in enumerate(rows):
        base = 28 + i * row_h
        body += f'<text x="{label_w - 8}" y="{base + 16}" text-anchor="end" font-size="12" fill="{INK}">'
        body += f"{escape(_clip(label))}</text>"
        for j, (value, colour) in enumerate(((float(first), BLUE), (float(second), GREEN))):
            width = value / top * plot_w
            body += f'<rect x="{label_w}" y="{base + j * 15}" width="{width:.1f}" height="13" fill="{colour}"/>'
            body += f'<text x="{label_w + width + 6:.1f}" y="{base + j * 15 + 11}" font-size="11" fill="{INK}">'
            body += f"{escape(_number(value))}</text>"
    return _svg(title, description, body, height=height)


def _clip(label: str, most: int = 22) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def _svg(title: str, description: str, body: str, *, height: int = HEIGHT) -> Markup:
    ident = "c" + hashlib.blake2b(f"{title}\n{description}".encode(), digest_size=5).hexdigest()
    return Markup(  # noqa: S704 - every text in it went through escape() (title, description, labels, numbers)
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(description)}</desc>'
        f"{body}</svg>"
    )
