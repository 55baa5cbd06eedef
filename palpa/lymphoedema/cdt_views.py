"""The chart's "Start phase 1" and "Switch to phase 2" forms (POST only; the chart shows
the phase). Practitioners of the patient's organization; writes go through ``cdt``."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from palpa.accounts.gates import requires
from palpa.accounts.permissions import Capability
from palpa.care import gates as care_gates
from palpa.core.errors import Refused
from palpa.core.views import staff_user
from palpa.lymphoedema import cdt
from palpa.patients.queries import patients_for


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _back(patient_id: object) -> HttpResponse:
    return redirect(reverse("patients:detail", args=[patient_id]) + "#cdt")


def _run(request: HttpRequest, patient_id: str, switch: bool) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    on = _date(request.POST.get("on", ""))
    if on is None:
        messages.error(request, "Not saved: give the date as YYYY-MM-DD.")
        return _back(patient.public_id)
    try:
        if switch:
            cdt.switch_to_phase_2(
                actor=user, patient=patient, on=on, reason=request.POST.get("reason", "")
            )
        else:
            cdt.start_phase_1(actor=user, patient=patient, on=on)
    except ValidationError as exc:
        messages.error(request, "Not saved: " + " ".join(exc.messages))
    except Refused as exc:
        messages.error(request, f"Not saved: {exc}")
    else:
        messages.success(request, "Phase 2 recorded." if switch else "Phase 1 started.")
    return _back(patient.public_id)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.PATIENT)
def start_phase_1(request: HttpRequest, patient_id: str) -> HttpResponse:
    return _run(request, patient_id, switch=False)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.PATIENT)
def switch_to_phase_2(request: HttpRequest, patient_id: str) -> HttpResponse:
    return _run(request, patient_id, switch=True)
