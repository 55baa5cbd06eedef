"""palpa.core.rows builds, finds and inserts the same instances the ORM would, on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import signals

from palpa.accounts.models import User
from palpa.core.rows import columns_of, get_by, insert, instance_from_row
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


@pytest.mark.django_db
def test_get_by_finds_the_same_row_as_the_orm_and_none_for_a_miss(patient: Patient) -> None:
    found = get_by(
        Patient, connection.alias, public_id=patient.public_id, organization=patient.organization_id
    )
    assert isinstance(found, Patient)
    assert found.pk == patient.pk
    assert found.date_of_birth == patient.date_of_birth
    assert found.public_id == patient.public_id
    other_org = patient.organization_id + 1000
    assert (
        get_by(Patient, connection.alias, public_id=patient.public_id, organization=other_org)
        is None
    )


@pytest.mark.django_db
def test_get_by_refuses_a_lookup_that_is_not_unique(owner: User, patient: Patient) -> None:
    second = Patient(
        organization_id=patient.organization_id,
        mrn="P999998",
        given_name="Second",
        family_name=patient.family_name,
        date_of_birth=patient.date_of_birth,
    )
    second.save()
    with pytest.raises(Patient.MultipleObjectsReturned):
        get_by(Patient, connection.alias, family_name=patient.family_name)


@pytest.mark.django_db
def test_insert_writes_what_save_would(patient: Patient) -> None:
    new = Patient(
        organization_id=patient.organization_id,
        mrn="P999999",
        given_name="Inserted",
        family_name="Row",
        date_of_birth=dt.date(1977, 5, 4),
        primary_location_id=patient.primary_location_id,
    )
    new.refresh_search_name()
    insert(new, connection.alias)
    assert new.pk is not None
    assert new._state.adding is False
    assert new.created_at is not None  # auto_now_add and auto_now ran, as in save()
    assert new.updated_at is not None
    loaded = Patient.objects.get(pk=new.pk)
    for field in Patient._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(new, field.attname), field.name
    new.given_name = "Saved"  # an inserted instance saves as an update afterwards
    new.save()
    assert Patient.objects.filter(given_name="Saved").count() == 1


@pytest.mark.django_db
def test_insert_goes_through_save_when_something_listens(patient: Patient) -> None:
    heard: list[str] = []

    def listener(sender: type[Patient], instance: Patient, **kwargs: object) -> None:
        heard.append(instance.given_name)

    signals.post_save.connect(listener, sender=Patient)
    try:
        new = Patient(
            organization_id=patient.organization_id,
            mrn="P999997",
            given_name="Heard",
            family_name="Row",
            date_of_birth=dt.date(1980, 1, 1),
        )
        insert(new, connection.alias)
    finally:
        signals.post_save.disconnect(listener, sender=Patient)
    assert heard == ["Heard"]
    assert Patient.objects.filter(pk=new.pk, given_name="Heard").exists()
