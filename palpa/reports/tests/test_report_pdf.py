"""The signed PDF: its text says who, what and by whom; its charts are drawn; page 1 is
rendered to PNG (test-artifacts/) for a person to look at."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest

from palpa.reports import render
from palpa.reports.models import Report

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def _pdf(report: Report) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(bytes(report.pdf or b"")))


def _text(reader: pypdf.PdfReader) -> str:
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _forms(page: pypdf.PageObject) -> int:
    resources = page.get("/Resources")
    objects = resources.get_object().get("/XObject") if resources else None
    if not objects:
        return 0
    return sum(
        1 for ref in objects.get_object().values() if ref.get_object().get("/Subtype") == "/Form"
    )


def test_the_first_page_names_the_patient_the_physician_and_the_goals(signed: Report) -> None:
    first = " ".join(_pdf(signed).pages[0].extract_text().split())
    for expected in (
        "Bayside Medical Massage",
        "Progress report",
        "Rosa Delgado",
        "1971-03-14",
        "Helen Park, MD",
        "M54.50",
        "Goals and measured change",
        "Sit through a 1-hour meeting",
        "Achieved",
        "Instrument scores",
        "Assessment and recommendation",
        "ODI fell from 40 to 20",
        "Continue the plan of care",
        "4 attended of 6 authorized",
    ):
        assert expected in first, expected


def test_the_score_table_shows_change_against_the_mcid(signed: Report) -> None:
    text = _text(_pdf(signed))
    assert "ODI (lower is better)" in text
    assert "-20" in text  # ODI 40 -> 20
    assert "MCID" in text
    assert "decided by the absolute threshold" in " ".join(text.split())


def test_the_signature_block_names_the_therapist_and_license(signed: Report) -> None:
    text = _text(_pdf(signed))
    assert "Tess Therapist, LMT" in text
    assert signed.content["signature"]["license"] in text
    assert "Signed electronically" in text


def test_the_trend_charts_are_drawn_in_the_pdf(signed: Report) -> None:
    reader = _pdf(signed)
    assert "Trends" in _text(reader)
    charts = sum(_forms(page) for page in reader.pages)
    assert charts >= len(signed.content["goals"]) == 2


def test_the_pdf_loads_nothing_from_outside() -> None:
    fetcher = render._no_network_fetcher()
    for url in ("http://example.com/x.png", "https://example.com/a.css", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
def test_the_first_page_renders_to_png_for_a_person_to_look_at(
    signed: Report, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    source = tmp_path / "report.pdf"
    source.write_bytes(bytes(signed.pdf or b""))
    target = ARTIFACTS / "progress-report"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(source), str(target)],
        check=True,
        timeout=60,
    )
    page_one = ARTIFACTS / "progress-report-1.png"
    assert page_one.exists()
    assert page_one.read_bytes().startswith(b"\x89PNG")
    assert page_one.stat().st_size > 10_000  # a page with text and tables, not a blank
