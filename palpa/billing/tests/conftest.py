from __future__ import annotations

from collections.abc import Iterator

import pytest

from palpa.accounts.models import Location, User
from palpa.billing import services
from palpa.billing.models import Coverage, Payer
from palpa.billing.tests.support import VALID_NPI, insure, make_payer
from palpa.core.tests.support import frozen_clock
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.fixture(autouse=True)
def _screened_patient(request: pytest.FixtureRequest) -> None:
    """Signing a note needs a safety screening: the shared patient has a PROCEED one."""
    if "patient" not in request.fixturenames:
        return
    from palpa.screening.services import record_screening

    patient = request.getfixturevalue("patient")
    record_screening(actor=request.getfixturevalue("owner"), patient=patient, facts={})


@pytest.fixture
def npi(practitioner: Practitioner) -> str:
    Practitioner.objects.filter(pk=practitioner.pk).update(npi=VALID_NPI)
    return VALID_NPI


@pytest.fixture
def payer(owner: User) -> Payer:
    return make_payer(owner)


@pytest.fixture
def insured(owner: User, patient: Patient, payer: Payer, npi: str) -> Coverage:
    return insure(owner, patient, payer)


@pytest.fixture
def self_pay_prices(owner: User, location: Location) -> None:
    for code, price in {"97124": "20.00", "97140": "22.50", "97112": "22.50"}.items():
        services.set_self_pay_price(actor=owner, location=location, code=code, unit_price=price)
