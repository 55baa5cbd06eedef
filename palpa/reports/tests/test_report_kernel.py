"""Reports sign, correct and go in error through the records kernel, like care records."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.records import REASON_MAX_CHARS
from palpa.reports import services
from palpa.reports.models import Report


def test_a_report_reason_follows_the_same_rule(therapist: User, signed: Report) -> None:
    too_long = "x" * (REASON_MAX_CHARS + 1)
    for reason in ("  ", too_long):
        with pytest.raises(ValidationError) as refused:
            services.correct_report(actor=therapist, report=signed, reason=reason)
        assert list(refused.value.message_dict) == ["reason"]
    correction = services.correct_report(actor=therapist, report=signed, reason="Wrong dates.")
    for reason in ("  ", too_long):
        with pytest.raises(ValidationError) as refused:
            services.discard_report(actor=therapist, report=correction, reason=reason)
        assert list(refused.value.message_dict) == ["reason"]


def test_a_discarded_correction_does_not_block_the_next(therapist: User, signed: Report) -> None:
    first = services.correct_report(actor=therapist, report=signed, reason="Wrong dates.")
    services.discard_report(actor=therapist, report=first, reason="Started by mistake.")
    second = services.correct_report(actor=therapist, report=signed, reason="Wrong dates.")
    assert (first.version, second.version) == (2, 3)
    assert second.lineage == signed.lineage


def test_signing_a_correction_supersedes_the_signed_version_as_part_of_the_act(
    therapist: User, signed: Report
) -> None:
    correction = services.correct_report(actor=therapist, report=signed, reason="Wrong dates.")
    services.update_report(actor=therapist, report=correction, changes={"assessment": "Better."})
    services.sign_report(actor=therapist, report=correction)
    act = AuditEvent.objects.get(object_id=str(correction.public_id), detail__signed=True)
    superseded = AuditEvent.objects.get(object_id=str(signed.public_id), detail__has_key="act")
    assert superseded.detail["superseded_by"] == str(correction.public_id)
    assert superseded.detail["act"] == act.seq
    signed.refresh_from_db()
    assert signed.status == Report.Status.SUPERSEDED
