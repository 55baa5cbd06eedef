"""The public online booking pages (no sign-in), the patient's appointment link and the
therapist's calendar feed.

Every page counts against the visitor's rate limit (their booking session, with a larger
ceiling per address), is never cached or indexed, and
answers an unknown, closed, expired or used location, link or code the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from palpa.accounts.gates import public
from palpa.core.dates import page_date
from palpa.core.errors import Refused
from palpa.core.forms import apply_validation_error
from palpa.patients.models import Patient
from palpa.scheduling import feeds, hours, online, patient_messages, queries
from palpa.scheduling.models import AppointmentType, OnlineBookingSettings
from palpa.scheduling.online_forms import (
    CancelForm,
    CodeForm,
    NewPatientForm,
    ReturningPatientForm,
)

SESSION_KEY = "palpa_online_booking"
NewPatients = OnlineBookingSettings.NewPatients


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return _private(render(request, f"scheduling/online/{template}", context, status=status))


def _slow_down(request: HttpRequest) -> HttpResponse:
    return _page(request, "slow_down.html", {}, status=429)


def _unavailable(request: HttpRequest) -> HttpResponse:
    return _page(request, "unavailable.html", {}, status=404)


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _visitor(request: HttpRequest) -> str:
    """The browser's session key: the rate limits count per visitor, so patients behind
    one address (clinic Wi-Fi, a waiting-room tablet) do not slow each other down."""
    if request.session.session_key is None:
        request.session["palpa_visitor"] = True
        request.session.save()
    return str(request.session.session_key)


def _allowed(request: HttpRequest) -> bool:
    return online.allow_request(_address(request), _visitor(request))


# --- the verified patient in the session ------------------------------------------------


def _remember_patient(
    request: HttpRequest, patient: Patient, config: OnlineBookingSettings
) -> None:
    request.session.cycle_key()  # a new session id once the patient is known
    request.session[SESSION_KEY] = {
        **request.session.get(SESSION_KEY, {}),
        "patient": patient.pk,
        "location": config.location_id,
        "until": (timezone.now() + dt.timedelta(minutes=online.SESSION_MINUTES)).isoformat(),
    }


def _verified_patient(request: HttpRequest, config: OnlineBookingSettings) -> Patient | None:
    state = request.session.get(SESSION_KEY) or {}
    if state.get("location") != config.location_id or not state.get("patient"):
        return None
    try:
        until = dt.datetime.fromisoformat(str(state.get("until")))
    except ValueError:
        return None
    if until <= timezone.now():
        return None
    return Patient.objects.filter(
        pk=state["patient"],
        organization_id=config.location.organization_id,
        status=Patient.Status.ACTIVE,
    ).first()


def _chosen(request: HttpRequest) -> dict[str, str]:
    state = request.session.get(SESSION_KEY) or {}
    chosen = state.get("slot") or {}
    return {k: str(v) for k, v in chosen.items()}


def _forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


# --- pages ----------------------------------------------------------------------------


def _day(value: str | None, first: dt.date, last: dt.date) -> dt.date:
    day = page_date(value)
    return first if day is None else min(max(day, first), last)


def _slot_rows(
    config: OnlineBookingSettings, slots: list[queries.OpenSlot]
) -> list[dict[str, Any]]:
    """Slots grouped by local day, each with its local time and the therapist's name."""
    tz = hours.zone(config.location.time_zone)
    days: dict[dt.date, list[dict[str, Any]]] = {}
    for slot in slots:
        local = slot.start.astimezone(tz)
        hour = local.hour % 12 or 12
        days.setdefault(local.date(), []).append(
            {
                "time": f"{hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}",
                "therapist": f"{slot.practitioner.given_name} {slot.practitioner.family_name}",
                "practitioner": str(slot.practitioner.public_id),
                "start": slot.start.isoformat(),
            }
        )
    return [{"day": day, "slots": rows} for day, rows in days.items()]


@never_cache
@public
def start(request: HttpRequest, location: str) -> HttpResponse:
    """Choose an appointment type, then a time."""
    if not _allowed(request):
        return _slow_down(request)
    config = online.open_booking(location)
    if config is None:
        return _unavailable(request)
    types = list(online.offered_types(config))
    chosen: AppointmentType | None = None
    wanted = request.GET.get("type", "")
    if wanted:
        chosen = next((t for t in types if str(t.public_id) == wanted), None)
    context: dict[str, Any] = {
        "config": config,
        "location": config.location,
        "address": patient_messages.address_line(config.location),
        "types": types,
        "chosen": chosen,
    }
    if chosen is not None:
        first, last = online.bookable_days(config)
        day = _day(request.GET.get("day"), first, last)
        slots = online.offered_slots(config, chosen, day, days=7)
        context.update(
            days=_slot_rows(config, slots),
            day=day,
            previous=day - dt.timedelta(days=7) if day > first else None,
            next=day + dt.timedelta(days=7) if day + dt.timedelta(days=7) <= last else None,
            time_zone=config.location.time_zone,
        )
    return _page(request, "start.html", context)


def _slot_from(
    config: OnlineBookingSettings, data: dict[str, str]
) -> tuple[queries.OpenSlot, AppointmentType]:
    slot = online.chosen_slot(
        config,
        appointment_type=data.get("type", ""),
        practitioner=data.get("practitioner", ""),
        start=data.get("start", ""),
    )
    kind = online.offered_types(config).get(public_id=data.get("type", ""))
    return slot, kind


def _summary(
    config: OnlineBookingSettings, slot: queries.OpenSlot, kind: AppointmentType
) -> dict[str, str]:
    date, time, zone = patient_messages.local_text(slot.start, config.location)
    return {
        "what": kind.name,
        "therapist": f"{slot.practitioner.given_name} {slot.practitioner.family_name}",
        "date": date,
        "time": f"{time} ({zone})",
        "where": f"{config.location.name}, {patient_messages.address_line(config.location)}",
    }


def _booked(
    request: HttpRequest, config: OnlineBookingSettings, appointment: Any, patient: Patient
) -> HttpResponse:
    _forget(request)
    summary = _appointment_summary(appointment)
    reach = [
        patient_messages.mask(patient_messages.contact(patient, c))
        for c in patient_messages.channels(patient)
    ]
    return _page(request, "booked.html", {"config": config, "summary": summary, "reach": reach})


@never_cache
@public
def details(request: HttpRequest, location: str) -> HttpResponse:
    """The chosen time: who is booking (a patient on file, or new), then book."""
    if not _allowed(request):
        return _slow_down(request)
    config = online.open_booking(location)
    if config is None:
        return _unavailable(request)
    if request.method == "GET" and request.GET.get("start"):
        chosen = {k: request.GET.get(k, "") for k in ("type", "practitioner", "start")}
        request.session[SESSION_KEY] = {**(request.session.get(SESSION_KEY) or {}), "slot": chosen}
    chosen = _chosen(request)
    try:
        slot, kind = _slot_from(config, chosen)
    except (ValidationError, Refused, AppointmentType.DoesNotExist):
        return _page(request, "slot_gone.html", {"config": config}, status=409)
    patient = _verified_patient(request, config)
    returning = ReturningPatientForm(prefix="r")
    new = NewPatientForm(prefix="n")
    problem = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "book" and patient is not None:
                try:
                    appointment = online.book_for_patient(
                        config=config, patient=patient, slot=slot, appointment_type=kind
                    )
                except online.SentToStaff:
                    _forget(request)
                    return _page(
                        request,
                        "requested.html",
                        {
                            "config": config,
                            "summary": _summary(config, slot, kind),
                            "referral": True,
                        },
                    )
                return _booked(request, config, appointment, patient)
            if action == "returning":
                returning = ReturningPatientForm(request.POST, prefix="r")
                if returning.is_valid():
                    contact = returning.cleaned_data["contact"]
                    if not online.allow_code_request(_address(request), _visitor(request), contact):
                        return _slow_down(request)
                    challenge = online.request_access(
                        config=config,
                        contact=contact,
                        date_of_birth=returning.cleaned_data["date_of_birth"],
                    )
                    state = request.session.get(SESSION_KEY) or {}
                    state["challenge"] = challenge.reference
                    request.session[SESSION_KEY] = state
                    return redirect("online:verify", location=location)
            if action == "new" and config.new_patients != NewPatients.CLOSED:
                new = NewPatientForm(request.POST, prefix="n")
                if new.is_valid():
                    person = online.NewPatient(
                        given_name=new.cleaned_data["given_name"],
                        family_name=new.cleaned_data["family_name"],
                        date_of_birth=new.cleaned_data["date_of_birth"],
                        email=new.cleaned_data["email"] or "",
                        phone=new.cleaned_data["phone"] or "",
                        texts_allowed=bool(new.cleaned_data["texts_allowed"]),
                    )
                    if config.new_patients == NewPatients.REQUEST:
                        online.request_as_new_patient(
                            config=config,
                            person=person,
                            appointment_type=kind,
                            wanted_start=slot.start,
                            message=new.cleaned_data["notes"] or "",
                        )
                        _forget(request)
                        return _page(
                            request,
                            "requested.html",
                            {"config": config, "summary": _summary(config, slot, kind)},
                        )
                    try:
                        appointment = online.book_new_patient(
                            config=config,
                            person=person,
                            slot=slot,
                            appointment_type=kind,
                            notes=new.cleaned_data["notes"] or "",
                        )
                    except ValidationError as exc:
                        apply_validation_error(new, exc)
                    else:
                        return _booked(request, config, appointment, appointment.patient)
        except Refused as exc:
            problem = str(exc)
        except ValidationError as exc:  # a rule of the booking itself (e.g. the notice)
            problem = " ".join(exc.messages)
    context = {
        "config": config,
        "summary": _summary(config, slot, kind),
        "patient": patient,
        "returning": returning,
        "new": new,
        "problem": problem,
        "new_mode": config.new_patients,
    }
    return _page(request, "details.html", context, status=409 if problem else 200)


@never_cache
@public
def verify(request: HttpRequest, location: str) -> HttpResponse:
    if not _allowed(request):
        return _slow_down(request)
    config = online.open_booking(location)
    if config is None:
        return _unavailable(request)
    state = request.session.get(SESSION_KEY) or {}
    if not state.get("challenge"):
        return redirect("online:start", location=location)
    form = CodeForm(request.POST or None)
    wrong = False
    if request.method == "POST" and form.is_valid():
        row = online.verify_code(
            challenge=str(state["challenge"]),
            code=form.cleaned_data["code"],
            location=config.location,
        )
        if row is not None:
            _remember_patient(request, row.patient, config)
            return redirect("online:details", location=location)
        wrong = True
    return _page(
        request, "verify.html", {"config": config, "form": form, "wrong": wrong}, status=200
    )


@never_cache
@public
def link(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link in the code message: proves the patient on this device."""
    if not _allowed(request):
        return _slow_down(request)
    row = online.verify_link(token)
    if row is None:
        return _unavailable(request)
    config = online.open_booking(row.location.public_id)
    if config is None:
        return _unavailable(request)
    _remember_patient(request, row.patient, config)
    if _chosen(request):
        return redirect("online:details", location=row.location.public_id)
    return redirect("online:start", location=row.location.public_id)


# --- the patient's appointment link -------------------------------------------------------


def _appointment_summary(appointment: Any) -> dict[str, str]:
    date, time, zone = patient_messages.local_text(appointment.start, appointment.location)
    until_date, until_time, _ = patient_messages.local_text(
        patient_messages.change_deadline(appointment), appointment.location
    )
    who = appointment.practitioner
    location = appointment.location
    return {
        "what": appointment.appointment_type.name,
        "therapist": f"{who.given_name} {who.family_name}",
        "date": date,
        "time": f"{time} ({zone})",
        "where": f"{location.name}, {patient_messages.address_line(location)}",
        "change_until": f"{until_date} at {until_time}",
        "phone": appointment.location.phone,
    }


@never_cache
@public
def manage(request: HttpRequest, token: str) -> HttpResponse:
    if not _allowed(request):
        return _slow_down(request)
    found = online.find_link(token)
    if found is None:
        return _unavailable(request)
    appointment = found.appointment
    form = CancelForm(request.POST or None)
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            online.cancel_by_patient(link=found, reason=form.cleaned_data["reason"] or "")
        except Refused as exc:
            problem = str(exc)
        else:
            return _page(
                request,
                "cancelled.html",
                {
                    "summary": _appointment_summary(appointment),
                    "clinic": appointment.location.organization.name,
                },
            )
    else:
        online.audit_link_opened(found)
    context = {
        "summary": _appointment_summary(appointment),
        "clinic": appointment.location.organization.name,
        "may_change": online.may_change(appointment),
        "form": form,
        "token": token,
        "problem": problem,
    }
    return _page(request, "manage.html", context, status=409 if problem else 200)


@never_cache
@public
def move(request: HttpRequest, token: str) -> HttpResponse:
    if not _allowed(request):
        return _slow_down(request)
    found = online.find_link(token)
    if found is None:
        return _unavailable(request)
    appointment = found.appointment
    config = online.settings_for(appointment.location)
    problem = ""
    if not online.may_change(appointment):
        return redirect("online:manage", token=token)
    kind = appointment.appointment_type
    if request.method == "POST":
        try:
            slot = online.chosen_slot(
                config,
                appointment_type=str(kind.public_id),
                practitioner=request.POST.get("practitioner", ""),
                start=request.POST.get("start", ""),
            )
            new = online.move_by_patient(link=found, slot=slot)
        except (ValidationError, Refused) as exc:
            problem = str(exc.messages[0]) if isinstance(exc, ValidationError) else str(exc)
        else:
            return _page(
                request,
                "moved.html",
                {"summary": _appointment_summary(new), "clinic": new.location.organization.name},
            )
    first, last = online.bookable_days(config)
    day = _day(request.GET.get("day"), first, last)
    offered = config.pk is not None and online.offered_types(config).filter(pk=kind.pk).exists()
    slots = online.offered_slots(config, kind, day, days=7) if offered else []
    context = {
        "summary": _appointment_summary(appointment),
        "days": _slot_rows(config, slots),
        "day": day,
        "previous": day - dt.timedelta(days=7) if day > first else None,
        "next": day + dt.timedelta(days=7) if day + dt.timedelta(days=7) <= last else None,
        "token": token,
        "problem": problem,
        "offered": offered,
        "action": reverse("online:move", args=[token]),
    }
    return _page(request, "move.html", context, status=409 if problem else 200)


# --- the therapist's calendar feed ----------------------------------------------------


@never_cache
@public
def feed(request: HttpRequest, token: str) -> HttpResponse:
    if not feeds.allow_feed_request(_address(request)):
        return _private(HttpResponse("Too many requests.", status=429, content_type="text/plain"))
    text = feeds.feed_text(token)
    if text is None:
        return _private(HttpResponse("Not found.", status=404, content_type="text/plain"))
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="palpa.ics"'
    return _private(response)
