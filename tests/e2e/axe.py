"""axe-core in the real browser: a page has no serious or critical accessibility
violation. axe-core comes from the npm registry, pinned by package-lock.json and installed
by bin/test into node_modules/."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@cache
def _source() -> str:
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: bin/test installs it (npm ci)")
    return AXE.read_text(encoding="utf-8")


def serious_violations(page: Page) -> list[str]:
    """axe's serious and critical violations on the page as it stands, one line each
    (rule, impact, how many elements, the first element's selector)."""
    # Evaluated through the browser's debugging protocol, so the page's CSP (which
    # refuses inline scripts) does not apply to it.
    page.evaluate(_source())
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}x): {v['help']} at "
        f"{v['nodes'][0]['target'] if v['nodes'] else '?'}"
        for v in found
        if v.get("impact") in SERIOUS
    ]


def assert_accessible(page: Page, what: str) -> None:
    problems = serious_violations(page)
    assert not problems, f"axe on {what} ({page.url}):\n" + "\n".join(problems)
