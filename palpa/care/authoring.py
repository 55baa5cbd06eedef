"""What every care record's writer shares: who may author, who may correct, the audit
entry of an act on a care record, the license an addendum is signed under."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, require, require_own_or, tenant_id
from palpa.audit.services import record
from palpa.care.models import (
    Evaluation,
    Plan,
    TreatmentNote,
)
from palpa.core.dates import local_today
from palpa.core.records import content_hash as content_hash
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import require_current_license


def practitioner_of(
    actor: User, capability: Capability = Capability.CLINICAL_AUTHOR
) -> Practitioner:
    require(actor, capability)
    practitioner = Practitioner.objects.filter(user=actor, organization_id=tenant_id(actor))
    found = practitioner.first()
    if found is None or not found.active:
        raise PermissionDenied("Only an active practitioner of this organization writes notes.")
    return found


def require_author_or_corrector(
    actor: User, record: TreatmentNote | Evaluation | Plan, *, what: str
) -> None:
    """Marking a record entered in error: its own practitioner (``clinical.author``), or
    a role that corrects other practitioners' records (``clinical.correct_others``)."""
    own = Practitioner.objects.filter(user=actor, pk=record.practitioner_id).exists()
    if own:
        require(actor, Capability.CLINICAL_AUTHOR)
    else:
        require_own_or(actor, Capability.CLINICAL_CORRECT_OTHERS, own=False, what=what)


def audit(actor: User, action: str, obj: TreatmentNote | Evaluation | Plan, **detail: Any) -> Any:
    """One entry about a care record (a plan's names its version)."""
    version = {"version": obj.version} if isinstance(obj, Plan) else {}
    patient_id = str(obj.patient.public_id)
    return record(
        actor=actor, action=action, obj=obj, patient_id=patient_id, detail=version | detail
    )


def license_today(practitioner: Practitioner, record: Any) -> Callable[[], Any]:
    """An addendum is signed under a license current today for the record's location."""
    return lambda: require_current_license(
        practitioner, location=record.location, on=local_today(record.location)
    )


def check_fields_of(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))


def choice_error(field: str, value: str, choices: Any, what: str) -> dict[str, list[str]]:
    if value in choices.values:
        return {}
    return {field: [f"{what} is one of {', '.join(choices.values)}."]}


def not_after_tomorrow(value: dt.date, field: str, what: str) -> dict[str, list[str]]:
    if value > timezone.localdate() + dt.timedelta(days=1):
        return {field: [f"{what} is recorded once it has taken place."]}
    return {}
