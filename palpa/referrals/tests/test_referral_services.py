"""Recording referrals and the physician directory: every rule refuses with its message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.npi import make_npi
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral
from palpa.referrals.services import add_physician, record_referral, update_physician
from palpa.referrals.tests.support import JPEG, PDF, PNG, make_physician, upload


def _record(actor: User, patient: Patient, physician: Physician, **changes: Any) -> Referral:
    fields: dict[str, Any] = {
        "diagnoses": ["M54.50", "m62.830"],
        "requested_service": "Medical massage",
        "frequency": "2x/week x 6 weeks",
        "visits_authorized": 12,
        "starts_on": TODAY,
        "expires_on": TODAY + dt.timedelta(days=60),
        "prescription": upload(),
        **changes,
    }
    return record_referral(actor=actor, patient=patient, physician=physician, **fields)


def _errors(actor: User, patient: Patient, physician: Physician, **changes: Any) -> Any:
    with pytest.raises(ValidationError) as invalid:
        _record(actor, patient, physician, **changes)
    assert not Referral.objects.exists()
    return invalid.value.message_dict


def test_the_front_desk_records_a_referral_with_its_prescription(
    front_desk: User, patient: Patient, physician: Physician
) -> None:
    referral = _record(front_desk, patient, physician)
    assert referral.diagnoses == ["M54.50", "M62.830"]
    assert referral.codeset_version
    assert referral.prescription_content_type == "application/pdf"
    assert referral.prescription.read() == PDF
    assert referral.prescription_size == len(PDF)
    entry = AuditEvent.objects.get(object_type="Referral", action="create")
    assert entry.actor == front_desk
    assert entry.detail["prescription_sha256"] == referral.prescription_sha256


@pytest.mark.parametrize(("content", "kind"), [(PNG, "image/png"), (JPEG, "image/jpeg")])
def test_a_scanned_image_is_accepted_by_its_content(
    front_desk: User, patient: Patient, physician: Physician, content: bytes, kind: str
) -> None:
    referral = _record(front_desk, patient, physician, prescription=upload(content, "scan.pdf"))
    assert referral.prescription_content_type == kind


def test_a_file_that_is_not_pdf_png_or_jpeg_is_refused_whatever_its_name(
    front_desk: User, patient: Patient, physician: Physician
) -> None:
    errors = _errors(
        front_desk, patient, physician, prescription=upload(b"MZ\x90\x00 not a pdf", "rx.pdf")
    )
    assert errors == {
        "prescription": [
            "The prescription must be a PDF, PNG or JPEG file (its content is checked)."
        ]
    }


def test_a_prescription_over_the_size_limit_is_refused(
    settings: Any, front_desk: User, patient: Patient, physician: Physician
) -> None:
    settings.PALPA_PRESCRIPTION_MAX_BYTES = 1024 * 1024
    errors = _errors(front_desk, patient, physician, prescription=upload(PDF + b"0" * 1024 * 1024))
    assert errors == {"prescription": ["The prescription is larger than 1 MB."]}


def test_every_bad_field_is_named_at_once(
    front_desk: User, patient: Patient, physician: Physician
) -> None:
    errors = _errors(
        front_desk,
        patient,
        physician,
        diagnoses=["M54.5", "Z99.99"],
        requested_service=" ",
        expires_on=TODAY - dt.timedelta(days=1),
        prescription=upload(b"plain text"),
    )
    assert set(errors) == {"diagnoses", "requested_service", "expires_on", "prescription"}
    assert errors["diagnoses"][0].startswith("M54.5: ")
    assert errors["expires_on"] == ["A referral cannot expire before it starts."]


def test_diagnoses_are_required(front_desk: User, patient: Patient, physician: Physician) -> None:
    assert _errors(front_desk, patient, physician, diagnoses=[]) == {
        "diagnoses": ["Give at least one ICD-10-CM code from the bundled subset."]
    }


def test_an_inactive_physician_is_refused(owner: User, front_desk: User, patient: Patient) -> None:
    inactive = make_physician(owner, active=False)
    assert _errors(front_desk, patient, inactive) == {
        "physician": ["This physician is no longer active in the directory."]
    }


@pytest.mark.parametrize("who", ["biller", "outsider"])
def test_billers_and_other_organizations_cannot_record_referrals(
    request: pytest.FixtureRequest, who: str, patient: Patient, physician: Physician
) -> None:
    with pytest.raises(PermissionDenied):
        _record(request.getfixturevalue(who), patient, physician)
    assert not Referral.objects.exists()


def test_a_wrong_npi_check_digit_is_refused_with_a_message_saying_so(owner: User) -> None:
    good = make_npi("123456789")
    wrong = good[:9] + str((int(good[9]) + 1) % 10)
    with pytest.raises(ValidationError) as invalid:
        add_physician(actor=owner, given_name="Ann", family_name="Lee", npi=wrong)
    assert invalid.value.message_dict == {
        "npi": ["This NPI's check digit is wrong: please re-check the number."]
    }
    assert not Physician.objects.exists()


def test_an_npi_already_in_the_directory_is_refused(owner: User, physician: Physician) -> None:
    with pytest.raises(ValidationError) as invalid:
        add_physician(actor=owner, given_name="Ann", family_name="Lee", npi=physician.npi)
    assert invalid.value.message_dict == {
        "npi": ["A physician with this NPI is already in the directory."]
    }


def test_a_physician_is_deactivated_not_deleted_and_the_change_audited(
    front_desk: User, physician: Physician
) -> None:
    update_physician(actor=front_desk, physician=physician, changes={"active": False})
    assert Physician.objects.get(pk=physician.pk).active is False
    entry = AuditEvent.objects.get(object_type="Physician", action="update")
    assert entry.detail == {"changed": {"active": ["True", "False"]}}


def test_a_failed_change_leaves_the_physician_as_it_was(
    front_desk: User, physician: Physician
) -> None:
    with pytest.raises(ValidationError):
        update_physician(
            actor=front_desk, physician=physician, changes={"npi": "1234567890", "fax": "1"}
        )
    assert physician.fax == "+1 813 555 0193"
    assert Physician.objects.get(pk=physician.pk).fax == "+1 813 555 0193"


def test_a_biller_cannot_change_the_directory(biller: User, physician: Physician) -> None:
    with pytest.raises(PermissionDenied):
        update_physician(actor=biller, physician=physician, changes={"fax": "1"})
