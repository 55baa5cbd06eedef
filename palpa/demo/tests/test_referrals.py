"""`palpa demo` gives its patients referrals in every state, counting their signed notes."""

from __future__ import annotations

from palpa.accounts.models import Organization
from palpa.care.models import TreatmentNote
from palpa.demo.tests.support import DEMO_TODAY
from palpa.referrals.countdown import Countdown
from palpa.referrals.models import Referral
from palpa.referrals.services import countdown


def test_the_demo_has_a_referral_in_every_state_with_its_signed_notes_counted(
    demo: Organization,
) -> None:
    org = demo
    today = DEMO_TODAY
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
