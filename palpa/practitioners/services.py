"""The only code that writes practitioners and licenses, and the license check.

``require_current_license`` is the single answer to "may this practitioner be booked or
sign a clinical note here on this day?". Scheduling and note signing call it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action, record
from palpa.core.errors import Refused
from palpa.core.tenancy import same_organization
from palpa.practitioners import rules
from palpa.practitioners.models import License, Practitioner


class LicenseError(Refused):
    """The practitioner may not practise here on that day; the message says why."""

    code = "license"

    def __init__(self, decision: rules.LicenseDecision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


def check_license(
    practitioner: Practitioner, *, jurisdiction: str, on: dt.date
) -> rules.LicenseDecision:
    return rules.decide(
        list(practitioner.licenses.all()),
        who=f"{practitioner.given_name} {practitioner.family_name}",
        jurisdiction=jurisdiction,
        on=on,
    )


def require_current_license(
    practitioner: Practitioner,
    *,
    location: Location | None = None,
    jurisdiction: str = "",
    on: dt.date,
) -> rules.LicenseDecision:
    """Raise ``LicenseError`` unless the practitioner holds a current license there on ``on``."""
    where = jurisdiction or (location.jurisdiction if location is not None else "")
    if not where:
        raise ValueError("require_current_license needs a location or a jurisdiction")
    decision = check_license(practitioner, jurisdiction=where, on=on)
    if not decision.allowed:
        raise LicenseError(decision)
    return decision


def _clean_and_save(instance: Any) -> None:
    instance.full_clean()
    instance.save()


def _check_login(actor: User, login: User | None) -> None:
    if login is not None and not same_organization(login, actor):
        raise ValidationError({"user": "This sign-in account belongs to another organization."})


def create_practitioner(*, actor: User, **fields: Any) -> Practitioner:
    require(actor, Capability.PRACTITIONERS_MANAGE)
    _check_login(actor, fields.get("user"))
    with transaction.atomic():
        practitioner = Practitioner(organization=actor.organization, **fields)
        _clean_and_save(practitioner)
        record(actor=actor, action=Action.CREATE, obj=practitioner)
    return practitioner


def update_practitioner(
    *, actor: User, practitioner: Practitioner, changes: dict[str, Any]
) -> Practitioner:
    require(actor, Capability.PRACTITIONERS_MANAGE)
    _check_login(actor, changes.get("user"))
    with transaction.atomic():
        before = {name: getattr(practitioner, name) for name in changes}
        for name, value in changes.items():
            setattr(practitioner, name, value)
        _clean_and_save(practitioner)
        changed = {k: [str(before[k]), str(v)] for k, v in changes.items() if before[k] != v}
        record(actor=actor, action=Action.UPDATE, obj=practitioner, detail={"changed": changed})
    return practitioner


def add_license(*, actor: User, practitioner: Practitioner, **fields: Any) -> License:
    require(actor, Capability.PRACTITIONERS_MANAGE)
    if not same_organization(practitioner, actor):
        raise ValidationError("This practitioner belongs to another organization.")
    fields["jurisdiction"] = str(fields.get("jurisdiction", "")).upper()
    with transaction.atomic():
        lic = License(organization_id=practitioner.organization_id, practitioner=practitioner)
        for name, value in fields.items():
            setattr(lic, name, value)
        if lic.issued_on and lic.expires_on and lic.expires_on <= lic.issued_on:
            raise ValidationError({"expires_on": "The expiry date must be after the issue date."})
        _clean_and_save(lic)
        record(
            actor=actor,
            action=Action.CREATE,
            obj=lic,
            detail={"practitioner": str(practitioner.public_id)},
        )
    return lic


def set_license_verification(*, actor: User, license: License, status: str) -> License:
    require(actor, Capability.PRACTITIONERS_MANAGE)
    if status not in License.Verification.values:
        raise ValidationError({"verification_status": f"Unknown status {status!r}."})
    with transaction.atomic():
        license.verification_status = status
        license.verified_by = actor
        license.verified_at = timezone.now()
        _clean_and_save(license)
        record(actor=actor, action=Action.UPDATE, obj=license, detail={"verification": status})
    return license


def licenses_expiring(*, actor: User, within_days: int | None = None) -> list[License]:
    """Current licenses that expire within the organization's warning window."""
    org = actor.organization
    if org is None:
        return []
    days = within_days if within_days is not None else org.license_warning_days
    today = timezone.localdate()
    return list(
        License.objects.filter(
            organization=org,
            expires_on__gte=today,
            expires_on__lte=today + dt.timedelta(days=days),
            practitioner__active=True,
        )
        .select_related("practitioner")
        .order_by("expires_on")
    )
