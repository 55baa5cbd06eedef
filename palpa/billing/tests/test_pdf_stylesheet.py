"""The billing documents' stylesheet (superbills, statements) holds no rule WeasyPrint ignores,
so drawing a PDF prints nothing."""

from __future__ import annotations

import logging

import pytest
from weasyprint import CSS  # type: ignore[import-untyped]

from palpa.billing.documents import STYLESHEET


def test_weasyprint_reads_the_report_stylesheet_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="weasyprint"):
        CSS(string=STYLESHEET.read_text(encoding="utf-8"))
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
