"""The Outcomes pages' charts as plain SVG (ADR 0006's approach, like billing.bar_chart):
a forest plot of responder rates with their intervals, Kaplan-Meier curves of visits to
first meaningful change, and a funnel plot of observed minus expected. Pure: the caller
passes the snapshot's figures. Presentation attributes only (no style, no script), every
text escaped, ``role="img"`` with a title; the page shows the same figures in a table
beside each chart, which is what screen readers read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

INK = "#1d2a33"
MUTED = "#6b7780"
GRID = "#d9dee2"
COLORS = ("#2f6f8f", "#c77d21", "#1e6b33", "#8f2f6f", "#5b4fa8", "#9a3b1f", "#3b7f7a")
FLAG = "#b0261d"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


def _open(width: int, height: int, title: str, css: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="{css}" font-family="{FONT}">',
        f"<title>{escape(title)}</title>",
    ]


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def forest(title: str, cells: Sequence[Mapping[str, Any]], *, min_cell: int = 10) -> str:
    """One row per cell: the responder rate as a square, its interval as a line; a
    suppressed cell as a note; a cell marked different (BH) in red with a diamond."""
    width, left, right, row_h, top = 640, 210, 20, 22, 28
    height = top + row_h * max(len(cells), 1) + 30
    plot_w = width - left - right
    out = _open(width, height, title, "forest-svg")

    def x(rate: float) -> float:
        return left + plot_w * min(1.0, max(0.0, rate))

    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(
            f'<line x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" '
            f'y2="{height - 24}" stroke="{GRID}"/>'
            f'<text x="{x(tick):.1f}" y="{height - 8}" font-size="11" text-anchor="middle" '
            f'fill="{INK}">{_pct(tick)}</text>'
        )
    out.append(
        f'<text x="{left}" y="14" font-size="11" fill="{MUTED}">Responder rate with its '
        f"95% interval</text>"
    )
    for i, cell in enumerate(cells):
        y = top + row_h * i + row_h / 2
        label = str(cell.get("label", ""))
        short = label if len(label) <= 32 else label[:31] + "…"
        out.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{INK}">{escape(short)}</text>'
        )
        rate = cell.get("rate")
        if cell.get("suppressed") or not rate:
            why = (
                f"fewer than {min_cell} episodes: not shown"
                if cell.get("suppressed")
                else "no episode measured twice"
            )
            out.append(
                f'<text x="{left + 6}" y="{y + 4:.1f}" font-size="11" font-style="italic" '
                f'fill="{MUTED}">{escape(why)}</text>'
            )
            continue
        estimate, low, high = (float(v) for v in rate)
        color = FLAG if cell.get("different") else COLORS[0]
        out.append(
            f'<line x1="{x(low):.1f}" y1="{y:.1f}" x2="{x(high):.1f}" y2="{y:.1f}" '
            f'stroke="{color}" stroke-width="2"><title>'
            f"{escape(f'{label}: {_pct(estimate)} ({_pct(low)} to {_pct(high)})')}</title></line>"
        )
        size = 4 + min(4.0, (int(cell.get("measured") or 0) ** 0.5) / 6)
        if cell.get("different"):
            out.append(
                f'<path d="M{x(estimate):.1f} {y - size - 1:.1f} l{size + 1:.1f} {size + 1:.1f} '
                f'l-{size + 1:.1f} {size + 1:.1f} l-{size + 1:.1f} -{size + 1:.1f}z" '
                f'fill="{color}"/>'
            )
        else:
            out.append(
                f'<rect x="{x(estimate) - size / 2:.1f}" y="{y - size / 2:.1f}" '
                f'width="{size:.1f}" height="{size:.1f}" fill="{color}"/>'
            )
    out.append("</svg>")
    return "".join(out)


def kaplan_meier(title: str, curves: Sequence[Mapping[str, Any]]) -> str:
    """Share of episodes that reached a meaningful change by visit, one step line per
    group (its interval as a band when only one group is drawn); suppressed groups are
    left out of the drawing and named in the table."""
    width, height = 640, 300
    left, right, top, bottom = 50, 150, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    drawn = [c for c in curves if not c.get("suppressed") and c.get("times")]
    last = max((float(c["times"][-1]) for c in drawn), default=1.0) or 1.0
    out = _open(width, height, title, "km-svg")

    def x(t: float) -> float:
        return left + plot_w * t / last

    def y(share: float) -> float:
        return top + plot_h * (1 - min(1.0, max(0.0, share)))

    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{left + plot_w}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="{INK}">{_pct(tick)}</text>'
        )
    step = max(1, round(last / 8))
    t = 0
    while t <= last:
        out.append(
            f'<text x="{x(t):.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle" '
            f'fill="{INK}">{t}</text>'
        )
        t += step
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" font-size="11" '
        f'text-anchor="middle" fill="{MUTED}">Visits</text>'
    )
    for i, curve in enumerate(drawn):
        color = COLORS[i % len(COLORS)]
        name = str(curve.get("label", curve.get("group", "")))
        times = [float(v) for v in curve["times"]]
        reached = [float(v) for v in curve["reached"]]
        if len(drawn) == 1:
            upper = [float(v) for v in curve["high"]]
            lower = [float(v) for v in curve["low"]]
            band = (
                _steps(times, upper, x, y, last)
                + " "
                + _steps(times, lower, x, y, last, reverse=True)
            )
            out.append(f'<polygon points="{band}" fill="{color}" fill-opacity="0.15"/>')
        out.append(
            f'<polyline points="{_steps(times, reached, x, y, last)}" fill="none" '
            f'stroke="{color}" stroke-width="2"/>'
        )
        out.append(
            f'<rect x="{left + plot_w + 10}" y="{top + 16 * i}" width="10" height="10" '
            f'fill="{color}"/><text x="{left + plot_w + 24}" y="{top + 16 * i + 9}" '
            f'font-size="11" fill="{INK}">{escape(name[:20])}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _steps(
    times: Sequence[float],
    values: Sequence[float],
    x: Any,
    y: Any,
    last: float,
    *,
    reverse: bool = False,
) -> str:
    points: list[tuple[float, float]] = []
    for i, (t, v) in enumerate(zip(times, values, strict=True)):
        if i:
            points.append((t, values[i - 1]))
        points.append((t, v))
    points.append((last, values[-1]))
    if reverse:
        points.reverse()
    return " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)


def funnel(title: str, figures: Mapping[str, Any]) -> str:
    """Observed minus expected responder rate (y) against measured episodes (x), with the
    95 % and 99.8 % control limits around zero; a group marked different (BH) in red."""
    width, height = 640, 320
    left, right, top, bottom = 60, 20, 20, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    curve = [list(map(float, row)) for row in figures.get("curve", [])]
    groups = [g for g in figures.get("groups", []) if not g.get("suppressed")]
    top_n = max([row[0] for row in curve] + [float(g["n"]) for g in groups] + [10.0])
    spread = max(
        [abs(v) for row in curve for v in row[1:]]
        + [abs(float(g["o_minus_e"])) for g in groups]
        + [0.1]
    )
    spread = min(1.0, spread * 1.1)
    out = _open(width, height, title, "funnel-svg")

    def x(n: float) -> float:
        return left + plot_w * n / top_n

    def y(d: float) -> float:
        return top + plot_h * (0.5 - d / (2 * spread))

    for tick in (-spread, -spread / 2, 0.0, spread / 2, spread):
        out.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{left + plot_w}" y2="{y(tick):.1f}" '
            f'stroke="{INK if tick == 0 else GRID}"/><text x="{left - 6}" '
            f'y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end" fill="{INK}">'
            f"{'0' if tick == 0 else f'{tick * 100:+.0f}'}</text>"
        )
    for n in _ticks(top_n):
        out.append(
            f'<text x="{x(n):.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle" '
            f'fill="{INK}">{n}</text>'
        )
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" font-size="11" '
        f'text-anchor="middle" fill="{MUTED}">Measured episodes; y: observed minus expected '
        f"responders, percentage points</text>"
    )
    for column, dash in ((1, "2 3"), (2, "6 3"), (3, "6 3"), (4, "2 3")):
        if curve:
            line = " ".join(f"{x(row[0]):.1f},{y(row[column]):.1f}" for row in curve)
            out.append(
                f'<polyline points="{line}" fill="none" stroke="{MUTED}" '
                f'stroke-dasharray="{dash}"/>'
            )
    for g in groups:
        color = FLAG if g.get("different") else COLORS[0]
        d = float(g["o_minus_e"])
        tip = f"{g.get('label', '')}: {d * 100:+.1f} points on {g['n']} episodes"
        out.append(
            f'<circle cx="{x(float(g["n"])):.1f}" cy="{y(d):.1f}" r="5" fill="{color}" '
            f'fill-opacity="0.8"><title>{escape(tip)}</title></circle>'
        )
    out.append("</svg>")
    return "".join(out)


def _ticks(top: float) -> list[int]:
    step = max(1, int(top / 5))
    magnitude = 10 ** (len(str(step)) - 1)
    step = max(1, round(step / magnitude) * magnitude)
    return list(range(0, int(top) + 1, step))
