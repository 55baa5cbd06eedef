from __future__ import annotations

from typing import Any

from django import forms

from palpa.accounts.models import Location, User
from palpa.accounts.queries import locations_for
from palpa.care.catalog import catalog, check_region, region_side_choices, split_region_side
from palpa.care.models import Plan, TreatmentNote
from palpa.care.queries import plans_for
from palpa.core.forms import Form, ModelForm
from palpa.patients.models import Patient


class NoteForm(ModelForm[TreatmentNote]):
    class Meta:
        model = TreatmentNote
        fields = (
            "pain_today",
            "subjective",
            "home_care_adherence",
            "objective",
            "assessment",
            "plan",
        )
        widgets = {
            "pain_today": forms.NumberInput(attrs={"min": 0, "max": 10, "inputmode": "numeric"}),
            "subjective": forms.Textarea(attrs={"rows": 3}),
            "objective": forms.Textarea(attrs={"rows": 3}),
            "assessment": forms.Textarea(attrs={"rows": 3}),
            "plan": forms.Textarea(attrs={"rows": 2}),
        }

    def _post_clean(self) -> None:
        pass  # validated by the service


class NewNoteForm(Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    visit_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    plan_of_care = forms.ModelChoiceField(
        queryset=Plan.objects.none(),
        required=False,
        label="Plan of care",
        help_text="Visits under a plan count toward its re-assessments and results.",
    )

    def __init__(self, *args: Any, actor: User, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["location"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = locations_for(actor).filter(active=True)
        plans = self.fields["plan_of_care"]
        assert isinstance(plans, forms.ModelChoiceField)
        plans.queryset = plans_for(actor).filter(patient=patient, status=Plan.Status.ACTIVE)


def _choices(entries: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key, entry.label) for key, entry in entries.items()]


class RegionAndSide(Form):
    """A body region and its side as one choice ("Shoulder, left"), so a side is offered
    only where the region has one. A post naming the side apart (``side``) is read too."""

    region = forms.ChoiceField(label="Region and side")
    side = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_side_choices()  # type: ignore[attr-defined]
        if self.is_bound:
            key, side_key = self.add_prefix("region"), self.add_prefix("side")
            region, side = self.data.get(key), self.data.get(side_key)
            if region and side and ":" not in str(region):
                data: Any = self.data.copy()  # type: ignore[attr-defined]
                data[key] = f"{region}:{side}"
                self.data = data

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("region"):
            data["region"], data["side"] = split_region_side(data["region"])
            for problem in check_region(data["region"], data["side"]):
                self.add_error("region", problem)
        return data


class TechniqueForm(RegionAndSide):
    technique = forms.ChoiceField()
    minutes = forms.IntegerField(min_value=1, max_value=180)
    pressure = forms.ChoiceField()
    tool = forms.ChoiceField(initial="none")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["technique", "region", "side", "minutes", "pressure", "tool"])
        cat = catalog()
        self.fields["technique"].choices = _choices(cat.techniques)  # type: ignore[attr-defined]
        self.fields["pressure"].choices = _choices(cat.pressures)  # type: ignore[attr-defined]
        self.fields["tool"].choices = _choices(cat.tools)  # type: ignore[attr-defined]


class AddendumForm(Form):
    text = forms.CharField(
        label="Addendum", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
