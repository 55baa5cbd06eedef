from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone

from palpa.accounts.models import User
from palpa.core.forms import Form
from palpa.referrals.models import Physician
from palpa.referrals.queries import physicians_for
from palpa.screening import questionnaire as q
from palpa.screening.facts import DIASTOLIC_RANGE, SYSTOLIC_RANGE

CHECKBOXES = forms.CheckboxSelectMultiple
DATE = forms.DateInput(attrs={"type": "date"})


def _places(label: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=q.PLACES,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "places"}),
    )


class IntakeForm(Form):
    """The patient's health questions (``palpa-intake-2``), in plain words. Works without
    script; with it, a follow-up question shows only once its answer needs it
    (``FOLLOW_UPS``). ``today`` is the clinic's day (dates after it are refused)."""

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        prefix = f"{self.prefix}-" if self.prefix else ""
        for name, (controller, values) in FOLLOW_UPS.items():
            attrs = self.fields[name].widget.attrs
            attrs["data-follows"] = prefix + controller
            if values:
                attrs["data-follows-values"] = " ".join(values)

    stroke_signs = forms.MultipleChoiceField(
        label="Right now, or in the last few days: tick any of these you have had",
        help_text="If you have any of these now, call 911 (or your local emergency number).",
        choices=q.STROKE_SIGNS,
        required=False,
        widget=CHECKBOXES,
    )
    low_back_pain = forms.BooleanField(label="I have pain in my low back", required=False)
    low_back_flags = forms.MultipleChoiceField(
        label="If you have low back pain: tick any of these that are true for you",
        choices=q.LOW_BACK_FLAGS,
        required=False,
        widget=CHECKBOXES,
    )
    neck_pain = forms.BooleanField(label="I have pain in my neck", required=False)
    neck_flags = forms.MultipleChoiceField(
        label="If you have neck pain: tick any of these that are true for you",
        choices=q.NECK_FLAGS,
        required=False,
        widget=CHECKBOXES,
    )

    blood_thinner = forms.BooleanField(
        label="I take a blood thinner (for example warfarin, apixaban, rivaroxaban or heparin)",
        required=False,
    )
    blood_thinner_name = forms.CharField(
        label="Which blood thinner?", max_length=100, required=False
    )
    antiplatelet = forms.BooleanField(
        label="I take aspirin or clopidogrel every day to prevent clots", required=False
    )
    steroid = forms.BooleanField(
        label="I take steroid tablets (for example prednisone)", required=False
    )
    immunosuppressant = forms.BooleanField(
        label="I take medicine that weakens my immune system", required=False
    )
    other_medicines = forms.CharField(
        label="Other medicines you take (separate them with commas)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    clot = forms.ChoiceField(
        label="Have you had a blood clot in a vein (a DVT)?",
        choices=q.CLOT_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    clot_when = forms.DateField(
        label="When was the clot found? (a rough date is fine)", required=False, widget=DATE
    )
    clot_where = _places("Where was (or is) the clot?")

    conditions = forms.MultipleChoiceField(
        label="Tick any of these you have",
        choices=q.CONDITIONS,
        required=False,
        widget=CHECKBOXES,
    )
    swelling_where = _places(
        "Do you have swelling of an arm or leg (or elsewhere) that a doctor has not explained? "
        "Where?"
    )
    lymphedema_where = _places(
        "Do you have lymphoedema (long-lasting swelling of an arm or leg)? Where?"
    )
    varicose_where = _places("Do you have varicose veins? Where?")
    skin_where = _places("Do you have a rash, an open wound or a skin change? Where?")

    cancer = forms.ChoiceField(
        label="Have you ever had cancer?",
        choices=q.CANCER_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    cancer_treatment_ended = forms.DateField(
        label="If your cancer treatment has finished: when did it end?",
        required=False,
        widget=DATE,
    )
    cancer_spread = forms.BooleanField(
        label="The cancer has spread to other parts of my body (including bones)",
        required=False,
    )
    lymph_nodes_where = _places("Have you had lymph nodes removed? On which side?")
    port_where = _places("Do you have an implanted port (for chemotherapy)? Where?")
    device_where = _places(
        "Do you have a pacemaker, defibrillator, nerve stimulator or implanted pump? Where?"
    )
    surgery_when = forms.DateField(
        label="Have you had an operation in the last 3 months? When?",
        required=False,
        widget=DATE,
    )
    surgery_where = _places("Where was the operation?")

    pregnant = forms.BooleanField(label="I am pregnant", required=False)
    pregnancy_weeks = forms.IntegerField(
        label="How many weeks pregnant?", min_value=0, max_value=45, required=False
    )
    pregnancy_complications = forms.MultipleChoiceField(
        label="Problems in this pregnancy",
        choices=q.PREGNANCY_COMPLICATIONS,
        required=False,
        widget=CHECKBOXES,
    )

    bp_systolic = forms.IntegerField(
        label="Blood pressure, if measured: the top number (systolic, mmHg)",
        min_value=SYSTOLIC_RANGE[0],
        max_value=SYSTOLIC_RANGE[1],
        required=False,
    )
    bp_diastolic = forms.IntegerField(
        label="The bottom number (diastolic, mmHg)",
        min_value=DIASTOLIC_RANGE[0],
        max_value=DIASTOLIC_RANGE[1],
        required=False,
    )
    bp_measured_on = forms.DateField(
        label="The day it was measured",
        help_text="Today, unless you give another day. Only a reading from today counts as "
        "today's.",
        required=False,
        widget=DATE,
    )
    bp_symptoms = forms.MultipleChoiceField(
        label="When it was measured, did you have any of these?",
        choices=q.BP_SYMPTOMS,
        required=False,
        widget=CHECKBOXES,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = self.today
        clean_blood_pressure(self, data)
        for name in ("clot_when", "cancer_treatment_ended", "surgery_when", "bp_measured_on"):
            day = data.get(name)
            if isinstance(day, dt.date) and day > today:
                self.add_error(name, "This date is in the future; give the date it happened.")
        if data.get("clot") and not data.get("clot_when") and data.get("clot") != "suspected":
            self.add_error("clot_when", "Tell us roughly when the clot was found.")
        if data.get("clot") and not data.get("clot_where"):
            self.add_error("clot_where", "Tick where the clot was (or is).")
        if data.get("surgery_where") and not data.get("surgery_when"):
            self.add_error("surgery_when", "Tell us when the operation was.")
        if data.get("surgery_when") and not data.get("surgery_where"):
            self.add_error("surgery_where", "Tick where the operation was.")
        if data.get("blood_thinner") and not (data.get("blood_thinner_name") or "").strip():
            self.add_error(
                "blood_thinner_name",
                "Write the name of your blood thinner (as on the box or label). "
                "If you do not know it, write “not sure”.",
            )
        return data

    def facts(self) -> dict[str, Any]:
        return q.facts_from_answers(self.cleaned_data, as_of=self.today)

    def sections(self, keys: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The questions grouped as the page shows them (all, or the sections named)."""
        return [
            {
                "key": key,
                "title": title,
                "fields": [self[name] for name in names],
            }
            for key, title, names in INTAKE_SECTIONS
            if keys is None or key in keys
        ]


# The page's sections, and the steps a patient goes through on a phone (each step saved).
INTAKE_SECTIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("warn", "Warning signs", ("stroke_signs",)),
    ("pain", "Pain", ("low_back_pain", "low_back_flags", "neck_pain", "neck_flags")),
    (
        "med",
        "Medicines",
        (
            "blood_thinner",
            "blood_thinner_name",
            "antiplatelet",
            "steroid",
            "immunosuppressant",
            "other_medicines",
        ),
    ),
    ("clot", "Blood clots", ("clot", "clot_when", "clot_where")),
    (
        "cond",
        "Health conditions",
        ("conditions", "swelling_where", "lymphedema_where", "varicose_where", "skin_where"),
    ),
    (
        "cancer",
        "Cancer, operations and implants",
        (
            "cancer",
            "cancer_treatment_ended",
            "cancer_spread",
            "lymph_nodes_where",
            "port_where",
            "device_where",
            "surgery_when",
            "surgery_where",
        ),
    ),
    ("preg", "Pregnancy", ("pregnant", "pregnancy_weeks", "pregnancy_complications")),
    ("bp", "Blood pressure", ("bp_systolic", "bp_diastolic", "bp_measured_on", "bp_symptoms")),
]
INTAKE_STEPS: list[tuple[str, ...]] = [
    ("warn", "pain"),
    ("med", "clot"),
    ("cond",),
    ("cancer",),
    ("preg", "bp"),
]


def step_fields(step: int) -> list[str]:
    """The field names asked on step ``step`` (1-based)."""
    keys = INTAKE_STEPS[step - 1]
    return [name for key, _title, names in INTAKE_SECTIONS if key in keys for name in names]


# A follow-up question and the answer it follows: shown once that answer is given (any
# value when no values are listed). An answer already given is never hidden; a hidden
# follow-up is not sent.
FOLLOW_UPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "low_back_flags": ("low_back_pain", ()),
    "neck_flags": ("neck_pain", ()),
    "blood_thinner_name": ("blood_thinner", ()),
    "clot_when": ("clot", ()),
    "clot_where": ("clot", ()),
    "cancer_treatment_ended": ("cancer", ("remission", "past")),
    "cancer_spread": ("cancer", ()),
    "surgery_where": ("surgery_when", ()),
    "pregnancy_weeks": ("pregnant", ()),
    "pregnancy_complications": ("pregnant", ()),
    "bp_diastolic": ("bp_systolic", ()),
    "bp_measured_on": ("bp_systolic", ()),
    "bp_symptoms": ("bp_systolic", ()),
}
# Questions answered by ticking places: folded until the patient says "yes" (opens them).
FOLDED_PLACES = frozenset(
    {
        "swelling_where",
        "lymphedema_where",
        "varicose_where",
        "skin_where",
        "lymph_nodes_where",
        "port_where",
        "device_where",
    }
)


def raw_answers(form: IntakeForm) -> dict[str, list[str]]:
    """An unbound form's initial answers as the raw values a browser would post (to keep
    as a draft), leaving out empty answers."""
    raw: dict[str, list[str]] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name)
        if value in (None, "", [], False):
            continue
        if isinstance(field, forms.BooleanField):
            raw[name] = ["on"]
        elif isinstance(value, (list, tuple)):
            raw[name] = [str(v) for v in value]
        elif isinstance(value, dt.date):
            raw[name] = [value.isoformat()]
        else:
            raw[name] = [str(value)]
    return raw


def clean_blood_pressure(form: forms.Form, data: dict[str, Any]) -> None:
    """Both numbers or neither, the diastolic below the systolic, and no date without a
    reading (errors on the field, in the form's own names)."""
    systolic, diastolic = data.get("bp_systolic"), data.get("bp_diastolic")
    if (systolic is None) != (diastolic is None):
        missing = "bp_diastolic" if diastolic is None else "bp_systolic"
        if missing not in form.errors:
            form.add_error(missing, "Give both numbers of the blood pressure.")
    elif systolic is not None and diastolic is not None and diastolic >= systolic:
        form.add_error("bp_diastolic", "The bottom number must be lower than the top number.")
    if (
        systolic is None
        and diastolic is None
        and not {"bp_systolic", "bp_diastolic"} & set(form.errors)
        and (data.get("bp_measured_on") or data.get("bp_symptoms"))
    ):
        form.add_error("bp_systolic", "Give the reading these details belong to.")


class BloodPressureForm(Form):
    """Staff: a blood pressure measured at the visit (a re-screen with the reading)."""

    bp_systolic = forms.IntegerField(
        label="Systolic (mmHg)", min_value=SYSTOLIC_RANGE[0], max_value=SYSTOLIC_RANGE[1]
    )
    bp_diastolic = forms.IntegerField(
        label="Diastolic (mmHg)", min_value=DIASTOLIC_RANGE[0], max_value=DIASTOLIC_RANGE[1]
    )
    bp_measured_on = forms.DateField(label="Measured on", widget=DATE)
    bp_symptoms = forms.MultipleChoiceField(
        label="Symptoms now",
        choices=q.BP_SYMPTOMS,
        required=False,
        widget=CHECKBOXES,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        clean_blood_pressure(self, data)
        day = data.get("bp_measured_on")
        if isinstance(day, dt.date) and day > timezone.localdate():
            self.add_error("bp_measured_on", "A reading cannot be from a future day.")
        return data


class FactsForm(Form):
    """Staff: the facts as JSON (every field of docs/screening.md)."""

    facts = forms.CharField(
        label="Facts (JSON)",
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "wide"}),
        help_text="As described in the screening guide; as_of defaults to today.",
    )

    def clean_facts(self) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data["facts"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("The facts are one JSON object: { ... }.")
        return value


class ConfirmForm(Form):
    on = forms.DateField(label="Visit date", widget=DATE)


class ClearanceForm(Form):
    physician = forms.ModelChoiceField(queryset=Physician.objects.none())
    cleared_on = forms.DateField(label="Date of the clearance", widget=DATE)
    scope = forms.CharField(
        label="What the physician cleared",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    conditions = forms.CharField(
        label="Conditions the physician set",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    valid_until = forms.DateField(label="Valid until", required=False, widget=DATE)
    letter = forms.FileField(
        label="The physician's letter",
        help_text="PDF, PNG or JPEG, up to 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["physician"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = physicians_for(actor).filter(active=True)


class OverrideForm(Form):
    reason = forms.CharField(
        label="Why treatment may go ahead without a physician's clearance",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RuleSetForm(Form):
    document = forms.CharField(
        label="Rule set (JSON)",
        widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "false", "class": "wide"}),
    )
    reason = forms.CharField(label="Why the rules change", max_length=2000)

    def clean_document(self) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data["document"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("A rule set is one JSON object.")
        return value


class PolicyForm(Form):
    rescreen_days = forms.IntegerField(label="Re-screen every (days)", min_value=7, max_value=365)
    intake_link_days = forms.IntegerField(
        label="Intake links work for (days)", min_value=1, max_value=30
    )
