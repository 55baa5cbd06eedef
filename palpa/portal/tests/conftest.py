from __future__ import annotations

from collections.abc import Iterator

import pytest

from palpa.accounts.models import Location, User
from palpa.core.tests.support import TODAY, frozen_clock
from palpa.patients.models import Patient
from palpa.portal.tests.support import Course, portal_course


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.fixture
def course(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> Course:
    return portal_course(
        owner=owner,
        therapist=therapist,
        biller=biller,
        patient=patient,
        location=location,
        today=TODAY,
    )
