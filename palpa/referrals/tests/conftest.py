from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import frozen_clock
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral
from palpa.referrals.tests.support import make_physician, make_referral


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    """Scanned prescriptions go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.fixture
def physician(owner: User) -> Physician:
    return make_physician(owner)


@pytest.fixture
def referral(front_desk: User, patient: Patient, physician: Physician) -> Referral:
    return make_referral(front_desk, patient, physician)


@pytest.fixture
def outsider_referral(outsider: User, outsider_patient: Patient) -> Referral:
    return make_referral(outsider, outsider_patient, make_physician(outsider, "187654321"))
