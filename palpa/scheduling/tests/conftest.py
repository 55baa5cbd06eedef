from __future__ import annotations

from collections.abc import Iterator

import pytest

from palpa.accounts.models import Location, Room, User
from palpa.core.tests.support import frozen_clock
from palpa.practitioners.models import Practitioner
from palpa.scheduling.models import AppointmentType
from palpa.scheduling.tests.support import make_room, make_type, weekday_hours


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.fixture
def room(location: Location) -> Room:
    return make_room(location, "Room 1")


@pytest.fixture
def evaluation(owner: User) -> AppointmentType:
    return make_type(owner, "evaluation", "evaluation", 60)


@pytest.fixture
def treatment(owner: User) -> AppointmentType:
    return make_type(owner, "treatment-60", "treatment", 60)


@pytest.fixture
def treatment_30(owner: User) -> AppointmentType:
    return make_type(owner, "treatment-30", "treatment", 30, buffer_minutes=0)


@pytest.fixture
def spa(owner: User) -> AppointmentType:
    return make_type(owner, "spa-60", "spa", 60)


@pytest.fixture
def hours(owner: User, practitioner: Practitioner, location: Location) -> None:
    """The therapist works Monday to Friday, 09:00-17:00 at the Bayside Clinic."""
    weekday_hours(owner, practitioner, location)


@pytest.fixture
def other_practitioner(other_therapist: User) -> Practitioner:
    return Practitioner.objects.get(user=other_therapist)


@pytest.fixture
def other_hours(owner: User, other_practitioner: Practitioner, location: Location) -> None:
    weekday_hours(owner, other_practitioner, location)
