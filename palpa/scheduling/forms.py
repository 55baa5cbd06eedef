"""Web forms of the staff calendar: booking, moving, cancelling, the waitlist and a
recurring course.

Forms only shape the input (choices limited to the actor's organization); the services
apply the booking rules and their messages are shown on the fields they name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from palpa.accounts.models import Location, Room, User
from palpa.core.dates import page_date
from palpa.core.forms import Form
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for
from palpa.practitioners.models import Practitioner
from palpa.practitioners.queries import practitioners_for
from palpa.scheduling import queries

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")
WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
OVERRIDE_HELP = (
    "Owners only: books beyond the patient's referral (visits authorized or expiry). "
    "Say why in words, e.g. the physician authorized more visits by phone."
)
OUTSIDE_HELP = "Only to book outside the practitioner's working hours: say why."


class PatientField(forms.CharField):
    """A patient of the actor's organization, given by MRN (e.g. P000012)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Patient (MRN)")
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", "The medical record number, e.g. P000012.")
        super().__init__(**kwargs)
        self.actor: User | None = None

    def clean(self, value: Any) -> Patient:
        text = str(super().clean(value)).strip()
        assert self.actor is not None
        patient = patients_for(self.actor).filter(mrn__iexact=text).first()
        if patient is None:
            raise forms.ValidationError(f"No patient of this clinic has the MRN {text}.")
        return patient


class _ScheduleForm(Form):
    """Choices limited to the actor's organization; the override field for owners."""

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        for f in self.fields.values():
            if isinstance(f, PatientField):
                f.actor = actor
        if "appointment_type" in self.fields:
            self.fields["appointment_type"].queryset = queries.appointment_types_for(actor)  # type: ignore[attr-defined]
        if "practitioner" in self.fields:
            self.fields["practitioner"].queryset = practitioners_for(actor).filter(active=True)  # type: ignore[attr-defined]
        if "location" in self.fields:
            self.fields["location"].queryset = queries.locations_for(actor)  # type: ignore[attr-defined]
        if "override_reason" in self.fields and not queries.may_override(actor):
            del self.fields["override_reason"]


def _type_field(**kwargs: Any) -> forms.ModelChoiceField[Any]:
    return forms.ModelChoiceField(
        label="Appointment type", queryset=None, to_field_name="public_id", **kwargs
    )


def _practitioner_field(**kwargs: Any) -> forms.ModelChoiceField[Any]:
    return forms.ModelChoiceField(
        label="Practitioner", queryset=None, to_field_name="public_id", **kwargs
    )


class BookingForm(_ScheduleForm):
    patient = PatientField()
    location: forms.ModelChoiceField[Location] = forms.ModelChoiceField(
        label="Location", queryset=None, to_field_name="public_id"
    )
    appointment_type = _type_field()
    practitioner = _practitioner_field()
    date = forms.DateField(label="Date", widget=DATE)
    time = forms.TimeField(label="Start time (local)", widget=TIME)
    room: forms.ModelChoiceField[Room] = forms.ModelChoiceField(
        label="Room",
        queryset=None,
        to_field_name="public_id",
        required=False,
        empty_label="Any free suitable room",
    )
    notes = forms.CharField(label="Notes", max_length=500, required=False)
    outside_hours_reason = forms.CharField(
        label="Reason to book outside working hours",
        max_length=300,
        required=False,
        help_text=OUTSIDE_HELP,
    )
    override_reason = forms.CharField(
        label="Referral override reason",
        max_length=300,
        required=False,
        help_text=OVERRIDE_HELP,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["room"].queryset = queries.rooms_for(actor)  # type: ignore[attr-defined]


class MoveForm(_ScheduleForm):
    """Move an appointment to a new start (and practitioner or room)."""

    practitioner = _practitioner_field(required=False, empty_label="The same practitioner")
    date = forms.DateField(label="New date", widget=DATE)
    time = forms.TimeField(label="New start time (local)", widget=TIME)
    room: forms.ModelChoiceField[Room] = forms.ModelChoiceField(
        label="Room",
        queryset=None,
        to_field_name="public_id",
        required=False,
        empty_label="The same room if free, else any suitable",
    )
    outside_hours_reason = forms.CharField(
        label="Reason to book outside working hours",
        max_length=300,
        required=False,
        help_text=OUTSIDE_HELP,
    )
    override_reason = forms.CharField(
        label="Referral override reason", max_length=300, required=False, help_text=OVERRIDE_HELP
    )

    def __init__(self, *args: Any, actor: User, location: Location, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["room"].queryset = queries.rooms_for(actor, location)  # type: ignore[attr-defined]


class CancelForm(Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=300,
        help_text="e.g. patient ill, called the day before",
    )
    offer_to_waitlist = forms.BooleanField(
        label="Offer the freed time to the waitlist", required=False, initial=True
    )


class WaitlistForm(_ScheduleForm):
    patient = PatientField()
    appointment_type = _type_field()
    practitioner = _practitioner_field(required=False, empty_label="Anyone")
    earliest_date = forms.DateField(label="Earliest date", widget=DATE, required=False)
    latest_date = forms.DateField(label="Latest date", widget=DATE, required=False)
    weekdays = forms.TypedMultipleChoiceField(
        label="Weekdays",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any day.",
    )
    window_start = forms.TimeField(label="Not before (local)", widget=TIME, required=False)
    window_end = forms.TimeField(label="Finished by (local)", widget=TIME, required=False)
    notes = forms.CharField(label="Notes", max_length=300, required=False)


MAX_PER_WEEK = 7
SPREAD = {
    1: [0],
    2: [0, 3],
    3: [0, 2, 4],
    4: [0, 1, 3, 4],
    5: [0, 1, 2, 3, 4],
    6: [0, 1, 2, 3, 4, 5],
    7: [0, 1, 2, 3, 4, 5, 6],
}


class CourseForm(_ScheduleForm):
    """A recurring course: weeks times the weekday/time rows (one row per visit a week)."""

    patient = PatientField()
    location: forms.ModelChoiceField[Location] = forms.ModelChoiceField(
        label="Location", queryset=None, to_field_name="public_id"
    )
    appointment_type = _type_field()
    practitioner = _practitioner_field()
    first_day = forms.DateField(label="First week starts on", widget=DATE)
    weeks = forms.IntegerField(label="Weeks", min_value=1, max_value=52)
    notes = forms.CharField(label="Notes", max_length=500, required=False)
    outside_hours_reason = forms.CharField(
        label="Reason to book outside working hours",
        max_length=300,
        required=False,
        help_text=OUTSIDE_HELP,
    )
    override_reason = forms.CharField(
        label="Referral override reason", max_length=300, required=False, help_text=OVERRIDE_HELP
    )

    def __init__(self, *args: Any, actor: User, per_week: int, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.per_week = max(1, min(MAX_PER_WEEK, per_week))
        for n in range(1, self.per_week + 1):
            self.fields[f"weekday_{n}"] = forms.TypedChoiceField(
                label=f"Visit {n}: weekday", choices=WEEKDAYS, coerce=int
            )
            self.fields[f"time_{n}"] = forms.TimeField(
                label=f"Visit {n}: time (local)", widget=TIME
            )

    @property
    def time_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"weekday_{n}"], self[f"time_{n}"]) for n in range(1, self.per_week + 1)]

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [f for f in self.visible_fields() if not f.name.startswith(("weekday_", "time_"))]

    @staticmethod
    def spread(per_week: int) -> list[int]:
        """Weekdays spread over the working week (2: Monday and Thursday)."""
        return SPREAD[max(1, min(MAX_PER_WEEK, per_week))]

    @classmethod
    def initial_from(
        cls, params: Any, *, patient: Patient | None, practitioner: Practitioner | None
    ) -> tuple[int, dict[str, Any]]:
        """``?patient=&per_week=&weeks=&start=&practitioner=`` (the plan's course) as
        initial values, with sensible weekdays at 10:00."""

        def number(name: str, default: int, top: int) -> int:
            try:
                return max(1, min(top, int(params.get(name, default))))
            except (TypeError, ValueError):
                return default

        per_week = number("per_week", 2, MAX_PER_WEEK)
        initial: dict[str, Any] = {"weeks": number("weeks", 6, 52)}
        first_day = page_date(params.get("start"))
        if first_day is not None:
            initial["first_day"] = first_day
        if patient is not None:
            initial["patient"] = patient.mrn
            if patient.primary_location is not None:
                initial["location"] = patient.primary_location.public_id
        if practitioner is not None:
            initial["practitioner"] = practitioner.public_id
        for n, weekday in enumerate(cls.spread(per_week), start=1):
            initial[f"weekday_{n}"] = weekday
            initial[f"time_{n}"] = dt.time(10)
        return per_week, initial
