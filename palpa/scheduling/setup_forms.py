"""Forms of the schedule's set-up pages: appointment types, weekly hours, time off and
extra hours, the clinic's closed days, room features."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms

from palpa.accounts.models import Location
from palpa.core.forms import Form, ModelForm
from palpa.scheduling.models import AppointmentType, AvailabilityException

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SLUG = re.compile(r"^[a-z0-9_-]+$")


def features_from_text(text: str, field: str) -> list[str]:
    """``hydraulic_table, hot stones`` -> ["hot_stones", "hydraulic_table"]; anything but
    letters, digits, - and _ is refused with the field named."""
    found = sorted(
        {part.strip().lower().replace(" ", "_") for part in text.split(",") if part.strip()}
    )
    bad = [f for f in found if not _SLUG.match(f) or len(f) > 60]
    if bad:
        raise forms.ValidationError(
            f"{field}: use letters, digits, - and _ only, separated by commas "
            f"(not {', '.join(bad)})."
        )
    return found


class AppointmentTypeForm(ModelForm[AppointmentType]):
    required_features = forms.CharField(
        label="Room features it needs",
        required=False,
        max_length=300,
        help_text="Separated by commas, e.g. hydraulic_table. Empty: any room.",
    )

    class Meta:
        model = AppointmentType
        fields = (
            "name",
            "code",
            "kind",
            "duration_minutes",
            "buffer_minutes",
            "practitioners",
            "needs_room",
            "online_bookable",
            "counts_as_visit",
            "active",
        )
        widgets = {"practitioners": forms.CheckboxSelectMultiple}
        labels = {
            "code": "Short code",
            "duration_minutes": "Length (minutes)",
            "buffer_minutes": "Buffer after (minutes)",
            "practitioners": "Who performs it",
            "needs_room": "Needs a treatment room",
            "online_bookable": "Patients may book it online",
            "counts_as_visit": "Counts as a referral visit",
        }

    def __init__(self, *args: Any, practitioners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["practitioners"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = practitioners
        field.required = False
        field.help_text = "None ticked: every active practitioner."
        if self.instance.pk:
            self.initial["required_features"] = ", ".join(self.instance.required_features or [])

    def clean_required_features(self) -> list[str]:
        return features_from_text(self.cleaned_data.get("required_features") or "", "Features")

    def _post_clean(self) -> None:
        pass  # validated by the service (one place for the rules)


class WeeklyHoursForm(Form):
    """Two intervals a weekday (a split shift); an empty day is a day off."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, name in enumerate(WEEKDAYS):
            for part, label in (("start", "from"), ("end", "until")):
                for n in ("", "2"):
                    self.fields[f"d{day}_{part}{n}"] = forms.TimeField(
                        label=f"{name} {'second ' if n else ''}{label}",
                        required=False,
                        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                    )

    def days(self) -> list[tuple[str, list[Any]]]:
        return [
            (
                name,
                [
                    self[f"d{day}_start"],
                    self[f"d{day}_end"],
                    self[f"d{day}_start2"],
                    self[f"d{day}_end2"],
                ],
            )
            for day, name in enumerate(WEEKDAYS)
        ]

    def rows(self) -> list[tuple[int, dt.time, dt.time]]:
        """(weekday, start, end) of every filled interval; an interval with one end only
        is a form error naming the day."""
        rows = []
        for day, name in enumerate(WEEKDAYS):
            for n in ("", "2"):
                start = self.cleaned_data.get(f"d{day}_start{n}")
                end = self.cleaned_data.get(f"d{day}_end{n}")
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    self.add_error(
                        f"d{day}_end{n}" if end is None else f"d{day}_start{n}",
                        f"{name}: give both the start and the end, or neither.",
                    )
                    continue
                if end <= start:
                    self.add_error(f"d{day}_end{n}", f"{name}: the end must come after the start.")
                    continue
                rows.append((day, start, end))
        return rows


class ExceptionForm(Form):
    kind = forms.ChoiceField(label="What", choices=AvailabilityException.Kind.choices)
    location = forms.ModelChoiceField(
        label="Location",
        queryset=Location.objects.none(),
        required=False,
        empty_label="Every location",
        help_text="Extra hours need a location; time off may cover every location.",
    )
    starts_at = forms.DateTimeField(
        label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label="Reason", required=False, max_length=200)

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["location"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = locations


class ClosedDayForm(Form):
    date = forms.DateField(
        label="Day",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Give the day as a date, e.g. 2026-11-26."},
    )
    reason = forms.CharField(
        label="Reason",
        max_length=120,
        help_text="Shown on the calendar: keep it short, e.g. Thanksgiving.",
        error_messages={"required": "Say why the clinic is closed, e.g. Thanksgiving."},
    )
    location = forms.ModelChoiceField(
        label="Location",
        queryset=Location.objects.none(),
        required=False,
        empty_label="Every location",
    )

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["location"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = locations


class RoomFeaturesForm(Form):
    features = forms.CharField(
        label="Features",
        required=False,
        max_length=500,
        help_text="Separated by commas, e.g. hydraulic_table, hot_stones.",
    )

    def clean_features(self) -> list[str]:
        return features_from_text(self.cleaned_data.get("features") or "", "Features")
