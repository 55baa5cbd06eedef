from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from palpa.core.npi import is_valid_npi, make_npi, validate_npi


def test_the_cms_example_npi_is_valid() -> None:
    # CMS's published example: 123456789 with check digit 3.
    assert is_valid_npi("1234567893")
    assert make_npi("123456789") == "1234567893"


def test_a_wrong_check_digit_is_refused_with_a_message_saying_so() -> None:
    with pytest.raises(ValidationError, match="check digit is wrong"):
        validate_npi("1234567890")


@pytest.mark.parametrize("value", ["123456789", "12345678931", "12345a7893", "3234567893"])
def test_malformed_npis_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        validate_npi(value)


@given(st.from_regex(r"[12][0-9]{8}", fullmatch=True))
def test_every_completed_npi_validates_and_any_other_last_digit_does_not(stem: str) -> None:
    npi = make_npi(stem)
    assert is_valid_npi(npi)
    for digit in "0123456789":
        if digit != npi[-1]:
            assert not is_valid_npi(stem + digit)
