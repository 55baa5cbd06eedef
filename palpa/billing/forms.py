"""Forms of the billing pages. They only shape input; the services validate and write."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms

from palpa.billing.models import Coverage, LedgerEntry, PrepaidPlan, TaxIdKind, UnitRule
from palpa.billing.services import ADJUSTMENT_REASONS
from palpa.core.forms import Form

AMOUNT_HELP = "e.g. 45.00 (dollars and cents)"


class PaymentForm(Form):
    amount = forms.CharField(max_length=14, help_text=AMOUNT_HELP)
    method = forms.ChoiceField(choices=[(v, label) for v, label in LedgerEntry.Method.choices if v])
    payer = forms.ChoiceField(required=False, choices=[], help_text="Insurer payments only")
    reference = forms.CharField(
        max_length=100,
        required=False,
        help_text="Card terminal reference, check or remittance number",
    )
    memo = forms.CharField(max_length=300, required=False)
    charge = forms.ChoiceField(
        label="For the visit",
        required=False,
        choices=[],
        help_text="Apply the payment to a visit (it shows as paid on that visit's claim "
        "and superbill)",
    )

    def __init__(
        self,
        *args: object,
        payers: list[tuple[str, str]],
        visits: Sequence[tuple[str, str]] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["payer"].choices = [("", "—"), *payers]  # type: ignore[attr-defined]
        self.fields["charge"].choices = [("", "No particular visit"), *visits]  # type: ignore[attr-defined]


class TransferForm(Form):
    amount = forms.CharField(max_length=14, help_text=AMOUNT_HELP)
    memo = forms.CharField(max_length=300, label="Why", help_text="e.g. deductible, not covered")


class AdjustmentForm(Form):
    amount = forms.CharField(max_length=14, help_text="Negative lowers the balance, e.g. -20.00")
    reason = forms.ChoiceField(choices=[(r.value, r.label) for r in ADJUSTMENT_REASONS])
    memo = forms.CharField(max_length=300, label="Description")


class RefundForm(Form):
    amount = forms.CharField(max_length=14, help_text=AMOUNT_HELP)
    memo = forms.CharField(max_length=300, label="Why")


class ReverseForm(Form):
    memo = forms.CharField(max_length=300, label="Why")


class VoidForm(Form):
    reason = forms.CharField(max_length=300)


class CoverageForm(Form):
    kind = forms.ChoiceField(choices=Coverage.Kind.choices)
    payer = forms.ChoiceField(required=False, choices=[])
    member_id = forms.CharField(max_length=40, required=False)
    group_number = forms.CharField(max_length=40, required=False)
    subscriber_name = forms.CharField(max_length=200, required=False)
    subscriber_relationship = forms.ChoiceField(choices=Coverage.Relationship.choices)
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, payers: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["payer"].choices = [("", "—"), *payers]  # type: ignore[attr-defined]


class EndDateForm(Form):
    """Ending a coverage, a package or a membership: its last day."""

    ends_on = forms.DateField(
        label="Last day",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Not before it started",
    )


class EnteredInErrorForm(Form):
    reason = forms.CharField(max_length=300, label="Why it is in error")


class PrepaidForm(Form):
    plan = forms.ChoiceField(choices=[], label="Package or membership")

    def __init__(self, *args: object, plans: list[PrepaidPlan], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["plan"].choices = [  # type: ignore[attr-defined]
            (str(p.public_id), f"{p.name} ({p.get_kind_display()}, {p.price} {p.currency})")
            for p in plans
        ]


class PayerForm(Form):
    name = forms.CharField(max_length=200)
    payer_code = forms.CharField(max_length=20, required=False, label="Payer id")
    unit_rule = forms.ChoiceField(choices=UnitRule.choices)
    modifiers = forms.CharField(
        max_length=20, required=False, help_text="Separated by spaces, e.g. GP"
    )


class FeeForm(Form):
    payer = forms.ChoiceField(choices=[])
    code = forms.CharField(max_length=10, help_text="e.g. 97140")
    unit_price = forms.CharField(max_length=14, help_text="Price of one unit, e.g. 30.00")

    def __init__(self, *args: object, payers: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["payer"].choices = payers  # type: ignore[attr-defined]


class CodeMapForm(Form):
    technique = forms.ChoiceField(choices=[])
    code = forms.CharField(max_length=10, required=False, help_text="Empty: not billed")

    def __init__(self, *args: object, techniques: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["technique"].choices = techniques  # type: ignore[attr-defined]


class LocationPriceForm(Form):
    location = forms.ChoiceField(choices=[])
    place_of_service = forms.ChoiceField(choices=[], required=False)
    code = forms.CharField(max_length=10, required=False, help_text="Self-pay price: the code")
    unit_price = forms.CharField(max_length=14, required=False, help_text="and its unit price")

    def __init__(
        self,
        *args: object,
        locations: list[tuple[str, str]],
        places: list[tuple[str, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["location"].choices = locations  # type: ignore[attr-defined]
        self.fields["place_of_service"].choices = [("", "unchanged"), *places]  # type: ignore[attr-defined]


class ServicePriceForm(Form):
    location = forms.ChoiceField(choices=[])
    service = forms.ChoiceField(choices=[], help_text="An appointment type")
    price = forms.CharField(
        max_length=14, help_text="What a self-pay visit of this service costs, e.g. 95.00"
    )

    def __init__(
        self,
        *args: object,
        locations: list[tuple[str, str]],
        services: list[tuple[str, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["location"].choices = locations  # type: ignore[attr-defined]
        self.fields["service"].choices = services  # type: ignore[attr-defined]


class PrepaidPlanForm(Form):
    kind = forms.ChoiceField(choices=PrepaidPlan.Kind.choices)
    name = forms.CharField(max_length=200)
    visits = forms.IntegerField(min_value=1, max_value=100, help_text="Membership: per month")
    minutes_per_visit = forms.IntegerField(min_value=1, max_value=180, required=False)
    price = forms.CharField(max_length=14, help_text="Membership: per month")


class BillingIdentifiersForm(Form):
    """A location's identifiers on the 1500 claim form; the service checks each value
    (tax id format, NPI check digit) and its errors are shown on the field."""

    location = forms.CharField(widget=forms.HiddenInput)
    tax_id = forms.CharField(
        max_length=11,
        required=False,
        label="Federal tax id",
        help_text="Item 25: EIN 12-3456789 or SSN 123-45-6789; empty: not recorded",
    )
    tax_id_kind = forms.ChoiceField(
        choices=[("", "—"), *TaxIdKind.choices], required=False, label="The tax id is an"
    )
    billing_npi = forms.CharField(
        max_length=10,
        required=False,
        label="Billing provider NPI",
        help_text="Item 33a: the organization's own NPI (10 digits)",
    )
    facility_npi = forms.CharField(
        max_length=10,
        required=False,
        label="Service facility NPI",
        help_text="Item 32a: only when this location has an NPI of its own",
    )
