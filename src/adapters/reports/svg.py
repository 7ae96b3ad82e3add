"""Inline SVG for the HTML report: ARC grids in the standard palette, and small line and bar charts.

Grids are drawn in cell units (viewBox = width x height cells) with one path per color made of
run-length row segments, so a 30x30 grid costs a few hundred bytes rather than 900 rectangles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from arc_ttt.domain.arc.grid import Grid

# The palette of the ARC task viewer: 0 black, 1 blue, 2 red, 3 green, 4 yellow, 5 gray, 6 magenta,
# 7 orange, 8 sky, 9 maroon.
ARC_PALETTE = ("#000000", "#0074D9", "#FF4136", "#2ECC40", "#FFDC00",
               "#AAAAAA", "#F012BE", "#FF851B", "#7FDBFF", "#870C25")
SERIES_COLORS = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed")


def palette_css() -> str:
    return "".join(f".c{i}{{fill:{color}}}" for i, color in enumerate(ARC_PALETTE))


def grid_svg(grid: Grid, max_px: int = 150, *, css_class: str = "grid", title: str = "") -> str:
    """One grid as an <svg>: the longer side at most `max_px` pixels, cells at least 3 and at most 22."""
    h, w = grid.shape
    cell = max(3, min(22, max_px // max(h, w)))
    paths: dict[int, list[str]] = {}
    for y, row in enumerate(grid.rows):
        x = 0
        while x < w:
            color, start = row[x], x
            while x < w and row[x] == color:
                x += 1
            if color:
                paths.setdefault(color, []).append(f"M{start} {y}h{x - start}v1h{start - x}z")
    body = "".join(f'<path class="c{c}" d="{"".join(segs)}"/>' for c, segs in sorted(paths.items()))
    lines = ""
    if cell >= 5:
        d = "".join(f"M0 {y}H{w}" for y in range(1, h)) + "".join(f"M{x} 0V{h}" for x in range(1, w))
        lines = f'<path class="gl" d="{d}"/>' if d else ""
    label = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'<svg class="{css_class}" viewBox="0 0 {w} {h}" width="{w * cell}" height="{h * cell}" '
        f'data-shape="{h}x{w}" role="img">{label}<rect class="c0" width="{w}" height="{h}"/>{body}{lines}</svg>'
    )


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while (not ticks or ticks[-1] < high) and len(ticks) < 12:  # the top tick is at or above the data
        ticks.append(round(value, 10))
        value += step
    return ticks


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def chart_svg(
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    y_label: str,
    x_label: str = "task (in the order solved)",
    kind: str = "line",
    width: int = 600,
    height: int = 240,
) -> str:
    """A line or bar chart of one or more series over the batch index, with axes, ticks and a legend."""
    left, right, top, bottom = 64, 16, 34, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max((len(v) for _, v in series), default=0)
    values = [x for _, v in series for x in v]
    ticks = _nice_ticks(0.0, max(values, default=1.0) or 1.0)
    y_max = ticks[-1] or 1.0

    def px(i: float) -> float:
        return left + (plot_w * (i + 0.5) / n if n else 0)

    def py(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">',
             f"<title>{escape(title)}</title>",
             f'<text class="ct" x="{left}" y="16">{escape(title)}</text>']
    for t in ticks:
        y = py(t)
        parts.append(f'<line class="gridline" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    for k in sorted({0, *(round(i * (n - 1) / 4) for i in range(5))}) if n else []:
        parts.append(f'<text class="tick" x="{px(k):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{k + 1}</text>')
    parts.append(f'<text class="axis" x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle">'
                 f"{escape(x_label)}</text>")
    parts.append(f'<text class="axis" transform="translate(14 {top + plot_h / 2}) rotate(-90)" '
                 f'text-anchor="middle">{escape(y_label)}</text>')
    for s, (name, vals) in enumerate(series):
        color = SERIES_COLORS[s % len(SERIES_COLORS)]
        if kind == "bar":
            bar_w = min(40.0, max(0.5, plot_w / max(n, 1) * 0.8))
            d = "".join(f"M{px(i) - bar_w / 2:.1f} {py(v):.1f}h{bar_w:.1f}V{py(0):.1f}h{-bar_w:.1f}z"
                        for i, v in enumerate(vals))
            parts.append(f'<path class="series" data-series="{escape(name)}" fill="{color}" d="{d}"/>')
        elif vals:
            d = "M" + "L".join(f"{px(i):.1f} {py(v):.1f}" for i, v in enumerate(vals))
            parts.append(f'<path class="series" data-series="{escape(name)}" fill="none" stroke="{color}" '
                         f'stroke-width="2" d="{d}"/>')
            if len(vals) <= 40:  # few points: mark each, so a single reading is visible too
                parts.extend(f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="3" fill="{color}"/>'
                             for i, v in enumerate(vals))
        parts.append(f'<rect x="{width - right - 150}" y="{6 + 14 * s}" width="10" height="10" fill="{color}"/>'
                     f'<text class="tick" x="{width - right - 136}" y="{15 + 14 * s}">{escape(name)}</text>')
    parts.append(f'<line class="axisline" x1="{left}" x2="{width - right}" y1="{py(0):.1f}" y2="{py(0):.1f}"/>')
    parts.append("</svg>")
    return "".join(parts)
