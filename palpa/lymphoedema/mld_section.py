"""The MLD and bandaging section of a treatment note, which lymphoedema adds to care's
note through ``care.notes.sections`` (registered in ``AppConfig.ready()``).

When a note records the technique ``manual_lymphatic_drainage`` the therapist records
the sequence of regions cleared (the minutes are the technique entries' own) and the
bandaging: the limb, the layers, the materials, short-stretch or not, and the skin
check. The section is a draft while the note is a draft, is part of what the note's
signature covers, and never changes afterwards.

Signing enforces the screening's MLD stops (clinical reference C2: acute infection,
acute DVT, decompensated heart failure, acute renal failure, oedema of unknown cause):
a note with MLD, or with this section, is not signed while the patient's screening on
the visit date has a restriction of lymph drainage not lifted by a clearance; the
refusal names the rule and its source.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, require_own_or, tenant_id
from palpa.audit.services import Action, record
from palpa.care.authoring import practitioner_of
from palpa.care.models import TreatmentNote
from palpa.care.notes.sections import NoteSection
from palpa.core.errors import Refused
from palpa.core.tenancy import require_same_organization
from palpa.lymphoedema.cdt_models import MldRecord
from palpa.screening.queries import screening_status
from palpa.screening.services import check_technique

MLD = "manual_lymphatic_drainage"
FIELDS = (
    "sequence",
    "bandaged_limb",
    "bandage_layers",
    "bandage_materials",
    "short_stretch",
    "skin_check",
)
TEXT_MAX = {"sequence": 500, "bandage_materials": 300, "skin_check": 300}
LAYERS_MAX = 10  # Palpa's own check against typing slips, not a clinical fact


class MldLocked(Refused):
    code = "mld_locked"


def _record(note: TreatmentNote) -> MldRecord | None:
    return MldRecord.objects.filter(note_id=note.pk).first()


def _mld_entries(note: TreatmentNote) -> list[Any]:
    return list(note.techniques.filter(technique=MLD).order_by("position", "pk"))


def _values(rec: MldRecord | None) -> dict[str, Any]:
    return {name: getattr(rec, name) for name in FIELDS} if rec else {}


def _filled(values: Mapping[str, Any]) -> bool:
    return any(v not in ("", None) for v in values.values())


# --- the section on the note page -----------------------------------------------------


def context(user: User, note: TreatmentNote) -> Mapping[str, object] | None:
    if not has_capability(user, Capability.CLINICAL_READ):
        return None
    if note.organization_id != tenant_id(user):
        return None
    entries = _mld_entries(note)
    rec = _record(note)
    if not entries and rec is None:
        return None
    editable = (
        note.status == TreatmentNote.Status.DRAFT
        and has_capability(user, Capability.CLINICAL_AUTHOR)
        and note.practitioner.user_id == user.pk
    )
    return {
        "note": note,
        "record": rec,
        "values": _values(rec),
        "minutes": sum(e.minutes for e in entries),
        "has_mld": bool(entries),
        "editable": editable,
        "limbs": MldRecord.Limb.choices,
    }


def content(note: TreatmentNote) -> Mapping[str, Any] | None:
    """What the note's signature covers of this section; None when nothing recorded."""
    values = _values(_record(note))
    return values if _filled(values) else None


def mld_stops(note: TreatmentNote) -> list[str]:
    """The screening's restrictions of lymph drainage in force on the visit date that the
    note's MLD breaks, each naming the rule and its source; empty when none."""
    entries = _mld_entries(note)
    places = [(e.region, e.side) for e in entries] or [("", "")]
    messages: list[str] = []
    for region, side in places:
        try:
            check_technique(
                patient=note.patient,
                on=note.visit_date,
                technique=MLD,
                region=region,
                side=side,
                pressure="light",
                tool="none",
            )
        except ValidationError as exc:
            for message in exc.messages:
                if message not in messages:
                    messages.append(message)
    if not messages:
        return []
    status = screening_status(note.patient, on=note.visit_date)
    sources = {f.rule_id: f.finding.get("sources", []) for f in status.findings}
    out = []
    for message in messages:
        cited = [
            str(source.get("citation", ""))
            for rule_id, found in sources.items()
            if f"(rule {rule_id}:" in message
            for source in found
            if source.get("citation")
        ]
        out.append(f"{message} Sources: {'; '.join(cited)}." if cited else message)
    return out


def check(actor: User, note: TreatmentNote) -> None:
    values = _values(_record(note))
    has_mld = note.techniques.filter(technique=MLD).exists()
    if _filled(values) and not has_mld:
        raise ValidationError(
            {
                "mld": "The MLD and bandaging section is filled in but no manual lymphatic "
                "drainage is recorded: add the technique, or clear the section."
            }
        )
    if not has_mld:
        return
    stops = mld_stops(note)
    if stops:
        raise ValidationError({"mld": ["No MLD may be signed: " + stops[0], *stops[1:]]})


SECTION = NoteSection(
    name="mld",
    order=10,
    template="lymphoedema/_note_mld.html",
    context=context,
    content=content,
    check=check,
)


# --- writing the section (the only code that writes MldRecord) --------------------------


def _errors(values: Mapping[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, limit in TEXT_MAX.items():
        text = values.get(name, "")
        if not isinstance(text, str):
            errors[name] = ["Give text."]
        elif len(text) > limit or any(
            unicodedata.category(ch) in {"Cc", "Cf"} and ch not in "\n\t" for ch in text
        ):
            errors[name] = [f"At most {limit} characters, without control characters."]
    limb = values.get("bandaged_limb", "")
    if limb not in ("", *MldRecord.Limb.values):
        errors["bandaged_limb"] = [f"Choose one of {', '.join(MldRecord.Limb.values)}."]
    layers = values.get("bandage_layers")
    if layers is not None and (
        isinstance(layers, bool) or not isinstance(layers, int) or not 1 <= layers <= LAYERS_MAX
    ):
        errors["bandage_layers"] = [f"Layers are a whole number from 1 to {LAYERS_MAX}."]
    short = values.get("short_stretch")
    if short is not None and not isinstance(short, bool):
        errors["short_stretch"] = ["Answer yes or no."]
    return errors


def save_mld_record(*, actor: User, note: TreatmentNote, values: Mapping[str, Any]) -> MldRecord:
    """Record (or change) the draft note's MLD and bandaging section; only its own
    practitioner, only while the note is a draft and records MLD. Fields not given
    keep their value."""
    practitioner = practitioner_of(actor)
    require_same_organization(actor, note)
    if note.is_locked:
        raise MldLocked(
            f"This note is {note.get_status_display().lower()}: its MLD section cannot change."
        )
    require_own_or(actor, None, own=note.practitioner_id == practitioner.pk, what="the note")
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise ValidationError({name: ["Not a field of the MLD section."] for name in unknown})
    if not note.techniques.filter(technique=MLD).exists():
        raise ValidationError(
            {"technique": "Record manual lymphatic drainage among the techniques first."}
        )
    current = _values(_record(note)) or {
        "sequence": "",
        "bandaged_limb": "",
        "bandage_layers": None,
        "bandage_materials": "",
        "short_stretch": None,
        "skin_check": "",
    }
    merged = {**current, **values}
    for name in TEXT_MAX:
        if isinstance(merged[name], str):
            merged[name] = merged[name].strip()
    errors = _errors(merged)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = TreatmentNote.objects.select_for_update().get(pk=note.pk)
        if locked.status != TreatmentNote.Status.DRAFT:
            raise MldLocked("The note was signed meanwhile: its MLD section cannot change.")
        rec, created = MldRecord.objects.update_or_create(
            note=note, defaults={**merged, "organization_id": note.organization_id}
        )
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=note,
            patient_id=str(note.patient.public_id),
            detail={"mld_section": "recorded" if created else "changed", "fields": sorted(values)},
        )
    return rec
