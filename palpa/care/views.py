from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from palpa.accounts.gates import requires
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability
from palpa.audit.services import Action, record
from palpa.care import gates as care_gates
from palpa.care import queries
from palpa.care.catalog import catalog
from palpa.care.forms import AddendumForm, NewNoteForm, NoteForm, TechniqueForm
from palpa.care.models import TechniqueEntry, TreatmentNote
from palpa.care.notes import adherence
from palpa.care.notes import sections as note_sections
from palpa.care.notes import services as note_services
from palpa.core.dates import local, local_today
from palpa.core.errors import Refused
from palpa.core.forms import apply_validation_error
from palpa.core.views import staff_user
from palpa.patients.queries import patients_for
from palpa.scheduling.models import Appointment


@login_required
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.PATIENT)
def note_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    active_plan = queries.active_plan(patient)
    initial: dict[str, Any] = {
        "location": patient.primary_location,
        "plan_of_care": active_plan,
        "visit_date": local_today(patient.primary_location),
    }
    wanted = request.POST.get("appointment") or request.GET.get("appointment") or ""
    appointment = queries.appointment_to_document(user, patient, wanted) if wanted else None
    if wanted and appointment is None:
        raise Http404("No booked or arrived appointment of this patient has this id.")
    if appointment is not None:
        initial |= {
            "location": appointment.location,
            "visit_date": local(appointment.start, appointment.location).date(),
        }
    form = NewNoteForm(request.POST or None, actor=user, patient=patient, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            note = note_services.start_note(
                actor=user, patient=patient, appointment=appointment, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return redirect("care:note", note_id=note.public_id)
    return render(
        request,
        "care/note_new.html",
        {"form": form, "patient": patient, "appointment": appointment},
    )


def _note(request: HttpRequest, note_id: str) -> TreatmentNote:
    user = staff_user(request)
    return get_object_or_404(queries.notes_for(user), public_id=note_id)


@login_required
@requires(Capability.CLINICAL_READ, post=Capability.CLINICAL_AUTHOR, record=care_gates.NOTE_DRAFT)
def note_detail(request: HttpRequest, note_id: str) -> HttpResponse:
    user = staff_user(request)
    note = _note(request, note_id)
    mine = note.practitioner.user_id == user.pk
    editable = note.status == TreatmentNote.Status.DRAFT and mine
    form = NoteForm(request.POST or None, instance=note, prefix="soap")
    if request.method == "POST":
        if not editable:
            messages.error(request, "Only the note's practitioner edits a draft.")
            return redirect("care:note", note_id=note.public_id)
        if form.is_valid():
            try:
                note_services.update_note(
                    actor=user,
                    note=TreatmentNote.objects.get(pk=note.pk),
                    changes={k: form.cleaned_data[k] for k in form.changed_data},
                )
            except (ValidationError, Refused) as exc:
                if isinstance(exc, ValidationError):
                    apply_validation_error(form, exc)
                else:
                    messages.error(request, str(exc))
            else:
                messages.success(request, "Note saved.")
                return redirect("care:note", note_id=note.public_id)
    elif request.headers.get("HX-Request") != "true":
        note_services.audit_note_read(actor=user, note=note)
    return _render_note(request, note, form=form, editable=editable)


def _render_note(
    request: HttpRequest,
    note: TreatmentNote,
    *,
    editable: bool,
    form: NoteForm | None = None,
    technique_form: TechniqueForm | None = None,
) -> HttpResponse:
    return render(
        request,
        "care/note.html",
        {
            "note": note,
            "form": form or NoteForm(instance=note, prefix="soap"),
            "editable": editable,
            "technique_form": technique_form or TechniqueForm(prefix="t"),
            "addendum_form": AddendumForm(),
            "techniques": [_technique_row(t) for t in note.techniques.all()],
            "adherence": adherence.for_note(staff_user(request), note),
            "note_sections": note_sections.sections_for(staff_user(request), note),
        },
    )


def _technique_row(t: TechniqueEntry) -> dict[str, object]:
    """One technique as a person reads it: every code replaced by the catalog's label."""
    cat = catalog()

    def label(entries: dict[str, Any], code: str) -> str:
        return entries[code].label if code in entries else code

    return {
        "entry": t,
        "technique": label(cat.techniques, t.technique),
        "region": cat.region_label(t.region, t.side),
        "pressure": label(cat.pressures, t.pressure),
        "tool": label(cat.tools, t.tool),
    }


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.NOTE_DRAFT)
def technique_add(request: HttpRequest, note_id: str) -> HttpResponse:
    """Add a technique; a refusal (a field out of range, a restriction of the screening)
    is shown once, next to the field it names, on the form as it was filled in."""
    user = staff_user(request)
    note = _note(request, note_id)
    form = TechniqueForm(request.POST, prefix="t")
    if form.is_valid():
        try:
            note_services.add_technique(actor=user, note=note, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Technique recorded.")
            return redirect(reverse("care:note", args=[note.public_id]) + "#techniques-h")
    return _render_note(request, note, technique_form=form, editable=True)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.NOTE_DRAFT)
def technique_remove(request: HttpRequest, note_id: str, technique_id: str) -> HttpResponse:
    user = staff_user(request)
    note = _note(request, note_id)
    entry = get_object_or_404(TechniqueEntry, note=note, public_id=technique_id)
    try:
        note_services.remove_technique(actor=user, entry=entry)
    except Refused as exc:
        messages.error(request, str(exc))
    return redirect("care:note", note_id=note.public_id)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.NOTE_DRAFT)
def note_sign(request: HttpRequest, note_id: str) -> HttpResponse:
    user = staff_user(request)
    note = _note(request, note_id)
    try:
        note_services.sign_note(actor=user, note=note)
        messages.success(request, "Note signed. It can no longer change; corrections are addenda.")
    except (ValidationError, Refused) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, f"Not signed: {text}")
    return redirect("care:note", note_id=note.public_id)


@login_required
@require_POST
@requires(Capability.CLINICAL_ADDENDUM, record=care_gates.NOTE)
def addendum_add(request: HttpRequest, note_id: str) -> HttpResponse:
    user = staff_user(request)
    note = _note(request, note_id)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            note_services.add_addendum(actor=user, note=note, text=form.cleaned_data["text"])
            messages.success(request, "Addendum signed.")
        except (ValidationError, Refused) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text)
    else:
        messages.error(request, "Write the addendum first.")
    return redirect("care:note", note_id=note.public_id)


def dashboard_panel(user: User) -> dict[str, object]:
    """The member's own draft notes, and those unsigned for more than 72 hours
    (registered in CareConfig.ready)."""
    if not has_capability(user, Capability.CLINICAL_AUTHOR):
        return {}
    today = queries.todays_visits(user)
    if today:
        record(
            actor=user,
            action=Action.READ,
            object_type="Appointment",
            detail={
                "view": "dashboard: today's appointments",
                "patients": sorted({str(a.patient.public_id) for a, _ in today}),
            },
        )
    return {
        "todays_visits": None
        if today is None
        else [
            {
                "appointment": a,
                "start": local(a.start, a.location),
                "note": note,
                "may_start": note is None
                and a.status in (Appointment.Status.BOOKED, Appointment.Status.ARRIVED),
            }
            for a, note in today
        ],
        "unsigned": list(queries.unsigned_notes(user)),
        "drafts": list(queries.unsigned_notes(user, older_than_hours=0).order_by("visit_date")),
    }
