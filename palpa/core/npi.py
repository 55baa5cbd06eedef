"""National Provider Identifier check digit (Luhn over the prefix 80840 + first 9 digits).

Source: CMS, "Requirements for National Provider Identifier (NPI) and NPI Enumeration"
(check digit: ISO standard Luhn formula with the card-issuer prefix 80840).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

NPI_PREFIX = "80840"


def luhn_check_digit(digits: str) -> int:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def is_valid_npi(value: str) -> bool:
    if len(value) != 10 or not value.isdigit() or value[0] not in "12":
        return False
    return luhn_check_digit(NPI_PREFIX + value[:9]) == int(value[9])


def validate_npi(value: str) -> None:
    if not value:
        return
    if len(value) != 10 or not value.isdigit():
        raise ValidationError("An NPI is exactly 10 digits.", code="npi_format")
    if value[0] not in "12":
        raise ValidationError("An NPI starts with 1 or 2.", code="npi_format")
    if not is_valid_npi(value):
        raise ValidationError(
            "This NPI's check digit is wrong: please re-check the number.", code="npi_check_digit"
        )


def make_npi(prefix9: str) -> str:
    """Complete nine digits into a valid NPI (used for demo data)."""
    return prefix9 + str(luhn_check_digit(NPI_PREFIX + prefix9))
