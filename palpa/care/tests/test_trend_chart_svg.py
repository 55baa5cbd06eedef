"""The trend chart is plain, well-formed SVG: the measurements, the MCID band, the target
and the due date, with text escaped and no styles or scripts."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from palpa.care.charts import TrendChart, inline_svg, render_svg
from palpa.care.progress import Point

SVG = "{http://www.w3.org/2000/svg}"
START = dt.date(2026, 9, 1)


def _chart(values: list[float], *, mcid: float | None = 10.0, title: str = "ODI") -> TrendChart:
    return TrendChart(
        title=title,
        unit="% disability",
        baseline=Point(on=START, value=values[0]),
        series=[
            Point(on=START + dt.timedelta(days=14 * i), value=v)
            for i, v in enumerate(values[1:], 1)
        ],
        target=20.0,
        due_on=START + dt.timedelta(days=70),
        mcid=mcid,
        low=0.0,
        high=100.0,
    )


def test_the_chart_draws_every_measurement_the_band_the_target_and_the_due_date() -> None:
    svg = ET.fromstring(render_svg(_chart([34, 28, 22, 18])))
    (line,) = svg.iter(f"{SVG}polyline")
    assert len(line.attrib["points"].split()) == 4
    assert len(list(svg.iter(f"{SVG}circle"))) == 4
    dashed = [e.attrib.get("stroke-dasharray") for e in svg.iter(f"{SVG}line")]
    assert "6 4" in dashed  # the target
    assert "2 3" in dashed  # the due date
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Baseline ± MCID (10)" in texts
    assert "2026-09-01" in texts
    assert "% disability" in texts


def test_without_an_mcid_there_is_no_band() -> None:
    texts = [
        t.text or ""
        for t in ET.fromstring(render_svg(_chart([5, 4], mcid=None))).iter(f"{SVG}text")
    ]
    assert not any("MCID" in t for t in texts)


def test_text_is_escaped_and_the_inline_form_has_no_styles() -> None:
    document = render_svg(_chart([34, 30], title='Pain <b>"now"</b> & later'))
    root = ET.fromstring(document)  # well-formed despite the markup in the title
    assert root.find(f"{SVG}title") is not None
    assert root.find(f"{SVG}title").text == 'Pain <b>"now"</b> & later'  # type: ignore[union-attr]
    inline = inline_svg(document, "Trend of pain")
    assert "<?xml" not in inline
    assert "style=" not in inline
    assert "<script" not in inline
    assert 'aria-label="Trend of pain"' in inline


@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=30))
def test_points_lie_in_the_plot_area_in_date_order_and_higher_values_higher(
    values: list[float],
) -> None:
    svg = ET.fromstring(render_svg(_chart(values)))
    circles = list(svg.iter(f"{SVG}circle"))
    assert len(circles) == len(values)  # the baseline and every measurement
    xs = [float(c.attrib["cx"]) for c in circles]
    ys = [float(c.attrib["cy"]) for c in circles]
    assert all(58 <= x <= 600 - 16 for x in xs)
    assert all(34 <= y <= 300 - 62 for y in ys)
    assert xs == sorted(xs)  # later dates further right
    assert len(set(xs)) == len(xs)
    for i in range(1, len(values)):
        a, b, ya, yb = values[i - 1], values[i], ys[i - 1], ys[i]
        if b > a + 0.5:  # half a unit is a pixel on this 0-100 scale: drawn apart
            assert yb < ya
        elif a > b + 0.5:
            assert yb > ya
