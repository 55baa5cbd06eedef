"""`palpa demo` gives its patients referrals in every state, counting their signed notes."""

from __future__ import annotations

import datetime as dt
import io

import time_machine
from django.core.management import call_command

from palpa.accounts.models import Organization
from palpa.care.models import TreatmentNote
from palpa.demo.data import DEMO_SLUG
from palpa.referrals.countdown import Countdown
from palpa.referrals.models import Referral
from palpa.referrals.services import countdown

NOW = dt.datetime(2026, 11, 29, 14, 0, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=False)
def test_the_demo_has_a_referral_in_every_state_with_its_signed_notes_counted(db: None) -> None:
    call_command("demo", "--quiet", stdout=io.StringIO())
    org = Organization.objects.get(slug=DEMO_SLUG)
    today = NOW.date()
    states: dict[str, list[Countdown]] = {}
    for referral in Referral.objects.filter(organization=org).select_related("patient"):
        state = countdown(referral, today)
        states.setdefault(state.status, []).append(state)
        signed = TreatmentNote.objects.filter(
            patient=referral.patient,
            status=TreatmentNote.Status.SIGNED,
            visit_date__gte=referral.starts_on,
            visit_date__lte=referral.expires_on,
        )
        assert {v.note_public_id for v in referral.visits.all()} == {n.public_id for n in signed}
        assert referral.prescription_content_type == "application/pdf"
    assert set(states) == {"active", "exhausted", "expired", "cancelled"}
    warnings = [s.warning for s in states["active"] if s.warning]
    assert any("2 visits left" in w for w in warnings)
    assert any("days left" in w for w in warnings)
