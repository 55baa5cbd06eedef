"""Forms for instrument links: the staff's choice of instruments, and the patient's answers.

The patient's form only collects what was tapped or typed; the service scores it and names
the item and the rule for anything that cannot be scored, so the messages match the API's
and ``palpa score``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from palpa.core.forms import Form
from palpa.outcomes.library import Instrument, get_instrument
from palpa.outcomes.models import InstrumentAdministration, InstrumentLink
from palpa.outcomes.services import (
    MAX_LABEL,
    MAX_PSFS_ACTIVITIES,
    NewActivity,
    linkable_instruments,
)

WHOLE = re.compile(r"^[+-]?\d{1,3}$")


class AnyChoices(forms.MultipleChoiceField):
    """Checkboxes whose values the service checks (it names a refused instrument and why)."""

    def valid_value(self, value: Any) -> bool:
        return True


class InstrumentLinkForm(Form):
    instruments = AnyChoices(
        label="Instruments for the patient to fill",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    context = forms.ChoiceField(
        label="Recorded as",
        choices=InstrumentAdministration.Context.choices,
        initial=InstrumentAdministration.Context.REASSESSMENT,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instruments = self.fields["instruments"]
        assert isinstance(instruments, forms.MultipleChoiceField)
        instruments.choices = [(i.id, f"{i.id} — {i.name}") for i in linkable_instruments()]


def _option(instrument: Instrument, value: int) -> str:
    return f"+{value}" if instrument.items.response.min < 0 < value else str(value)


def anchors(instrument: Instrument) -> str:
    """What the ends (and middle) of the scale mean, e.g. "0 = No pain; 10 = ..."."""
    shown = instrument.items.response.anchors
    return "; ".join(f"{_option(instrument, v)} = {shown[v]}" for v in sorted(shown))


def _scale(instrument: Instrument, label: str) -> forms.CharField:
    response = instrument.items.response
    choices = [(str(v), _option(instrument, v)) for v in range(response.min, response.max + 1)]
    return forms.CharField(
        label=label,
        required=False,
        help_text=anchors(instrument),
        widget=forms.RadioSelect(choices=choices),
    )


def _value(raw: object) -> object:
    """A tapped answer as a whole number; blank is None; anything else goes to the scorer
    as it came, which names it."""
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    return int(text) if WHOLE.match(text) else text


@dataclass
class Section:
    instrument: Instrument
    fields: list[forms.BoundField] = field(default_factory=list)
    rows: list[tuple[forms.BoundField | None, forms.BoundField]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class LinkAnswersForm(Form):
    """One section per instrument of the link, in the link's order."""

    def __init__(self, link: InstrumentLink, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.link = link
        self.instruments = [get_instrument(i) for i in link.instruments]
        self.on_file = [str(a) for a in link.psfs_activities]
        self.instrument_errors: dict[str, list[str]] = {}
        for instrument in self.instruments:
            items = instrument.items
            if items.count is None:
                for row, activity in enumerate(self.on_file, start=1):
                    self.fields[f"{instrument.id}-{row}"] = _scale(
                        instrument, f"Activity {row}: {activity}"
                    )
                for row in range(len(self.on_file) + 1, self.psfs_rows + 1):
                    self.fields[f"{instrument.id}-name-{row}"] = forms.CharField(
                        label=f"Activity {row}",
                        required=False,
                        widget=forms.TextInput(attrs={"maxlength": MAX_LABEL}),
                    )
                    self.fields[f"{instrument.id}-{row}"] = _scale(
                        instrument, f"How well can you do activity {row} now?"
                    )
                continue
            assert items.count is not None
            assert items.text is not None
            for number in range(1, items.count + 1):
                label = items.text[number - 1]
                if items.count > 1:
                    label = f"{number}. {label}"
                self.fields[f"{instrument.id}-{number}"] = _scale(instrument, label)

    @property
    def psfs_rows(self) -> int:
        extra = 2 if self.on_file else MAX_PSFS_ACTIVITIES
        return min(MAX_PSFS_ACTIVITIES, len(self.on_file) + extra)

    def answers(self) -> dict[str, list[object]]:
        out: dict[str, list[object]] = {}
        for instrument in self.instruments:
            count = instrument.items.count
            numbers = range(1, (len(self.on_file) if count is None else count) + 1)
            out[instrument.id] = [
                _value(self.cleaned_data.get(f"{instrument.id}-{n}")) for n in numbers
            ]
        return out

    def added_activities(self) -> list[NewActivity]:
        return [
            NewActivity(
                name=str(self.cleaned_data.get(f"PSFS-name-{row}") or ""),
                rating=_value(self.cleaned_data.get(f"PSFS-{row}")),
            )
            for row in range(len(self.on_file) + 1, self.psfs_rows + 1)
            if "PSFS" in self.link.instruments
        ]

    def apply_service_errors(self, exc: ValidationError) -> None:
        """The service's errors on the item they name, else on the instrument's section."""
        for key, messages in exc.message_dict.items():
            if key in self.fields:
                self.add_error(key, messages)
            else:
                self.instrument_errors.setdefault(key, []).extend(messages)

    @property
    def error_count(self) -> int:
        return len(self.errors) + len(self.instrument_errors)

    def sections(self) -> list[Section]:
        sections = []
        for instrument in self.instruments:
            section = Section(instrument)
            section.errors = self.instrument_errors.get(instrument.id, [])
            if instrument.items.count is None:
                for row in range(1, self.psfs_rows + 1):
                    name = self.fields.get(f"{instrument.id}-name-{row}")
                    section.rows.append(
                        (
                            self[f"{instrument.id}-name-{row}"] if name is not None else None,
                            self[f"{instrument.id}-{row}"],
                        )
                    )
            else:
                assert instrument.items.count is not None
                section.fields = [
                    self[f"{instrument.id}-{n}"] for n in range(1, instrument.items.count + 1)
                ]
            sections.append(section)
        return sections
