"""Outcome trend charts as SVG (matplotlib, Agg): one chart per goal's measure.

The chart shows the baseline and every later measurement, the MCID band around the
baseline (baseline plus or minus the instrument's default MCID, when it has one) and the
goal's target as a dashed line. Pure apart from matplotlib: the caller passes the points.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

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
    mcid: float | None  # the band's half-width, when the instrument has a default MCID
    low: float | None = None  # the measure's range, for the y axis
    high: float | None = None


def mcid_of(instrument: str) -> float | None:
    if not instrument:
        return None
    threshold = get_instrument(instrument).change_defaults.mcid
    return None if threshold is None else float(threshold.value)


def render_svg(chart: TrendChart) -> str:
    """The chart as an SVG document (text)."""
    # Imported here, not at module load: matplotlib and numpy add ~45 MB to every worker,
    # and only chart requests need them. Figure() needs no pyplot backend selection.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 3.0), dpi=100)
    ax = fig.add_subplot()
    points = [chart.baseline, *chart.series]
    dates = [p.on for p in points]
    values = [p.value for p in points]
    start = min(dates[0], chart.due_on)
    end = max(dates[-1], chart.due_on)
    if chart.mcid is not None:
        ax.axhspan(
            chart.baseline.value - chart.mcid,
            chart.baseline.value + chart.mcid,
            color=BAND,
            label=f"Baseline ± MCID ({chart.mcid:g})",
        )
    ax.axhline(chart.target, color=TARGET, linestyle="--", linewidth=1.5, label="Target")

    def day(d: dt.date) -> float:
        return float((d - start).days)

    ax.axvline(day(chart.due_on), color="#8a5a00", linestyle=":", linewidth=1)
    ax.plot(
        [day(d) for d in dates],
        values,
        color=ACCENT,
        marker="o",
        linewidth=2,
        label=chart.title,
    )
    ax.set_xlim(-2, day(end) + 2)
    if chart.low is not None and chart.high is not None:
        pad = (chart.high - chart.low) * 0.05 or 1
        ax.set_ylim(chart.low - pad, chart.high + pad)
    ticks = sorted({*dates, chart.due_on})
    if len(ticks) > 6:
        step = (len(ticks) + 5) // 6
        ticks = [*ticks[:-1:step], ticks[-1]]
    ax.set_xticks([day(d) for d in ticks], [d.isoformat() for d in ticks])
    ax.set_ylabel(chart.unit, color=INK)
    ax.set_title(chart.title, color=INK, fontsize=11)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


_PROLOG = re.compile(
    r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->|<style.*?</style>|<metadata>.*?</metadata>", re.S
)
_STYLE = re.compile(r'\sstyle="([^"]*)"')
_PROPERTY = re.compile(r"^[a-z-]+$")


def _presentation(match: re.Match[str]) -> str:
    attrs = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name and value and _PROPERTY.match(name) and '"' not in value:
            attrs.append(f' {name}="{value}"')
    return "".join(attrs)


def inline_svg(svg: str, label: str) -> str:
    """The chart ready to embed in a page under a strict CSP: no <style>, no style
    attributes (turned into presentation attributes), no comments (matplotlib copies the
    chart's text into them), labelled as an image."""
    body = _PROLOG.sub("", svg).strip()
    body = _STYLE.sub(_presentation, body)
    safe_label = (
        label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )
    return body.replace("<svg ", f'<svg role="img" aria-label="{safe_label}" class="trend-svg" ', 1)
