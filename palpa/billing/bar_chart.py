"""Small bar charts as plain SVG (pure; ADR 0006's approach): one or two series of bars
per category, a zero line, the largest value on the axis, a legend when there are two
series. Presentation attributes only (no style, no script), every text escaped, a
``<title>`` for the chart and each bar; the page shows the same figures as a table, which
is what screen readers read (the SVG is ``role="img"`` with the chart's title)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 360, 150
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 18, 22
COLORS = ("#2f6f8f", "#c77d21")  # blue, ochre: apart for common colour blindness
INK = "#333333"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal | int]


def _number(value: Decimal | int, money: bool) -> str:
    return f"{value:,.2f}" if money else f"{value:,}"


def render(
    title: str, labels: Sequence[str], series: Sequence[Series], *, money: bool = False
) -> str:
    """The chart as an SVG element ready to embed (``role="img"``, titled)."""
    top_value = max((v for s in series for v in s.values), default=0)
    top_value = max(top_value, 0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    bar_w = max(slot * 0.8 / max(len(series), 1), 1)
    base_y = TOP + plot_h
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="bar-svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{base_y}" x2="{WIDTH - RIGHT}" y2="{base_y}" stroke="{INK}"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" font-size="10" text-anchor="end" fill="{INK}">'
        f"{escape(_number(top_value, money))}</text>",
        f'<text x="{LEFT - 4}" y="{base_y}" font-size="10" text-anchor="end" fill="{INK}">0</text>',
    ]
    every = max(1, -(-len(labels) // 8))  # at most 8 labels under the axis
    for i, label in enumerate(labels):
        x0 = LEFT + i * slot + slot * 0.1
        for j, one in enumerate(series):
            value = one.values[i] if i < len(one.values) else 0
            height = plot_h * max(float(value), 0) / float(top_value)
            x = x0 + j * bar_w
            out.append(
                f'<rect x="{x:.1f}" y="{base_y - height:.1f}" width="{bar_w:.1f}" '
                f'height="{height:.1f}" fill="{COLORS[j % len(COLORS)]}">'
                f"<title>{escape(f'{label}: {one.name} {_number(value, money)}')}</title></rect>"
            )
        if i % every == 0:
            out.append(
                f'<text x="{LEFT + (i + 0.5) * slot:.1f}" y="{HEIGHT - 6}" font-size="10" '
                f'text-anchor="middle" fill="{INK}">{escape(label)}</text>'
            )
    if len(series) > 1:
        x = LEFT
        for j, one in enumerate(series):
            out.append(
                f'<rect x="{x}" y="4" width="10" height="10" fill="{COLORS[j % len(COLORS)]}"/>'
                f'<text x="{x + 14}" y="13" font-size="10" fill="{INK}">{escape(one.name)}</text>'
            )
            x += 14 + 7 * len(one.name) + 12
    out.append("</svg>")
    return "".join(out)
