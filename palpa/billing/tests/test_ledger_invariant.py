"""The ledger always adds up: random sequences of payments, refunds, adjustments,
transfers, reversals and package sales against the real database (hypothesis stateful).

After every step: each responsibility's balance is the running total a person would
keep by hand, every entry posted earlier is unchanged, each reversal is the exact
opposite of the entry it names, and no payment is refunded beyond its amount."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from palpa.accounts.models import User
from palpa.billing import services
from palpa.billing.models import LedgerEntry, Payer, PrepaidPlan
from palpa.billing.queries import account_balances, patient_balance
from palpa.patients.models import Patient
from palpa.patients.services import create_patient

CENTS = st.integers(min_value=1, max_value=60_000).map(lambda c: Decimal(c) / 100)
SIGNED_CENTS = (
    st.integers(min_value=-30_000, max_value=30_000).filter(bool).map(lambda c: Decimal(c) / 100)
)
ZERO = Decimal("0.00")


@pytest.mark.django_db
def test_the_ledger_adds_up_after_any_sequence_of_operations(
    owner: User, front_desk: User, biller: User, payer: Payer
) -> None:
    package = services.add_prepaid_plan(
        actor=owner, kind="package", name="5 x 60", visits=5, price="400.00"
    )
    membership = services.add_prepaid_plan(
        actor=owner, kind="membership", name="Monthly", visits=2, price="89.50"
    )
    serial = count(1)

    class Ledger(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.patient: Patient = create_patient(
                actor=owner,
                given_name="Case",
                family_name=f"Number {next(serial)}",
                date_of_birth=dt.date(1980, 1, 1),
            )
            self.owed = {"patient": ZERO, "insurer": ZERO}
            self.seen: dict[int, tuple[str, Decimal, str]] = {}

        def _add(self, responsibility: str, amount: Decimal) -> None:
            self.owed[responsibility] += amount

        @rule(plan=st.sampled_from(["package", "membership"]))
        def sell(self, plan: str) -> None:
            chosen: PrepaidPlan = package if plan == "package" else membership
            services.sell_prepaid(actor=front_desk, patient=self.patient, plan=chosen)
            self._add("patient", chosen.price)

        @rule(amount=CENTS, method=st.sampled_from(["cash", "card", "check"]))
        def pay(self, amount: Decimal, method: str) -> None:
            services.record_payment(
                actor=front_desk,
                patient=self.patient,
                amount=amount,
                method=method,
                reference="T-1" if method == "card" else "",
            )
            self._add("patient", -amount)

        @rule(amount=CENTS)
        def insurer_pays(self, amount: Decimal) -> None:
            services.record_payment(
                actor=biller, patient=self.patient, amount=amount, method="insurer", payer=payer
            )
            self._add("insurer", -amount)

        @rule(data=st.data())
        def refund(self, data: st.DataObject) -> None:
            payments = list(LedgerEntry.objects.filter(patient=self.patient, kind="payment"))
            if not payments:
                return
            payment = data.draw(st.sampled_from(payments))
            amount = data.draw(CENTS)
            left = services.refundable(payment)
            if amount > left:
                with pytest.raises(services.LedgerRefused):
                    services.refund_payment(actor=biller, payment=payment, amount=amount, memo="x")
                return
            services.refund_payment(actor=biller, payment=payment, amount=amount, memo="x")
            self._add(payment.responsibility, amount)

        @rule(amount=SIGNED_CENTS, responsibility=st.sampled_from(["patient", "insurer"]))
        def adjust(self, amount: Decimal, responsibility: str) -> None:
            services.post_adjustment(
                actor=biller,
                patient=self.patient,
                amount=amount,
                reason="correction",
                memo="test",
                responsibility=responsibility,
            )
            self._add(responsibility, amount)

        @rule(amount=CENTS)
        def transfer(self, amount: Decimal) -> None:
            if amount > self.owed["insurer"]:
                with pytest.raises(services.LedgerRefused):
                    services.transfer_to_patient(
                        actor=biller, patient=self.patient, amount=amount, memo="deductible"
                    )
                return
            services.transfer_to_patient(
                actor=biller, patient=self.patient, amount=amount, memo="deductible"
            )
            self._add("insurer", -amount)
            self._add("patient", amount)

        @rule(data=st.data())
        def reverse(self, data: st.DataObject) -> None:
            entries = list(LedgerEntry.objects.filter(patient=self.patient))
            if not entries:
                return
            entry = data.draw(st.sampled_from(entries))
            try:
                services.reverse_entry(actor=biller, entry=entry, memo="mistake")
            except services.LedgerRefused:
                return  # a reversal, reversed already, a transfer, or refunds first
            self._add(entry.responsibility, -entry.amount)

        @rule()
        def reverse_the_latest(self) -> None:
            latest = LedgerEntry.objects.filter(patient=self.patient).order_by("-pk").first()
            if latest is None:
                return
            try:
                services.reverse_entry(actor=biller, entry=latest, memo="just posted in error")
            except services.LedgerRefused:
                return
            self._add(latest.responsibility, -latest.amount)

        @invariant()
        def balances_are_the_running_totals(self) -> None:
            assert patient_balance(self.patient) == self.owed["patient"]
            balances = account_balances(self.patient)
            assert balances["insurer"] == self.owed["insurer"]
            assert balances["total"] == self.owed["patient"] + self.owed["insurer"]

        @invariant()
        def posted_entries_never_change(self) -> None:
            for entry in LedgerEntry.objects.filter(patient=self.patient):
                now = (entry.kind, entry.amount, entry.responsibility)
                assert self.seen.setdefault(entry.pk, now) == now
            assert set(self.seen) <= set(
                LedgerEntry.objects.filter(patient=self.patient).values_list("pk", flat=True)
            )

        @invariant()
        def corrections_match_what_they_correct(self) -> None:
            for reversal in LedgerEntry.objects.filter(patient=self.patient, kind="reversal"):
                assert reversal.amount == -reversal.reverses.amount
                assert reversal.responsibility == reversal.reverses.responsibility
            for payment in LedgerEntry.objects.filter(patient=self.patient, kind="payment"):
                refunded = (
                    payment.refunds.filter(reversed_by__isnull=True).aggregate(t=Sum("amount"))["t"]
                    or ZERO
                )
                assert refunded <= -payment.amount

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=10,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
