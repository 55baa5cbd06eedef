"""Outcome trend charts as plain SVG: one chart per goal's measure (ADR 0006).

The chart shows the baseline and every later measurement, the noise band around the
baseline (baseline plus or minus the measurement error the goal status uses: the MDC, or
the MCID where no MDC is known; ``band_label`` names it), the
goal's target as a dashed line and its due date as a dotted one. Pure: the caller passes
the points; the same SVG goes into the chart page and the physician's PDF.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from palpa.care.progress import Point
from palpa.outcomes.library import get_instrument

INK = "#1d2a33"
ACCENT = "#0b6e75"
BAND = "#cfe3e5"
TARGET = "#1e6b33"


@dataclass(frozen=True)
class TrendChart:
    title: str
    unit: str
    baseline: Point
    series: Sequence[Point]
    target: float
    due_on: dt.date
    mcid: float | None  # the band's half-width (the noise band), when one is known
    low: float | None = None  # the measure's range, for the y axis
    high: float | None = None
    band_label: str = "MCID"  # what the band is: "MDC", or "MCID" where no MDC is known


def noise_band_of(instrument: str, *, activity: bool = False) -> tuple[float | None, str]:
    """The band the goal status treats as no detectable change: the MDC (one PSFS activity:
    the single-activity MDC), or the MCID where no MDC is known."""
    if not instrument:
        return None, ""
    defaults = get_instrument(instrument).defaults_for(activity=activity)
    if defaults.mdc is not None:
        return float(defaults.mdc.value), "MDC"
    if defaults.mcid is not None:
        return float(defaults.mcid.value), "MCID"
    return None, ""


WIDTH, HEIGHT = 600, 300
LEFT, RIGHT, TOP, BOTTOM = 58, 16, 34, 62  # the plot area's margins
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


def _nice_step(span: float, most: int = 6) -> float:
    """A step of 1, 2, 2.5 or 5 times a power of ten giving at most ``most`` intervals."""
    if span <= 0:
        return 1.0
    raw = span / most
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return float(factor * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:g}"


def _y_range(chart: TrendChart) -> tuple[float, float]:
    if chart.low is not None and chart.high is not None:
        pad = (chart.high - chart.low) * 0.05 or 1.0
        return chart.low - pad, chart.high + pad
    values = [chart.baseline.value, *(p.value for p in chart.series), chart.target]
    if chart.mcid is not None:
        values += [chart.baseline.value - chart.mcid, chart.baseline.value + chart.mcid]
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or 1.0
    return low - pad, high + pad


def render_svg(chart: TrendChart) -> str:
    """The chart as an SVG document (text): a line of the measurements with its baseline,
    the baseline ± MCID band, the target (dashed), the due date (dotted), axes with dates
    and values, and a legend. Plain SVG with presentation attributes only (no styles, no
    scripts), so it embeds under a strict CSP and renders in WeasyPrint."""
    points = [chart.baseline, *chart.series]
    dates = [p.on for p in points]
    start = min(dates[0], chart.due_on)
    end = max(dates[-1], chart.due_on)
    x_low, x_high = -2.0, float((end - start).days) + 2.0
    y_low, y_high = _y_range(chart)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        return LEFT + ((day - start).days - x_low) / (x_high - x_low) * plot_w

    def y(value: float) -> float:
        clamped = min(max(value, y_low), y_high)
        return TOP + (y_high - clamped) / (y_high - y_low) * plot_h

    out: list[str] = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}">',
        f"<title>{escape(chart.title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    step = _nice_step(y_high - y_low)
    tick = math.ceil(y_low / step) * step
    while tick <= y_high + 1e-9:
        ty = y(tick)
        out.append(
            f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}"'
            ' stroke="#d5dbdf" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" font-size="11" fill="{INK}"'
            f' text-anchor="end">{_number(round(tick, 6))}</text>'
        )
        tick += step
    if chart.mcid is not None:
        top = y(chart.baseline.value + chart.mcid)
        bottom = y(chart.baseline.value - chart.mcid)
        out.append(
            f'<rect x="{LEFT}" y="{top:.1f}" width="{plot_w}" height="{bottom - top:.1f}"'
            f' fill="{BAND}" fill-opacity="0.8"/>'
        )
    ty = y(chart.target)
    out.append(
        f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}" stroke="{TARGET}"'
        ' stroke-width="1.5" stroke-dasharray="6 4"/>'
    )
    due = x(chart.due_on)
    out.append(
        f'<line x1="{due:.1f}" y1="{TOP}" x2="{due:.1f}" y2="{TOP + plot_h}" stroke="#8a5a00"'
        ' stroke-width="1" stroke-dasharray="2 3"/>'
    )
    line = " ".join(f"{x(p.on):.1f},{y(p.value):.1f}" for p in points)
    out.append(f'<polyline points="{line}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for p in points:
        out.append(
            f'<circle cx="{x(p.on):.1f}" cy="{y(p.value):.1f}" r="3.5" fill="{ACCENT}">'
            f"<title>{p.on.isoformat()}: {_number(p.value)}</title></circle>"
        )
    out.append(
        f'<path d="M{LEFT},{TOP} V{TOP + plot_h} H{LEFT + plot_w}" fill="none"'
        f' stroke="{INK}" stroke-width="1"/>'
    )
    ticks = sorted({*dates, chart.due_on})
    if len(ticks) > 6:
        every = (len(ticks) + 5) // 6
        ticks = [*ticks[:-1:every], ticks[-1]]
    for day in ticks:
        tx, base = x(day), TOP + plot_h
        out.append(
            f'<line x1="{tx:.1f}" y1="{base}" x2="{tx:.1f}" y2="{base + 4}" stroke="{INK}"/>'
        )
        out.append(
            f'<text x="{tx:.1f}" y="{base + 16}" font-size="10" fill="{INK}" text-anchor="end"'
            f' transform="rotate(-30 {tx:.1f} {base + 16})">{day.isoformat()}</text>'
        )
    out.append(
        f'<text x="{WIDTH / 2:.0f}" y="20" font-size="13" fill="{INK}"'
        f' text-anchor="middle">{escape(chart.title)}</text>'
    )
    if chart.unit:
        mid = TOP + plot_h / 2
        out.append(
            f'<text x="14" y="{mid:.0f}" font-size="11" fill="{INK}" text-anchor="middle"'
            f' transform="rotate(-90 14 {mid:.0f})">{escape(chart.unit)}</text>'
        )
    legend = [("line", ACCENT, "", chart.title), ("line", TARGET, "6 4", "Target")]
    if chart.mcid is not None:
        legend.append(("band", BAND, "", f"Baseline ± {chart.band_label} ({_number(chart.mcid)})"))
    lx, ly = LEFT + plot_w - 190, TOP + 6
    out.append(
        f'<rect x="{lx - 6}" y="{ly - 4}" width="196" height="{len(legend) * 16 + 6}"'
        ' fill="#ffffff" fill-opacity="0.85" stroke="#d5dbdf"/>'
    )
    for row, (kind, color, dash, label) in enumerate(legend):
        ry = ly + row * 16 + 6
        if kind == "band":
            out.append(f'<rect x="{lx}" y="{ry - 5}" width="22" height="10" fill="{color}"/>')
        else:
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line x1="{lx}" y1="{ry}" x2="{lx + 22}" y2="{ry}" stroke="{color}"'
                f' stroke-width="2"{dashed}/>'
            )
        out.append(
            f'<text x="{lx + 28}" y="{ry + 4}" font-size="10" fill="{INK}">'
            f"{escape(label[:30])}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


_PROLOG = re.compile(r"<\?xml.*?\?>", re.S)


def inline_svg(svg: str, label: str) -> str:
    """The chart ready to embed in a page: without its XML declaration, labelled as an
    image. ``render_svg`` writes no style, script or comment, so the page's strict CSP
    holds."""
    body = _PROLOG.sub("", svg).strip()
    return body.replace(
        "<svg ", f'<svg role="img" aria-label="{escape(label)}" class="trend-svg" ', 1
    )
