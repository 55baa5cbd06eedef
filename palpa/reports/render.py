"""A report as HTML (the browser preview) and as PDF (WeasyPrint), from one template.

Both are rendered from the report's snapshot (``content.build``). Trend charts come from
``care.charts.render_svg`` and are embedded as ``data:`` images, so the preview, the PDF
and the chart on the care pages share one chart path. WeasyPrint fetches nothing: the
stylesheet is read from disk and passed in, and the URL fetcher refuses every URL that is
not a ``data:`` URL.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from palpa.care import charts
from palpa.reports.content import trend_chart

STYLESHEET = Path(__file__).resolve().parents[1] / "static" / "reports" / "report.css"


def _no_network_fetcher() -> Any:
    """A WeasyPrint URL fetcher for ``data:`` URLs only; anything else (http, https, file,
    ftp) is refused. WeasyPrint is imported here, when a PDF is made, not when the app
    starts: it adds tens of megabytes to every worker that never renders a report."""
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class NoNetworkFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"Reports load nothing from outside: refused {url[:80]}")
            return super().fetch(url, headers)

    return NoNetworkFetcher()


@lru_cache(maxsize=1)
def _stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


def chart_uri(chart: dict[str, Any]) -> str:
    svg = charts.render_svg(trend_chart(chart))
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def context(content: dict[str, Any], *, draft: bool) -> dict[str, Any]:
    goals = [{**goal, "chart_uri": chart_uri(goal["chart"])} for goal in content.get("goals", [])]
    return {"r": content, "goals": goals, "draft": draft}


def html_fragment(content: dict[str, Any], *, draft: bool) -> str:
    """The report's body, for the preview page (which links the same stylesheet)."""
    return render_to_string("reports/_document.html", context(content, draft=draft))


def pdf(content: dict[str, Any], *, draft: bool) -> bytes:
    # Imported when a PDF is made (see _no_network_fetcher).
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    document = render_to_string("reports/document.html", context(content, draft=draft))
    rendered: bytes = HTML(string=document, url_fetcher=_no_network_fetcher()).write_pdf(
        stylesheets=[CSS(string=_stylesheet())]
    )
    return rendered


def filename(content: dict[str, Any]) -> str:
    kind = content.get("kind", "report")
    initials = content.get("patient", {}).get("initials", "")
    end = content.get("period", {}).get("end", "")
    return f"{kind}-report-{initials}-{end}-v{content.get('version', 1)}.pdf"
