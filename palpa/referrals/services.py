"""Writes to the physician directory (referrals and prescriptions come with their issue)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action, record
from palpa.referrals.models import Physician


def add_physician(*, actor: User, **fields: Any) -> Physician:
    require(actor, Capability.EDIT_DEMOGRAPHICS)
    physician = Physician(organization=actor.organization, **fields)
    physician.full_clean()
    with transaction.atomic():
        physician.save()
        record(actor=actor, action=Action.CREATE, obj=physician)
    return physician
