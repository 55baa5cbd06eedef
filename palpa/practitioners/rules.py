"""The license rule, pure: does a practitioner hold a current license for a jurisdiction?

A license counts on a day when it was issued on or before that day, expires on or after it,
is for the location's jurisdiction, and has not been rejected on verification. A license
not yet verified still counts (boards are slow), but the answer says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class LicenseLike(Protocol):
    jurisdiction: str
    license_type: str
    number: str
    issued_on: dt.date
    expires_on: dt.date
    verification_status: str


@dataclass(frozen=True)
class LicenseDecision:
    allowed: bool
    reason: str
    license: LicenseLike | None = None


def decide(
    licenses: Iterable[LicenseLike], *, who: str, jurisdiction: str, on: dt.date
) -> LicenseDecision:
    jurisdiction = jurisdiction.upper()
    here = [lic for lic in licenses if lic.jurisdiction.upper() == jurisdiction]
    if not here:
        return LicenseDecision(False, f"{who} holds no license for {jurisdiction}.")
    usable = [lic for lic in here if lic.verification_status != "rejected"]
    if not usable:
        lic = here[0]
        return LicenseDecision(
            False,
            f"{who}'s {lic.license_type} license #{lic.number} ({jurisdiction}) "
            "could not be verified with the board.",
            lic,
        )
    current = [lic for lic in usable if lic.issued_on <= on <= lic.expires_on]
    if current:
        best = max(current, key=lambda lic: lic.expires_on)
        note = "" if best.verification_status == "verified" else " (not yet verified)"
        return LicenseDecision(
            True,
            f"{who}'s {best.license_type} license #{best.number} ({jurisdiction}) is current "
            f"until {best.expires_on.isoformat()}{note}.",
            best,
        )
    future = [lic for lic in usable if lic.issued_on > on]
    if future:
        lic = min(future, key=lambda lic: lic.issued_on)
        return LicenseDecision(
            False,
            f"{who}'s {lic.license_type} license #{lic.number} ({jurisdiction}) starts on "
            f"{lic.issued_on.isoformat()}, after {on.isoformat()}.",
            lic,
        )
    lic = max(usable, key=lambda lic: lic.expires_on)
    return LicenseDecision(
        False,
        f"{who}'s {lic.license_type} license #{lic.number} ({jurisdiction}) expired on "
        f"{lic.expires_on.isoformat()}.",
        lic,
    )
