"""Patient to_fhir and from_fhir: what goes out comes back as create_patient's fields."""

from __future__ import annotations

from palpa.fhir.mapping import patient as mapping
from palpa.fhir.mapping.common import Context
from palpa.fhir.tests.support import validated
from palpa.patients.models import Patient


def test_a_patient_round_trips_through_fhir(patient: Patient) -> None:
    patient.preferred_name = "Rosie"
    patient.address_line1 = "12 Bay St"
    patient.city = "Tampa"
    patient.region = "FL"
    patient.postal_code = "33602"
    resource = validated(mapping.to_fhir(patient, Context(base_url="http://x/fhir/R4")))
    fields = mapping.from_fhir(resource)
    assert fields == {
        "given_name": "Rosa",
        "family_name": "Delgado",
        "preferred_name": "Rosie",
        "date_of_birth": "1971-03-14",
        "sex": "unknown",
        "phone": "+1 813 555 0101",
        "email": "rosa@example.com",
        "address_line1": "12 Bay St",
        "address_line2": "",
        "city": "Tampa",
        "region": "FL",
        "postal_code": "33602",
    }


def test_a_deceased_patient_says_when(patient: Patient) -> None:
    import datetime as dt

    patient.status = Patient.Status.DECEASED
    patient.deceased_on = dt.date(2026, 5, 1)
    resource = validated(mapping.to_fhir(patient, Context(base_url="http://x/fhir/R4")))
    assert resource["deceasedDateTime"] == "2026-05-01"
