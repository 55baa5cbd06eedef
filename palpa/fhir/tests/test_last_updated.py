"""_lastUpdated (search, _sort) follows meta.lastUpdated as emitted: a Schedule changes
when its working hours or appointment types do, a CarePlan when a goal does, a Patient
when its own record does. Expected times come from the rows the tests build."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from palpa.accounts.models import Location, User
from palpa.care.models import Goal
from palpa.fhir.mapping.common import instant
from palpa.fhir.tests.conftest import TODAY, Course, on
from palpa.fhir.tests.support import body, ids, resources
from palpa.practitioners.models import Practitioner
from palpa.scheduling.models import AppointmentType
from palpa.scheduling.tests.support import make_type, weekday_hours


def _search(fhir: Client, path: str, **params: str) -> dict[str, Any]:
    response = fhir.get(path, params)
    assert response.status_code == 200, response.content
    return body(response)


def _z(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_schedule_changes_when_an_appointment_type_it_offers_does(
    fhir: Client, owner: User, practitioner: Practitioner, course: Course
) -> None:
    location: Location = course.notes[0].location
    weekday_hours(owner, practitioner, location)
    with on(TODAY - dt.timedelta(days=1)):
        make_type(owner, "treatment-30", "treatment", 30)
    later = TODAY + dt.timedelta(hours=2)
    with on(later):
        make_type(owner, "treatment-60", "treatment", 60)
    with on(TODAY + dt.timedelta(hours=3)):
        make_type(owner, "spa-60", "spa", 60, active=False)  # not offered: does not count
    kind = AppointmentType.objects.get(code="treatment-60")
    practitioner.refresh_from_db()
    assert practitioner.updated_at < kind.updated_at  # the child is the newest row
    (schedule,) = resources(_search(fhir, "/fhir/R4/Schedule", _id=str(practitioner.public_id)))
    assert schedule["meta"]["lastUpdated"] == instant(kind.updated_at)
    between = _z(TODAY + dt.timedelta(hours=1))
    found = _search(fhir, "/fhir/R4/Schedule", _lastUpdated=f"ge{between}")
    assert ids(found) == [str(practitioner.public_id)]
    assert _search(fhir, "/fhir/R4/Schedule", _lastUpdated=f"lt{between}")["total"] == 0
    exact = _search(fhir, "/fhir/R4/Schedule", _lastUpdated=schedule["meta"]["lastUpdated"])
    assert exact["total"] == 1


def test_a_schedule_is_not_found_after_its_newest_row_changed(
    fhir: Client, owner: User, practitioner: Practitioner, course: Course
) -> None:
    weekday_hours(owner, practitioner, course.notes[0].location)
    schedule = body(fhir.get(f"/fhir/R4/Schedule/{practitioner.public_id}"))
    stamp = dt.datetime.fromisoformat(schedule["meta"]["lastUpdated"].replace("Z", "+00:00"))
    after = _z(stamp + dt.timedelta(seconds=1))
    assert _search(fhir, "/fhir/R4/Schedule", _lastUpdated=f"ge{after}")["total"] == 0
    assert _search(fhir, "/fhir/R4/Schedule", _lastUpdated=f"le{_z(stamp)}")["total"] == 1


def test_a_care_plan_changes_when_a_goal_does(fhir: Client, course: Course) -> None:
    plan = course.plan
    goal = Goal.objects.filter(plan=plan).order_by("pk").first()
    assert goal is not None
    changed = TODAY - dt.timedelta(days=2)
    assert plan.updated_at < changed
    Goal.objects.filter(pk=goal.pk).update(updated_at=changed)
    (emitted,) = resources(_search(fhir, "/fhir/R4/CarePlan", _id=str(plan.public_id)))
    assert emitted["meta"]["lastUpdated"] == instant(changed)
    assert ids(_search(fhir, "/fhir/R4/CarePlan", _lastUpdated=f"ge{_z(changed)}")) == [
        str(plan.public_id)
    ]
    assert _search(fhir, "/fhir/R4/CarePlan", _lastUpdated=f"gt{_z(changed)}")["total"] == 0
    ordered = _search(fhir, "/fhir/R4/CarePlan", _sort="-_lastUpdated")
    stamps = [r["meta"]["lastUpdated"] for r in resources(ordered)]
    assert stamps == sorted(stamps, reverse=True)


def test_a_patient_is_its_own_record(fhir: Client, course: Course) -> None:
    (patient,) = resources(_search(fhir, "/fhir/R4/Patient", _id=str(course.patient.public_id)))
    assert patient["meta"]["lastUpdated"] == instant(course.patient.updated_at)
    stamp = _z(course.patient.updated_at)
    assert str(course.patient.public_id) in ids(
        _search(fhir, "/fhir/R4/Patient", _lastUpdated=f"ge{stamp}")
    )


def test_every_searched_resource_is_found_at_its_own_last_updated(
    fhir: Client, owner: User, practitioner: Practitioner, course: Course
) -> None:
    """For every type searched from rows: a resource's emitted meta.lastUpdated, searched
    as that exact instant, finds it; a millisecond later does not."""
    from palpa.fhir.registry import registry

    weekday_hours(owner, practitioner, course.notes[0].location)
    with on(TODAY + dt.timedelta(hours=1)):
        make_type(owner, "treatment-30", "treatment", 30)
    # Children changed after their parents: the parent's stamp is the child's.
    note = course.notes[0]
    type(note).objects.filter(pk=note.pk).update(updated_at=TODAY + dt.timedelta(minutes=5))
    checked: list[str] = []
    for rtype in registry().values():
        if not rtype.searchable or rtype.static is not None or rtype.computed is not None:
            continue
        for resource in resources(_search(fhir, f"/fhir/R4/{rtype.name}", _count="3")):
            stamp = resource["meta"]["lastUpdated"]
            when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            later = instant(when + dt.timedelta(milliseconds=1))
            at = _search(fhir, f"/fhir/R4/{rtype.name}", _id=resource["id"], _lastUpdated=stamp)
            assert at["total"] == 1, (rtype.name, stamp)
            after = _search(
                fhir, f"/fhir/R4/{rtype.name}", _id=resource["id"], _lastUpdated=f"ge{later}"
            )
            assert after["total"] == 0, (rtype.name, stamp)
            checked.append(rtype.name)
    assert {"Schedule", "CarePlan", "Procedure", "Goal", "Patient", "Practitioner"} <= set(checked)
