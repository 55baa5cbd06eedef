"""The ICD-10-CM subset, re-exported from ``palpa.core.icd10`` (where it lives, so that
referrals, a lower app, can record diagnoses too)."""

from __future__ import annotations

from palpa.core.icd10 import (
    DATA,
    TAGS,
    CodeSet,
    CodeSetError,
    Diagnosis,
    Hit,
    Icd10Error,
    NotBillable,
    Seventh,
    SubsetCode,
    code_set,
    normalize,
    parse_code_set,
    search,
    validate,
)

__all__ = [
    "DATA",
    "TAGS",
    "CodeSet",
    "CodeSetError",
    "Diagnosis",
    "Hit",
    "Icd10Error",
    "NotBillable",
    "Seventh",
    "SubsetCode",
    "code_set",
    "normalize",
    "parse_code_set",
    "search",
    "validate",
]
