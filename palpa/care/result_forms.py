"""Web forms of result-based care: evaluation, plan of care, re-assessment, discharge.

They only shape input; the services validate the clinical rules and name the fields.
"""

from __future__ import annotations

from typing import Any

from django import forms

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import tenant_id
from palpa.care.catalog import SIDES, catalog, check_region
from palpa.care.forms import RegionAndSide
from palpa.care.models import (
    Discharge,
    Goal,
    HomeCareItem,
    PainMapEntry,
    PalpationFinding,
    Plan,
    RomMeasurement,
    SpecialTest,
)
from palpa.core.forms import Form
from palpa.outcomes.library import Instrument, load_library, load_rom_norms

SIDE_CHOICES = [("", "No side"), *((s, s.title()) for s in SIDES)]
PSFS_ROWS = 5


def _set_choices(form: forms.BaseForm, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def region_choices() -> list[tuple[str, str]]:
    return [(r.id, r.label) for r in catalog().regions.values()]


def instrument_choices() -> list[tuple[str, str]]:
    return [(i.id, f"{i.id} · {i.name}") for i in load_library().instruments.values()]


def rom_choices() -> list[tuple[str, str]]:
    """Every joint, motion and side of the norms file, labelled with its norm and source."""
    out = []
    for n in load_rom_norms().norms:
        what = f"{n.joint.replace('_', ' ')} {n.motion.replace('_', ' ')}"
        side = "" if n.side == "midline" else f", {n.side}"
        label = f"{what.capitalize()}{side} · norm {n.degrees}° ({n.source.short})"
        out.append((f"{n.joint}|{n.motion}|{n.side}", label))
    return out


class NewEvaluationForm(Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    evaluated_on = forms.DateField(
        label="Evaluation date", widget=forms.DateInput(attrs={"type": "date"})
    )
    chief_complaint = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    onset_on = forms.DateField(
        label="When the complaint began (if known)",
        help_text="Sets how long-standing it is: acute under 6 weeks, chronic over 12.",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["location"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Location.objects.filter(organization_id=tenant_id(actor), active=True)


class EvaluationForm(Form):
    chief_complaint = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    onset_on = forms.DateField(
        label="When the complaint began (if known)",
        help_text="Sets how long-standing it is: acute under 6 weeks, chronic over 12.",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    history = forms.CharField(
        label="History of the complaint",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=10000,
    )
    posture = forms.CharField(
        label="Posture notes",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )


class PainForm(Form):
    """One pain-map entry for the region tapped on the body chart. The tap fixes the
    region (a hidden field; tap another region to change it) and the side offers only the
    sides the region catalog allows that region (none for the low back, left, right or
    bilateral for a shoulder); a side the region cannot have is refused on the side field."""

    region = forms.ChoiceField(label="Region", widget=forms.HiddenInput)
    side = forms.CharField(label="Side", required=False, widget=forms.Select)
    intensity = forms.IntegerField(
        label="Intensity (0 to 10)",
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    quality = forms.ChoiceField(choices=PainMapEntry.Quality.choices)
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "region", region_choices())
        raw = self.data.get(self.add_prefix("region")) if self.is_bound else None
        if raw is None:
            raw = self.initial.get("region", "")
        known = catalog().regions.get(str(raw))
        self.region_label = known.label if known else ""
        sides = known.sides if known else ()
        side = self.fields["side"]
        if sides:
            side.widget.choices = [(s, s.title()) for s in sides]
        else:
            side.widget = forms.HiddenInput()
        self.fields["intensity"].widget.attrs["autofocus"] = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        region = data.get("region")
        if region:
            for problem in check_region(str(region), str(data.get("side") or "")):
                self.add_error("side", problem)
        return data


class PalpationForm(RegionAndSide):
    tone = forms.ChoiceField(choices=PalpationFinding.Tone.choices)
    tenderness = forms.IntegerField(label="Tenderness (0 to 3)", min_value=0, max_value=3)
    trigger_points = forms.BooleanField(label="Trigger points found", required=False)
    trigger_point_count = forms.IntegerField(
        label="How many trigger points", required=False, min_value=1, max_value=50
    )
    texture = forms.CharField(label="Tissue texture", required=False, max_length=300)


class RomForm(Form):
    measure = forms.ChoiceField(label="Joint, motion and side")
    degrees = forms.IntegerField(min_value=-90, max_value=360)
    mode = forms.ChoiceField(choices=RomMeasurement.Mode.choices)
    instrument = forms.ChoiceField(choices=RomMeasurement.Tool.choices)
    position = forms.CharField(label="Patient position", required=False, max_length=120)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "measure", rom_choices())

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        joint, motion, side = str(data.pop("measure")).split("|")
        return {"joint": joint, "motion": motion, "side": side, **data}


class SpecialTestForm(Form):
    name = forms.CharField(label="Test", max_length=80)
    side = forms.ChoiceField(choices=SIDE_CHOICES, required=False)
    result = forms.ChoiceField(choices=SpecialTest.Result.choices)
    note = forms.CharField(required=False, max_length=300)


class DiagnosisForm(Form):
    code = forms.CharField(label="ICD-10-CM code", max_length=10)
    primary = forms.BooleanField(label="Primary diagnosis", required=False)


class ChooseInstrumentForm(Form):
    instrument = forms.ChoiceField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "instrument", instrument_choices())


class AnswersForm(Form):
    """One field per item of the instrument, with the library's answer options.

    Items whose text is licensed and not shipped are shown as "Item n"; the PSFS asks the
    patient to name each activity and rate it.
    """

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        response = instrument.items.response
        options = [("", "—")] + [
            (
                str(v),
                f"{v} · {response.anchors[v]}" if v in response.anchors else str(v),
            )
            for v in range(response.min, response.max + 1)
        ]
        if instrument.items.count is None:
            for n in range(1, PSFS_ROWS + 1):
                self.fields[f"label_{n}"] = forms.CharField(
                    label=f"Activity {n}", required=False, max_length=120
                )
                self.fields[f"item_{n}"] = forms.ChoiceField(
                    label=f"Activity {n} rating", choices=options, required=False
                )
            return
        texts = instrument.items.text
        for n in range(1, instrument.items.count + 1):
            label = f"{n}. {texts[n - 1]}" if texts else f"Item {n}"
            self.fields[f"item_{n}"] = forms.ChoiceField(
                label=label, choices=options, required=False
            )

    def answers(self) -> tuple[list[int | None], list[str]]:
        data = self.cleaned_data
        if self.instrument.items.count is None:
            rows = [
                (str(data.get(f"label_{n}", "")).strip(), data.get(f"item_{n}", ""))
                for n in range(1, PSFS_ROWS + 1)
            ]
            rows = [(label, value) for label, value in rows if label or value != ""]
            return [int(v) if v != "" else None for _, v in rows], [label for label, _ in rows]
        count = self.instrument.items.count
        values = [data.get(f"item_{n}", "") for n in range(1, count + 1)]
        return [int(v) if v not in ("", None) else None for v in values], []


class NewPlanForm(Form):
    starts_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Default: today"
    )
    frequency_per_week = forms.IntegerField(label="Visits per week", min_value=1, max_value=7)
    duration_weeks = forms.IntegerField(label="Weeks", min_value=1, max_value=52)
    techniques = forms.MultipleChoiceField(
        label="Planned techniques", widget=forms.CheckboxSelectMultiple, required=False
    )
    precautions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    reassess_every_visits = forms.IntegerField(
        label="Re-assess every N visits", min_value=1, required=False, initial=6
    )
    reassess_every_days = forms.IntegerField(
        label="Re-assess every N days", min_value=1, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "techniques", [(t.id, t.label) for t in catalog().techniques.values()])


class PlanEditForm(NewPlanForm):
    """The fields of a draft plan (a signed one is revised into a new version instead)."""

    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    diagnoses = forms.CharField(
        label="Diagnoses (ICD-10-CM codes)",
        max_length=200,
        help_text="Separated by commas, the primary first, e.g. M54.50, M62.830",
    )

    @classmethod
    def initial_of(cls, plan: Plan) -> dict[str, Any]:
        return {
            "starts_on": plan.starts_on,
            "frequency_per_week": plan.frequency_per_week,
            "duration_weeks": plan.duration_weeks,
            "techniques": list(plan.techniques),
            "precautions": plan.precautions,
            "reassess_every_visits": plan.reassess_every_visits,
            "reassess_every_days": plan.reassess_every_days,
            "diagnoses": ", ".join(d.code for d in plan.diagnoses.order_by("rank", "pk")),
        }

    def changes(self, plan: Plan) -> dict[str, Any]:
        """Only what differs from the plan as stored (diagnoses as a list of codes)."""
        current = self.initial_of(plan)
        out: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if name == "diagnoses":
                codes = [c.strip() for c in str(value).replace(";", ",").split(",") if c.strip()]
                if codes != [c.strip() for c in current["diagnoses"].split(",") if c.strip()]:
                    out[name] = codes
            elif name == "techniques":
                if sorted(value) != sorted(current[name]):
                    out[name] = list(value)
            elif value != current[name]:
                out[name] = value
        return out


class GoalForm(Form):
    statement = forms.CharField(
        label="Goal, in the patient's words", widget=forms.Textarea(attrs={"rows": 2})
    )
    measure = forms.ChoiceField(help_text="Measures with a baseline in the evaluation")
    target_kind = forms.ChoiceField(choices=Goal.Target.choices)
    target_value = forms.FloatField(required=False, help_text="Needed for a target value")
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    primary = forms.BooleanField(label="Primary goal", required=False)
    rom_local_mdc = forms.FloatField(
        label="Local MDC (degrees, ROM only)", required=False, min_value=0.1
    )

    def __init__(self, *args: Any, measures: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "measure", measures)

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        kind, _, rest = str(data.pop("measure")).partition(":")
        out: dict[str, Any] = {"measure_kind": kind, **data}
        if kind == Goal.Measure.INSTRUMENT:
            out["instrument"] = rest
        elif kind == Goal.Measure.PSFS_ACTIVITY:
            out["psfs_index"] = int(rest)
        else:
            out["rom_joint"], out["rom_motion"], out["rom_side"] = rest.split("|")
        return out


class HomeCareForm(Form):
    kind = forms.ChoiceField(choices=HomeCareItem.Kind.choices)
    instructions = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=500)
    tool = forms.ChoiceField(initial="none")
    frequency = forms.CharField(label="How often", max_length=120)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "tool", [(t.id, t.label) for t in catalog().tools.values()])


class HomeCarePictureForm(Form):
    picture = forms.FileField(
        help_text="PNG, JPEG or WebP; at most 2 MB and 4000 x 4000 pixels. Where and when a "
        "photo was taken is removed.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    picture_alt = forms.CharField(
        label="Describe the picture",
        max_length=200,
        help_text="Read out to someone who cannot see it, e.g. “Rolling the ball under the "
        "left shoulder blade against a wall”.",
    )


class ReassessRomForm(RomForm):
    pass


class DischargeForm(Form):
    reason = forms.ChoiceField(choices=Discharge.Reason.choices)
    reason_detail = forms.CharField(
        label="Detail", required=False, max_length=300, help_text="Needed for referred out or other"
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    discharged_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Default: today"
    )
