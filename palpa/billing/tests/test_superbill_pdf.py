"""The superbill PDF: per visit and per period, its text carries what an insurer needs
(patient, insurer, diagnoses with pointers, codes with units, modifiers and charges, place
of service, the rendering provider's NPI and license, the signature statement), with
Palpa's own short labels and never a CPT descriptor."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import documents
from palpa.billing.tests.documents_support import (
    GROUP,
    MEMBER_ID,
    THERAPIST_NPI,
    VISITS,
    Billed,
    insured_course,
)
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture
def billed(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> Billed:
    return insured_course(
        owner=owner, therapist=therapist, biller=biller, patient=patient, location=location
    )


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_charges_behind_the_superbill_follow_the_cms_rule(billed: Billed) -> None:
    charge = billed.charges[0]
    lines = {line.code: line for line in charge.lines.all()}
    assert (lines["97140"].units, lines["97124"].units) == (2, 1)
    assert str(charge.total) == "130.00"  # 2 x 45.00 + 1 x 40.00


def test_a_visit_superbill_names_the_patient_the_insurer_and_the_codes(
    billed: Billed, biller: User
) -> None:
    content, pdf = documents.superbill(actor=biller, charge_id=billed.charges[0].public_id)
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    for expected in (
        "Superbill",
        "Bayside Medical Massage",
        "Rosa Delgado",
        "1971-03-14",
        "Gulf Coast Health Plan",
        MEMBER_ID,
        GROUP,
        "M54.50",
        "M62.830",
        "97140",
        "97124",
        "Manual therapy",
        "Massage",
        "GP",
        "130.00",
        "90.00",
        THERAPIST_NPI,
        "Tess Therapist, LMT",
        "Signed electronically",
        VISITS[0].isoformat(),
    ):
        assert expected in text, expected
    assert content["visits"][0]["place_of_service"] == "11"
    lines = {line["code"]: line for line in content["visits"][0]["lines"]}
    assert lines["97140"]["units"] == 2
    assert lines["97140"]["amount"] == "90.00"
    assert lines["97124"]["units"] == 1
    assert lines["97140"]["pointers"].startswith("A")
    assert [d["letter"] + d["code"] for d in content["diagnoses"]] == ["AM54.50", "BM62.830"]


def test_the_superbill_shows_the_license_that_allowed_the_visit(
    billed: Billed, biller: User, therapist: User
) -> None:
    content, pdf = documents.superbill(actor=biller, charge_id=billed.charges[0].public_id)
    license_number = therapist.practitioner.licenses.get().number
    assert license_number in content["providers"][0]["license"]
    assert f"#{license_number}" in _text(pdf)


def test_a_period_superbill_adds_up_every_visit(billed: Billed, biller: User) -> None:
    content, pdf = documents.superbill(
        actor=biller,
        patient=billed.patient,
        start=TODAY - dt.timedelta(days=30),
        end=TODAY,
    )
    assert [v["date"] for v in content["visits"]] == [d.isoformat() for d in VISITS]
    assert content["total"] == "260.00"
    text = _text(pdf)
    assert "260.00" in text
    assert f"{VISITS[0].isoformat()} to {VISITS[1].isoformat()}" in text


def test_the_superbill_carries_no_cpt_descriptor(billed: Billed, biller: User) -> None:
    _content, pdf = documents.superbill(actor=biller, charge_id=billed.charges[0].public_id)
    text = _text(pdf).lower()
    # The AMA's descriptors begin "Therapeutic procedure, 1 or more areas, each 15 minutes"
    # and "Manual therapy techniques (eg, ...)": neither wording may appear.
    assert "1 or more areas" not in text
    assert "each 15 minutes" not in text
    assert "(eg," not in text


def test_every_superbill_download_is_audited(billed: Billed, biller: User) -> None:
    before = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count()
    documents.superbill(actor=biller, charge_id=billed.charges[0].public_id)
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).latest("seq")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == before + 1
    assert event.detail["document"] == "superbill"
    assert event.patient_id == str(billed.patient.public_id)
    assert event.actor == biller


def test_a_period_must_run_forward(billed: Billed, biller: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        documents.superbill(actor=biller, patient=billed.patient, start=TODAY, end=VISITS[0])
    assert "end" in caught.value.message_dict


def test_the_pdf_loads_nothing_from_outside() -> None:
    fetcher = documents._no_network_fetcher()
    for url in ("http://example.com/x.png", "https://example.com/a.css", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
def test_the_superbill_renders_to_png_for_a_person_to_look_at(
    billed: Billed, biller: User, tmp_path: Path
) -> None:
    _content, pdf = documents.superbill(
        actor=biller, patient=billed.patient, start=TODAY - dt.timedelta(days=30), end=TODAY
    )
    ARTIFACTS.mkdir(exist_ok=True)
    source = tmp_path / "superbill.pdf"
    source.write_bytes(pdf)
    target = ARTIFACTS / "superbill"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(source), str(target)],
        check=True,
        timeout=60,
    )
    page = ARTIFACTS / "superbill-1.png"
    assert page.read_bytes().startswith(b"\x89PNG")
    assert page.stat().st_size > 10_000  # a page with text and tables, not a blank


def test_a_self_pay_visit_drawn_from_a_package_shows_it_paid(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> None:
    from palpa.billing import services
    from palpa.billing.tests.documents_support import self_pay_visit, set_self_pay_prices

    set_self_pay_prices(owner, location)
    plan = services.add_prepaid_plan(
        actor=owner, kind="package", name="Five relaxation visits", visits=5, price="125.00"
    )
    services.sell_prepaid(actor=biller, patient=patient, plan=plan, starts_on=VISITS[0])
    charge = self_pay_visit(
        owner=owner,
        therapist=therapist,
        biller=biller,
        patient=patient,
        location=location,
        on=VISITS[0],
    )
    content, pdf = documents.superbill(actor=biller, charge_id=charge.public_id)
    assert content["insurance"] is None
    assert content["total"] == content["paid"] == "85.00"
    text = _text(pdf)
    assert "Self-pay" in text
    assert "Paid for these visits" in text
