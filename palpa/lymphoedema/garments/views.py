"""The garment pages: the prescription form (a draft, or saved and signed in one step),
its page (record the fitting, print the order form, mark it in error), the owner's
replacement interval, and the dashboard's reminder. Writes go through ``services``,
reads through ``queries``; every read and write is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from palpa.accounts.gates import Record, requires
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.accounts.queries import locations_for
from palpa.audit.services import Action, record
from palpa.care import gates as care_gates
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.forms import Form
from palpa.core.views import staff_user
from palpa.lymphoedema.garments import document, queries, services
from palpa.lymphoedema.garments.catalogue import load_garments
from palpa.lymphoedema.garments.rows import measurement_label, measurement_rows
from palpa.lymphoedema.models import GarmentPrescription
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for

PATIENT = Record("patient_id", Patient)
PRESCRIPTION = Record(
    "prescription_id", GarmentPrescription, care_gates.AUTHOR, what="the prescription"
)
PRESCRIPTION_ANY = Record("prescription_id", GarmentPrescription)
PRESCRIPTION_IN_ERROR = Record(
    "prescription_id",
    GarmentPrescription,
    care_gates.AUTHOR,
    care_gates.OTHERS,
    what="the prescription",
)
TYPED = ""  # the measurement choice "circumferences typed below"


def _cm_text(values: list[float]) -> str:
    return " ".join(f"{float(v):g}" for v in values)


def _parse_cm(text: str) -> list[float]:
    """Circumferences separated by spaces or semicolons; a comma is a decimal point."""
    out = []
    for i, part in enumerate(text.replace(";", " ").split(), start=1):
        word = part.replace(",", ".")
        if not all(c.isascii() and (c.isdigit() or c == ".") for c in word):
            raise ValidationError(f"Point {i} ({part!r}) is not a number in cm.")
        try:
            out.append(float(word))
        except ValueError as exc:
            raise ValidationError(f"Point {i} ({part!r}) is not a number in cm.") from exc
    return out


class PrescriptionForm(Form):
    prescribed_on = forms.DateField(
        label="Date prescribed", widget=forms.DateInput({"type": "date"})
    )
    location = forms.ChoiceField(label="Location")
    limb = forms.ChoiceField(label="Limb", choices=GarmentPrescription.Limb.choices)
    side = forms.ChoiceField(label="Side", choices=GarmentPrescription.Side.choices)
    garment_type = forms.ChoiceField(label="Garment")
    knit = forms.ChoiceField(label="Knit")
    compression = forms.ChoiceField(label="Compression class (standard)")
    measurement = forms.ChoiceField(label="Measurements used", required=False)
    landmark = forms.CharField(label="Landmark (measured from)", max_length=60, required=False)
    interval_cm = forms.CharField(label="Interval (cm)", required=False)
    left_circumferences_cm = forms.CharField(label="Left circumferences (cm)", required=False)
    right_circumferences_cm = forms.CharField(label="Right circumferences (cm)", required=False)
    product = forms.CharField(label="Manufacturer and product", max_length=200, required=False)
    quantity = forms.IntegerField(label="Quantity", initial=1)
    notes = forms.CharField(
        label="Notes for the fitter (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea({"rows": 2}),
    )

    def __init__(
        self, *args: Any, actor: User, patient: Patient, draft: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        data = load_garments()
        self.measurements = {str(m.public_id): m for m in queries.tape_measurements(actor, patient)}
        self.locations = {str(loc.public_id): loc for loc in locations_for(actor)}
        cast(forms.ChoiceField, self.fields["location"]).choices = [
            (k, v.name) for k, v in self.locations.items()
        ]
        if draft:
            del self.fields["location"]  # set when the draft was started
        cast(forms.ChoiceField, self.fields["garment_type"]).choices = [
            (c.code, c.label) for c in data.garment_types
        ]
        cast(forms.ChoiceField, self.fields["knit"]).choices = [
            (c.code, c.label) for c in data.knits
        ]
        cast(forms.ChoiceField, self.fields["compression"]).choices = [
            (f"{s.code}:{c.code}", data.class_line(s.code, c.code))
            for s in data.standards
            for c in s.classes
        ]
        cast(forms.ChoiceField, self.fields["measurement"]).choices = [
            (TYPED, "Circumferences typed below"),
            *(
                (k, f"Signed measurement of {measurement_label(m)}")
                for k, m in self.measurements.items()
            ),
        ]
        for name in ("left_circumferences_cm", "right_circumferences_cm"):
            self.fields[
                name
            ].help_text = "From the landmark up, separated by spaces, e.g. 17.5 21 24.5"
        for name in ("interval_cm", "left_circumferences_cm", "right_circumferences_cm"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def content(self) -> dict[str, Any] | None:
        """The service's keyword arguments, or None (errors added to the form)."""
        if not self.is_valid():
            return None
        d = self.cleaned_data
        standard, _, klass = d["compression"].partition(":")
        out: dict[str, Any] = {
            "prescribed_on": d["prescribed_on"],
            "limb": d["limb"],
            "side": d["side"],
            "garment_type": d["garment_type"],
            "knit": d["knit"],
            "standard": standard,
            "compression_class": klass,
            "measurement": self.measurements.get(d["measurement"]),
            "landmark": d["landmark"].strip(),
            "product": d["product"].strip(),
            "quantity": d["quantity"],
            "notes": d["notes"].strip(),
        }
        if "location" in self.fields:
            out["location"] = self.locations[d["location"]]
        interval = d["interval_cm"].strip().replace(",", ".")
        try:
            out["interval_cm"] = float(interval) if interval else None
        except ValueError:
            self.add_error("interval_cm", "Give the interval in cm as a number.")
        for name in ("left_circumferences_cm", "right_circumferences_cm"):
            try:
                out[name] = _parse_cm(d[name])
            except ValidationError as exc:
                self.add_error(name, exc)
        return None if self.errors else out

    def apply(self, exc: ValidationError) -> None:
        """The service's errors, each on its field."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.message_dict.items():
            field = "compression" if name in ("standard", "compression_class") else name
            self.add_error(field if field in self.fields else None, errors)


def _initial(patient: Patient, actor: User) -> dict[str, Any]:
    location = patient.primary_location
    latest = queries.tape_measurements(actor, patient).first()
    return {
        "prescribed_on": local_today(location).isoformat(),
        "location": str(location.public_id) if location else "",
        "limb": latest.region if latest else "arm",
        "side": latest.affected_side if latest else "left",
        "knit": "flat",
        "compression": "RAL-GZG:II",
        "measurement": str(latest.public_id) if latest else TYPED,
        "quantity": 1,
    }


def _from(p: GarmentPrescription) -> dict[str, Any]:
    return {
        "prescribed_on": p.prescribed_on.isoformat(),
        "limb": p.limb,
        "side": p.side,
        "garment_type": p.garment_type,
        "knit": p.knit,
        "compression": f"{p.standard}:{p.compression_class}",
        "measurement": str(p.measurement.public_id) if p.measurement else TYPED,
        "landmark": p.landmark,
        "interval_cm": f"{p.interval_cm:g}" if p.interval_cm is not None else "",
        "left_circumferences_cm": _cm_text(p.left_circumferences_cm),
        "right_circumferences_cm": _cm_text(p.right_circumferences_cm),
        "product": p.product,
        "quantity": p.quantity,
        "notes": p.notes,
    }


def _save(
    request: HttpRequest,
    form: PrescriptionForm,
    patient: Patient,
    prescription: GarmentPrescription | None,
) -> GarmentPrescription | None:
    """Save (and, when asked, sign) in one transaction: nothing half saved."""
    user = staff_user(request)
    content = form.content()
    if content is None:
        return None
    sign = request.POST.get("action") == "sign"
    try:
        with transaction.atomic():
            if prescription is None:
                location = content.pop("location")
                prescription = services.prescribe_garment(
                    actor=user, patient=patient, location=location, **content
                )
            else:
                prescription = services.update_prescription(
                    actor=user, prescription=prescription, changes=content
                )
            if sign:
                prescription = services.sign_prescription(actor=user, prescription=prescription)
    except ValidationError as exc:
        form.apply(exc)
        return None
    except Refused as exc:
        form.add_error(None, str(exc))
        return None
    messages.success(request, "Prescription signed." if sign else "Draft saved.")
    return prescription


def _form_page(
    request: HttpRequest, form: PrescriptionForm, patient: Patient, p: GarmentPrescription | None
) -> HttpResponse:
    return render(
        request,
        "lymphoedema/garment_form.html",
        {"form": form, "patient": patient, "prescription": p, "data": load_garments()},
    )


@login_required
@requires(Capability.CLINICAL_READ, post=Capability.CLINICAL_AUTHOR, record=PATIENT)
def garment_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    if request.method == "POST":
        form = PrescriptionForm(request.POST, actor=user, patient=patient)
        saved = _save(request, form, patient, None)
        if saved is not None:
            return redirect("lymphoedema:garment", prescription_id=saved.public_id)
    else:
        form = PrescriptionForm(initial=_initial(patient, user), actor=user, patient=patient)
        if form.measurements:
            services.audit_prescriptions_read(
                actor=user, patient=patient, count=len(form.measurements), view="garment form"
            )
    return _form_page(request, form, patient, None)


def _may_mark(user: User, p: GarmentPrescription) -> bool:
    if p.status != GarmentPrescription.Status.SIGNED:
        return False
    if p.practitioner.user_id == user.pk:
        return has_capability(user, Capability.CLINICAL_AUTHOR)
    return has_capability(user, Capability.CLINICAL_CORRECT_OTHERS)


@login_required
@requires(Capability.CLINICAL_READ, post=Capability.CLINICAL_AUTHOR, record=PRESCRIPTION)
def garment_detail(request: HttpRequest, prescription_id: str) -> HttpResponse:
    user = staff_user(request)
    p = get_object_or_404(queries.prescriptions_for(user), public_id=prescription_id)
    patient = p.patient
    if p.status == GarmentPrescription.Status.DRAFT and p.practitioner.user_id == user.pk:
        if request.method == "POST":
            form = PrescriptionForm(request.POST, actor=user, patient=patient, draft=True)
            saved = _save(request, form, patient, p)
            if saved is not None:
                return redirect("lymphoedema:garment", prescription_id=saved.public_id)
        else:
            services.audit(user, Action.READ, p)
            form = PrescriptionForm(initial=_from(p), actor=user, patient=patient, draft=True)
        return _form_page(request, form, patient, p)
    if request.method == "POST":
        messages.error(request, "Only the prescription's practitioner changes a draft.")
        return redirect("lymphoedema:garment", prescription_id=p.public_id)
    services.audit(user, Action.READ, p)
    data = load_garments()
    how, rows = measurement_rows(p)
    today = local_today(p.location)
    return render(
        request,
        "lymphoedema/garment.html",
        {
            "p": p,
            "patient": patient,
            "fitting": getattr(p, "fitting", None),
            "garment": data.label("garment_types", p.garment_type),
            "knit": data.label("knits", p.knit),
            "compression": data.class_line(p.standard, p.compression_class),
            "how": how,
            "rows": rows,
            "due": queries.due_state(p, today),
            "today": today.isoformat(),
            "can_fit": p.status == GarmentPrescription.Status.SIGNED
            and getattr(p, "fitting", None) is None
            and has_capability(user, Capability.CLINICAL_AUTHOR),
            "can_mark": _may_mark(user, p),
            "signed": p.status == GarmentPrescription.Status.SIGNED,
        },
    )


@login_required
@requires(Capability.CLINICAL_AUTHOR, record=PRESCRIPTION_ANY)
def garment_fitting(request: HttpRequest, prescription_id: str) -> HttpResponse:
    user = staff_user(request)
    p = get_object_or_404(queries.prescriptions_for(user), public_id=prescription_id)
    if request.method != "POST":
        return redirect("lymphoedema:garment", prescription_id=p.public_id)
    text = request.POST.get("fitted_on", "").strip()
    try:
        fitted_on = dt.date.fromisoformat(text) if text else None
    except ValueError:
        messages.error(request, "Date fitted: give a date (YYYY-MM-DD).")
        return redirect("lymphoedema:garment", prescription_id=p.public_id)
    try:
        fitting = services.record_fitting(
            actor=user, prescription=p, fitted_on=fitted_on, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(
            request,
            " ".join(
                f"{'Date fitted' if k == 'fitted_on' else 'Note'}: {' '.join(v)}"
                for k, v in exc.message_dict.items()
            ),
        )
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Fitting recorded; replacement due {fitting.replacement_due_on:%b %-d, %Y}.",
        )
    return redirect("lymphoedema:garment", prescription_id=p.public_id)


@login_required
@requires(Capability.CLINICAL_READ, record=PRESCRIPTION_IN_ERROR)
def garment_in_error(request: HttpRequest, prescription_id: str) -> HttpResponse:
    user = staff_user(request)
    p = get_object_or_404(queries.prescriptions_for(user), public_id=prescription_id)
    if request.method != "POST":
        return redirect("lymphoedema:garment", prescription_id=p.public_id)
    try:
        services.mark_prescription_entered_in_error(
            actor=user, prescription=p, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Prescription marked entered in error.")
    return redirect("lymphoedema:garment", prescription_id=p.public_id)


@login_required
@requires(Capability.CLINICAL_READ, record=PRESCRIPTION_ANY)
def garment_order_form(request: HttpRequest, prescription_id: str) -> HttpResponse:
    user = staff_user(request)
    p = get_object_or_404(queries.prescriptions_for(user), public_id=prescription_id)
    if p.status != GarmentPrescription.Status.SIGNED:
        messages.error(request, "The order form is printed from a signed prescription.")
        return redirect("lymphoedema:garment", prescription_id=p.public_id)
    name, pdf = document.order_form(actor=user, prescription=p)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


class IntervalForm(Form):
    replacement_interval_months = forms.IntegerField(label="Replacement interval (months)")


@login_required
@requires(Capability.ORGANIZATION_MANAGE)
def garment_settings(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    bounds = load_garments().replacement
    current = services.replacement_interval(tenant_id(user))
    form = IntervalForm(request.POST or None, initial={"replacement_interval_months": current})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_replacement_interval(
                actor=user, months=form.cleaned_data["replacement_interval_months"]
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, "Replacement interval saved.")
            return redirect("lymphoedema:garment_settings")
    return render(
        request,
        "lymphoedema/garment_settings.html",
        {"form": form, "bounds": bounds, "current": current},
    )


def dashboard_panel(user: User) -> dict[str, object]:
    """Garments due for replacement within 30 days, or overdue, for the clinical roles
    (registered in LymphoedemaConfig.ready). Computed here, on the dashboard only."""
    if not has_capability(user, Capability.CLINICAL_READ) or user.organization_id is None:
        return {}
    due = queries.garments_due(user)
    if not due:
        return {}
    record(
        actor=user,
        action=Action.READ,
        object_type="GarmentPrescription",
        detail={
            "view": "dashboard: garments due for replacement",
            "patients": sorted({str(d.prescription.patient.public_id) for d in due}),
        },
    )
    data = load_garments()
    return {
        "garments_due": [
            {
                "prescription": d.prescription,
                "patient": d.prescription.patient,
                "garment": data.label("garment_types", d.prescription.garment_type),
                "side": d.prescription.get_side_display().lower(),
                "due_on": d.due_on,
                "overdue": d.overdue,
                "days": abs(d.days),
            }
            for d in due
        ]
    }
