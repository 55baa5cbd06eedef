"""palpa.core.rows builds the same instance the ORM would, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

from palpa.accounts.models import User
from palpa.core.rows import columns_of, instance_from_row
from palpa.patients.models import Patient


@pytest.mark.django_db
def test_a_patient_from_a_raw_row_equals_the_orm_instance(patient: Patient) -> None:
    table = connection.ops.quote_name(Patient._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns_of(Patient, connection.alias, 'p')}, 42"
            f" FROM {table} p WHERE p.id = %s",
            [patient.pk],
        )
        row = cursor.fetchone()
    assert row is not None
    built = instance_from_row(Patient, connection.alias, row)
    loaded = Patient.objects.get(pk=patient.pk)
    for field in Patient._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(loaded, field.attname), field.name
    assert built._state.adding is False
    assert built._state.db == connection.alias


@pytest.mark.django_db
def test_a_user_from_a_raw_row_keeps_dates_and_flags_typed(therapist: User) -> None:
    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns_of(User, connection.alias, 'u')} FROM {table} u WHERE u.id = %s",
            [therapist.pk],
        )
        row = cursor.fetchone()
    assert row is not None
    built = instance_from_row(User, connection.alias, row)
    assert isinstance(built, User)
    assert built.date_joined == therapist.date_joined
    assert built.is_active is True
    assert built.organization_id == therapist.organization_id
