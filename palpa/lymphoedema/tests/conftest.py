from __future__ import annotations

from collections.abc import Iterator

import pytest

from palpa.core.tests.support import frozen_clock


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()
