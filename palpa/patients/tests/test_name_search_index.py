"""Name search on PostgreSQL can use the trigram index (migration patients 0003): the
infix LIKE that every searched word becomes is served by the index, not by reading every
patient. SQLite has no such index and searches as before."""

from __future__ import annotations

import pytest
from django.db import connection

from palpa.accounts.models import User
from palpa.patients.models import Patient
from palpa.patients.queries import search_patients

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's (pg_trgm)"
    ),
]

INDEX = "patients_patient_search_name_trgm"


def test_the_index_exists() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [INDEX])
        row = cursor.fetchone()
    assert row is not None
    assert "gin_trgm_ops" in row[0]


def test_a_name_search_among_many_patients_uses_it(therapist: User, patient: Patient) -> None:
    others = [
        Patient(
            organization_id=patient.organization_id,
            mrn=f"X{n:06d}",
            given_name=f"Given{n}",
            family_name=f"Family{n}",
            search_name=f"given{n} family{n}",
            date_of_birth=patient.date_of_birth,
        )
        for n in range(3000)
    ]
    Patient.objects.bulk_create(others)
    with connection.cursor() as cursor:
        # What autovacuum does for a table in use: move the new rows out of the index's
        # pending list, and gather statistics.
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [INDEX])
        cursor.execute("ANALYZE patients_patient")
    word = patient.family_name.lower()[1:4]  # an infix, as a user types it
    assert word not in "given family0123456789"  # selective: the fixture patient only
    found = search_patients(therapist, word)
    assert list(found) == [patient]
    plan = found.explain()
    assert INDEX in plan, plan
