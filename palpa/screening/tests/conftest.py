from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from palpa.accounts.models import User
from palpa.referrals.models import Physician
from palpa.screening.tests.support import make_physician


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    """Clearance letters go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def physician(owner: User) -> Physician:
    physician: Physician = make_physician(owner)
    return physician
