"""A patient registering online is held to the same rules as a record made by staff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from palpa.accounts.models import Location
from palpa.audit.models import AuditEvent
from palpa.patients.models import Patient
from palpa.patients.services import register_patient_online

pytestmark = pytest.mark.django_db

PERSON = {"given_name": "Lena", "family_name": "Holt", "email": "lena@mail.example"}


def _register(location: Location, born: dt.date) -> Patient:
    assert location.organization is not None
    return register_patient_online(
        organization=location.organization,
        location=location,
        fields={**PERSON, "date_of_birth": born},
        consents=["privacy_notice"],
        consent_version="2026-1",
        label="patient (online booking)",
    )


def test_a_registration_gets_the_next_mrn_and_an_audit_entry(location: Location) -> None:
    patient = _register(location, dt.date(1984, 5, 6))
    assert patient.mrn.startswith("P")
    entry = AuditEvent.objects.get(object_id=str(patient.public_id), action="create")
    assert entry.actor_label == "patient (online booking)"


@pytest.mark.parametrize(
    ("born", "message"),
    [
        (dt.date(2999, 1, 1), "The date of birth cannot be in the future."),
        (dt.date(1890, 1, 1), "The date of birth must be after 1900-01-01."),
    ],
)
def test_an_impossible_date_of_birth_is_refused_and_nothing_is_kept(
    location: Location, born: dt.date, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _register(location, born)
    assert refused.value.message_dict["date_of_birth"] == [message]
    assert not Patient.objects.filter(family_name="Holt").exists()
