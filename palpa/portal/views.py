"""The patient portal's pages.

No staff sign-in: the route gate is ``public`` and each page checks the portal session
itself (``portal_page``). The portal session is its own entry in the browser's session,
``SESSION_KEY``: the patient's id and organization, signed, and the time of the last
request; it lapses after ``PALPA_PORTAL_IDLE_MINUTES`` (default 15) without one. A staff
member signed in on the same browser is not a patient, and a patient is never a staff
member: neither session opens the other's pages.

Every page shows only the signed-in patient's own records: another patient's or another
organization's record named in a URL answers 404. Every page view and download is audited
with the patient as the actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from palpa.accounts.gates import public
from palpa.billing import documents
from palpa.billing.models import Charge
from palpa.core.dates import page_date
from palpa.core.errors import Refused
from palpa.core.forms import apply_validation_error
from palpa.patients import messages as ledger
from palpa.patients.models import Guardian, Patient
from palpa.patients.services import guardian_may_act
from palpa.portal import queries, services
from palpa.portal.forms import CancelForm, CodeForm, ContactForm, DoneForm
from palpa.scheduling import hours, online, patient_messages
from palpa.scheduling.models import Appointment, OnlineBookingSettings

SESSION_KEY = "palpa_portal"
CHALLENGE_KEY = "palpa_portal_code"
_SALT = "palpa.portal.session"

PortalView = Callable[..., HttpResponseBase]


def _idle() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "PALPA_PORTAL_IDLE_MINUTES", 15)))


def _private(response: HttpResponseBase) -> HttpResponseBase:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponseBase:
    state = request.session.get(SESSION_KEY)
    many = isinstance(state, dict) and bool(state.get("many"))
    return _private(
        render(request, f"portal/{template}", {"may_switch": many, **context}, status=status)
    )


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _visitor(request: HttpRequest) -> str:
    if request.session.session_key is None:
        request.session["palpa_visitor"] = True
        request.session.save()
    return str(request.session.session_key)


# --- the portal session -----------------------------------------------------------------


def _remember(request: HttpRequest, people: list[services.Person]) -> None:
    """Keep who the signed-in contact may act for; the person themself when only one."""
    request.session.cycle_key()  # a new session id once the person is known
    request.session.pop(CHALLENGE_KEY, None)
    choices = [[p.patient.pk, p.guardian.pk if p.guardian else 0] for p in people]
    state: dict[str, Any] = {
        "may": signing.dumps([people[0].patient.organization_id, choices], salt=_SALT),
        "seen": timezone.now().isoformat(),
        "many": len(people) > 1,
    }
    if len(people) == 1:
        state["who"] = signing.dumps(
            [people[0].patient.pk, people[0].patient.organization_id, choices[0][1]], salt=_SALT
        )
    request.session[SESSION_KEY] = state


def _forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(CHALLENGE_KEY, None)


def _fresh_state(request: HttpRequest) -> dict[str, Any] | None:
    """The portal session's state while fresh (its idle clock restarted); None otherwise."""
    state = request.session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None
    try:
        seen = dt.datetime.fromisoformat(str(state.get("seen", "")))
    except (ValueError, TypeError):
        _forget(request)
        return None
    if seen + _idle() <= timezone.now():
        _forget(request)
        return None
    state["seen"] = timezone.now().isoformat()
    request.session[SESSION_KEY] = state
    return state


def _person(patient_id: int, organization_id: int, guardian_id: int) -> services.Person | None:
    """The person, when the patient is active and (through a guardian) the guardian may
    still act for them today."""
    patient = (
        Patient.objects.select_related("organization", "primary_location")
        .filter(pk=patient_id, organization_id=organization_id, status=Patient.Status.ACTIVE)
        .first()
    )
    if patient is None:
        return None
    if not guardian_id:
        return services.Person(patient)
    guardian = Guardian.objects.filter(pk=guardian_id, patient=patient).first()
    if guardian is None or not guardian_may_act(guardian, patient):
        return None
    return services.Person(patient, guardian)


def choices(request: HttpRequest) -> list[services.Person]:
    """Everyone the signed-in contact may act for now (each checked again)."""
    state = _fresh_state(request)
    if state is None:
        return []
    try:
        organization_id, pairs = signing.loads(str(state.get("may", "")), salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        _forget(request)
        return []
    people = [_person(p, organization_id, g) for p, g in pairs]
    return [person for person in people if person is not None]


def signed_in_person(request: HttpRequest) -> services.Person | None:
    """The person the portal session acts for, while it is fresh; None otherwise."""
    state = _fresh_state(request)
    if state is None or "who" not in state:
        return None
    try:
        patient_id, organization_id, guardian_id = signing.loads(str(state["who"]), salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        _forget(request)
        return None
    person = _person(patient_id, organization_id, guardian_id)
    if person is None:
        state.pop("who", None)
        request.session[SESSION_KEY] = state
    return person


def signed_in_patient(request: HttpRequest) -> Patient | None:
    """The patient the portal session acts for (themself or through a guardian)."""
    person = signed_in_person(request)
    return None if person is None else person.patient


def portal_page(view: PortalView) -> PortalView:
    """The page needs a signed-in person acting for a patient (else: the chooser, when the
    contact may act for someone, or the sign-in page), is never cached, and receives the
    patient after the request; audit entries name a guardian who acts."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        person = signed_in_person(request)
        if person is None:
            if choices(request):
                return _private(redirect("portal:choose"))
            _forget(request)
            if request.method == "GET":
                messages.info(request, "Please sign in to see your page.")
            return _private(redirect("portal:sign_in"))
        with services.acting_as(person.guardian):
            return _private(view(request, person.patient, *args, **kwargs))

    return public(never_cache(wrapped))


def _context(patient: Patient, page: str, **more: Any) -> dict[str, Any]:
    return {
        "patient": patient,
        "clinic": patient.organization.name,
        "page": page,
        "guardian": services.acting_guardian(),
        **more,
    }


# --- sign-in ----------------------------------------------------------------------------


def _slow_down(request: HttpRequest) -> HttpResponseBase:
    return _page(request, "slow_down.html", {}, status=429)


@public
@never_cache
def sign_in(request: HttpRequest) -> HttpResponseBase:
    """Step 1: the patient's email or mobile number."""
    if not services.allow_page(_address(request), _visitor(request)):
        return _slow_down(request)
    if signed_in_person(request) is not None:
        return _private(redirect("portal:home"))
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact = form.cleaned_data["contact"]
        try:
            channel = services.check_contact(contact)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if not services.allow_code_request(_address(request), contact):
                return _slow_down(request)
            reference = services.request_code(contact=contact)
            request.session[CHALLENGE_KEY] = {
                "ref": reference,
                "to": ledger.mask(contact.strip().casefold()),
                "channel": channel,
            }
            return _private(redirect("portal:code"))
    return _page(request, "sign_in.html", {"form": form}, status=400 if form.errors else 200)


@public
@never_cache
def enter_code(request: HttpRequest) -> HttpResponseBase:
    """Step 2: the code. The page reads the same whether or not a code was sent."""
    if not services.allow_page(_address(request), _visitor(request)):
        return _slow_down(request)
    challenge = request.session.get(CHALLENGE_KEY)
    if not isinstance(challenge, dict) or not challenge.get("ref"):
        return _private(redirect("portal:sign_in"))
    form = CodeForm(request.POST or None)
    wrong = False
    if request.method == "POST" and form.is_valid():
        people = services.verify_code(
            reference=str(challenge["ref"]), code=form.cleaned_data["code"]
        )
        if people:
            _remember(request, people)
            return _private(redirect("portal:home" if len(people) == 1 else "portal:choose"))
        wrong = True
        form.add_error(
            "code",
            "That code did not work: check it, or ask for a new one. A code works once, "
            f"for {services.CODE_MINUTES} minutes.",
        )
    context = {
        "form": form,
        "to": challenge.get("to", ""),
        "by_text": challenge.get("channel") == services.SMS,
        "minutes": services.CODE_MINUTES,
        "wrong": wrong,
    }
    return _page(request, "code.html", context, status=400 if form.errors else 200)


@public
@never_cache
@require_POST
def sign_out(request: HttpRequest) -> HttpResponseBase:
    person = signed_in_person(request)
    _forget(request)
    if person is not None:
        with services.acting_as(person.guardian):
            services.audit_sign_out(person.patient)
        request.session.cycle_key()
    messages.success(request, "You are signed out.")
    return _private(redirect("portal:sign_in"))


@public
@never_cache
def choose(request: HttpRequest) -> HttpResponseBase:
    """After a guardian's sign-in: whom to act for (GET lists them, POST picks one)."""
    people = choices(request)
    if not people:
        _forget(request)
        return _private(redirect("portal:sign_in"))
    keys = {_choice_key(p): p for p in people}
    if request.method == "POST":
        person = keys.get(str(request.POST.get("person", "")))
        if person is None:
            messages.error(request, "Person: choose one of the names listed.")
            return _private(redirect("portal:choose"))
        state = request.session[SESSION_KEY]
        state["who"] = signing.dumps(
            [
                person.patient.pk,
                person.patient.organization_id,
                person.guardian.pk if person.guardian else 0,
            ],
            salt=_SALT,
        )
        request.session[SESSION_KEY] = state
        return _private(redirect("portal:home"))
    for person in people:
        with services.acting_as(person.guardian):
            services.audit_read(person.patient, "chooser")
    context = {
        "people": list(keys.items()),
        "clinic": people[0].patient.organization.name,
    }
    return _page(request, "choose.html", context)


def _choice_key(person: services.Person) -> str:
    return str(person.patient.public_id)


# --- the patient's pages ----------------------------------------------------------------


@portal_page
def home(request: HttpRequest, patient: Patient) -> HttpResponseBase:
    """Appointments, forms to fill, balance and documents."""
    services.audit_read(patient, "home")
    start, end = queries.statement_period(patient)
    balance = queries.balance(patient)
    context = _context(
        patient,
        "home",
        appointments=queries.appointments(patient),
        booking_url=queries.booking_url(patient),
        forms=queries.open_forms(patient),
        balance=balance,
        credit=-balance,
        visits=list(queries.billed_visits(patient)[:20]),
        payments=list(queries.payments(patient)[:20]),
        reports=queries.report_rows(patient),
        statement_start=start,
        statement_end=end,
        cancel_form=CancelForm(),
    )
    return _page(request, "home.html", context)


@portal_page
@require_POST
def cancel(request: HttpRequest, patient: Patient, public_id: str) -> HttpResponseBase:
    appointment = queries.own_appointment(patient, public_id)
    if appointment is None:
        raise Http404
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reason: keep it to 300 characters.")
        return redirect("portal:home")
    try:
        services.cancel_appointment(
            patient=patient, appointment=appointment, reason=form.cleaned_data["reason"]
        )
    except (Refused, ValidationError) as exc:
        text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
        return redirect("portal:home")
    messages.success(request, "Your appointment is cancelled. We sent you a confirmation.")
    return redirect("portal:home")


@portal_page
@require_POST
def fill_form(request: HttpRequest, patient: Patient, public_id: str) -> HttpResponseBase:
    """ "Fill in now": a fresh link for one of the patient's open forms (the one the clinic
    sent stops working), and the browser goes straight to it."""
    if not services.allow_form(patient, _address(request)):
        return _slow_down(request)
    try:
        url = services.open_form(patient=patient, public_id=public_id)
    except services.FormNotFound as exc:
        if not queries.own_form_ever(patient, public_id):
            raise Http404 from exc
        # Filled in, expired, or replaced a moment ago (a second tap on the button).
        messages.error(
            request,
            "That form is no longer open: it was filled in, has expired, or was opened "
            "again. The forms you can fill are listed under Forms to fill.",
        )
        return redirect("portal:home")
    return redirect(url)


# --- booking and changing a time -----------------------------------------------------------

WEEK = 7


def _week(
    config: OnlineBookingSettings, wanted: str | None
) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(first and last bookable day, the first day of the week shown, the day asked for):
    weeks count from the first bookable day."""
    first, last = online.bookable_days(config)
    day = page_date(wanted)
    day = first if day is None else min(max(day, first), last)
    week_start = first + dt.timedelta(days=WEEK * ((day - first).days // WEEK))
    return first, last, week_start, day


def _query(base: str, **values: str) -> str:
    return f"{base}?{urlencode({k: v for k, v in values.items() if v})}"


def _picker(
    config: OnlineBookingSettings,
    slots: list[Any],
    *,
    base: str,
    keep: dict[str, str],
    wanted_day: str | None,
    chosen: tuple[str, str],
) -> dict[str, Any]:
    """The day picker (a week of days, each with its count of free times) and the chosen
    day's times, as links that keep what was chosen (``keep``)."""
    first, last, week_start, asked = _week(config, wanted_day)
    location = config.location
    tz = hours.zone(location.time_zone)
    by_day: dict[dt.date, list[Any]] = {}
    for slot in slots:
        by_day.setdefault(hours.local_day(slot.start, tz), []).append(slot)
    days_shown = [
        week_start + dt.timedelta(days=i)
        for i in range(WEEK)
        if week_start + dt.timedelta(days=i) <= last
    ]
    day = asked
    if wanted_day is None or page_date(wanted_day) is None or asked not in days_shown:
        day = next((d for d in days_shown if by_day.get(d)), days_shown[0] if days_shown else asked)
    days = [
        {
            "day": d,
            "free": len(by_day.get(d, [])),
            "current": d == day,
            "url": _query(base, **keep, day=d.isoformat()),
        }
        for d in days_shown
    ]
    times = []
    for slot in by_day.get(day, []):
        _, time, _zone = patient_messages.local_text(slot.start, location)
        practitioner = str(slot.practitioner.public_id)
        start = slot.start.isoformat()
        times.append(
            {
                "time": time,
                "therapist": f"{slot.practitioner.given_name} {slot.practitioner.family_name}",
                "current": (practitioner, start) == chosen,
                "url": _query(
                    base, **keep, day=day.isoformat(), practitioner=practitioner, start=start
                )
                + "#confirm",
            }
        )
    previous = week_start - dt.timedelta(days=WEEK)
    following = week_start + dt.timedelta(days=WEEK)
    return {
        "days": days,
        "day": day,
        "times": times,
        "zone": f"{location.name}'s local time ({_day_zone(day, tz)})",
        "previous": _query(base, **keep, day=previous.isoformat()) if week_start > first else "",
        "next": _query(base, **keep, day=following.isoformat()) if following <= last else "",
    }


def _day_zone(day: dt.date, tz: dt.tzinfo) -> str:
    return dt.datetime.combine(day, dt.time(12), tzinfo=tz).tzname() or ""


def _slot_summary(config: OnlineBookingSettings, slot: Any, what: str) -> dict[str, str]:
    date, time, zone = patient_messages.local_text(slot.start, config.location)
    location = config.location
    return {
        "what": what,
        "therapist": f"{slot.practitioner.given_name} {slot.practitioner.family_name}",
        "date": date,
        "time": f"{time} ({zone})",
        "where": f"{location.name}, {patient_messages.address_line(location)}",
    }


def _leave(request: HttpRequest, url: str) -> HttpResponseBase:
    """Go to another page after a write: a whole page load, also from a part of a page
    updated in place (htmx would look for the part in the other page)."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _rate_limited(request: HttpRequest, patient: Patient) -> bool:
    return not services.allow_booking(patient, write=request.method == "POST")


@portal_page
def book(request: HttpRequest, patient: Patient) -> HttpResponseBase:
    """Book a visit: an appointment type, a day, a time, then confirm. What the clinic's
    online booking offers at the patient's location, booked with the patient's own
    record (nothing to type)."""
    if _rate_limited(request, patient):
        return _slow_down(request)
    config = services.booking_config(patient)
    base = reverse("portal:book")
    data = request.POST if request.method == "POST" else request.GET
    types = list(online.offered_types(config)) if config is not None else []
    chosen = next((t for t in types if str(t.public_id) == str(data.get("type", ""))), None)
    if request.method == "POST":
        if config is None or chosen is None:
            messages.error(request, "Appointment type: choose one of the types listed.")
            return redirect(base)
        keep = {"type": str(chosen.public_id), "day": str(data.get("day", ""))}
        try:
            slot = services.chosen_slot(
                config,
                appointment_type=chosen,
                practitioner=str(data.get("practitioner", "")),
                start=str(data.get("start", "")),
            )
            booked = services.book_appointment(
                patient=patient, config=config, appointment_type=chosen, slot=slot
            )
        except services.NotBooked as exc:
            messages.error(request, str(exc))
            return redirect(_query(base, **keep))
        if booked.appointment is None:
            messages.info(
                request,
                "Request sent: not booked yet. Before this visit can be booked, the clinic "
                "needs to check your referral; they will call or email you to confirm a time.",
            )
        else:
            summary = _slot_summary(config, slot, chosen.name)
            messages.success(
                request,
                f"You are booked: {summary['what']} with {summary['therapist']} on "
                f"{summary['date']} at {summary['time']}. We sent you a confirmation.",
            )
        return _leave(request, reverse("portal:home"))
    services.audit_read(patient, "book")
    context = _context(patient, "home", config=config, types=types, chosen=chosen)
    if config is not None and chosen is not None:
        _, _, week_start, _ = _week(config, data.get("day"))
        slots = online.offered_slots(config, chosen, week_start, days=WEEK)
        wanted = (str(data.get("practitioner", "")), str(data.get("start", "")))
        picker = _picker(
            config,
            slots,
            base=base,
            keep={"type": str(chosen.public_id)},
            wanted_day=data.get("day"),
            chosen=wanted,
        )
        context["picker"] = picker
        context["confirm"] = _confirm(config, slots, wanted, chosen.name, picker["day"])
    context["type_links"] = [
        {"type": t, "url": _query(base, type=str(t.public_id)), "current": t == chosen}
        for t in types
    ]
    context["phone"] = patient.primary_location.phone if patient.primary_location else ""
    return _page(request, "book.html", context)


def _confirm(
    config: OnlineBookingSettings,
    slots: list[Any],
    wanted: tuple[str, str],
    what: str,
    day: dt.date,
) -> dict[str, Any] | None:
    """The time chosen, while it is among the free times shown."""
    for slot in slots:
        if (str(slot.practitioner.public_id), slot.start.isoformat()) == wanted:
            return {
                "summary": _slot_summary(config, slot, what),
                "practitioner": wanted[0],
                "start": wanted[1],
                "day": day.isoformat(),
            }
    return None


def _own_booked(patient: Patient, public_id: str) -> Appointment:
    appointment = queries.own_appointment(patient, public_id)
    if appointment is None:
        raise Http404
    return appointment


@portal_page
def move(request: HttpRequest, patient: Patient, public_id: str) -> HttpResponseBase:
    """Change the time of an upcoming appointment: the free times of its type with its
    therapist (any therapist, when the clinic allows it), until the clinic's online
    change notice (then: call the clinic)."""
    appointment = _own_booked(patient, public_id)
    if _rate_limited(request, patient):
        return _slow_down(request)
    config = online.settings_for(appointment.location)
    base = reverse("portal:move", args=[appointment.public_id])
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        try:
            if not services.movable(appointment):
                raise services.NotBooked(
                    str(online.too_late(appointment))
                    if appointment.status == Appointment.Status.BOOKED
                    else "Only a booked appointment can be moved."
                )
            slot = services.chosen_slot(
                config,
                appointment_type=appointment.appointment_type,
                practitioner=str(data.get("practitioner", "")),
                start=str(data.get("start", "")),
            )
            moved = services.move_appointment(patient=patient, appointment=appointment, slot=slot)
        except services.NotBooked as exc:
            messages.error(request, str(exc))
            return redirect(_query(base, day=str(data.get("day", ""))))
        summary = _slot_summary(config, slot, moved.appointment_type.name)
        messages.success(
            request,
            f"Your appointment is moved to {summary['date']} at {summary['time']} with "
            f"{summary['therapist']}. We sent you a confirmation.",
        )
        return _leave(request, reverse("portal:home"))
    services.audit_read(patient, "move", appointment=str(appointment.public_id))
    date, time, zone = patient_messages.local_text(appointment.start, appointment.location)
    who = appointment.practitioner
    context = _context(
        patient,
        "home",
        now={
            "what": appointment.appointment_type.name,
            "therapist": f"{who.given_name} {who.family_name}",
            "when": f"{date} at {time} ({zone})",
        },
        phone=appointment.location.phone or "the clinic",
        public_id=appointment.public_id,
    )
    if not services.movable(appointment):
        context["closed"] = (
            str(online.too_late(appointment))
            if appointment.status == Appointment.Status.BOOKED
            and appointment.start > timezone.now()
            else "This appointment cannot be changed online."
        )
        return _page(request, "move.html", context)
    offered = online.open_booking(appointment.location.public_id) is not None and (
        online.offered_types(config).filter(pk=appointment.appointment_type_id).exists()
    )
    if not offered:
        context["closed"] = (
            f"This appointment cannot be moved online; please call {context['phone']}."
        )
        return _page(request, "move.html", context)
    _, _, week_start, _ = _week(config, data.get("day"))
    slots = services.move_slots(config, appointment, week_start, WEEK)
    wanted = (str(data.get("practitioner", "")), str(data.get("start", "")))
    picker = _picker(config, slots, base=base, keep={}, wanted_day=data.get("day"), chosen=wanted)
    context.update(
        any_therapist=config.move_any_therapist,
        picker=picker,
        confirm=_confirm(config, slots, wanted, appointment.appointment_type.name, picker["day"]),
    )
    return _page(request, "move.html", context)


def _pdf(content: dict[str, Any], pdf: bytes) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{documents.filename(content)}"'
    return response


@portal_page
def superbill(request: HttpRequest, patient: Patient, public_id: str) -> HttpResponseBase:
    charge = queries.billed_visits(patient).filter(public_id=public_id).first()
    if charge is None:
        raise Http404
    try:
        content, pdf = services.superbill_pdf(patient=patient, charge=charge)
    except Charge.DoesNotExist as exc:
        raise Http404 from exc
    return _pdf(content, pdf)


@portal_page
def receipt(request: HttpRequest, patient: Patient, public_id: str) -> HttpResponseBase:
    payment = queries.own_payment(patient, public_id)
    if payment is None:
        raise Http404
    content, pdf = services.receipt_pdf(patient=patient, payment=payment)
    return _pdf(content, pdf)


@portal_page
def report(request: HttpRequest, patient: Patient, public_id: str) -> HttpResponseBase:
    """A report the clinic shares with the patient: the signed PDF; 404 for any other."""
    shared = queries.own_shared_report(patient, public_id)
    if shared is None:
        raise Http404
    name, pdf = services.report_pdf(patient=patient, report=shared)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@portal_page
def statement(request: HttpRequest, patient: Patient) -> HttpResponseBase:
    start, end = queries.statement_period(patient)
    content, pdf = services.statement_pdf(patient=patient, start=start, end=end)
    return _pdf(content, pdf)


@portal_page
def progress(request: HttpRequest, patient: Patient) -> HttpResponseBase:
    services.audit_read(patient, "progress")
    return _page(
        request, "progress.html", _context(patient, "progress", goals=queries.progress(patient))
    )


@portal_page
def home_care(request: HttpRequest, patient: Patient) -> HttpResponseBase:
    services.audit_read(patient, "home-care")
    items = services.home_care_items(patient)
    return _page(
        request,
        "home_care.html",
        _context(
            patient,
            "home_care",
            rows=queries.home_care_rows(patient, items),
            days=queries.ADHERENCE_DAYS,
        ),
    )


@portal_page
def home_care_picture(request: HttpRequest, patient: Patient, public_id: str) -> HttpResponseBase:
    """The picture of an item of the patient's own program in effect; 404 for any other."""
    item = next(
        (i for i in services.home_care_items(patient) if str(i.public_id) == str(public_id)),
        None,
    )
    if item is None or not item.has_picture:
        raise Http404
    try:
        content, content_type = services.home_care_picture(patient=patient, item=item)
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@portal_page
@require_POST
def home_care_done(request: HttpRequest, patient: Patient, public_id: str) -> HttpResponseBase:
    item = next(
        (i for i in services.home_care_items(patient) if str(i.public_id) == str(public_id)),
        None,
    )
    if item is None:
        raise Http404
    form = DoneForm(request.POST)
    done = bool(form.is_valid() and form.cleaned_data["done"])
    services.set_home_care_done(patient=patient, item=item, done=done)
    messages.success(
        request,
        f"Noted: {item.get_kind_display().lower()} {'done' if done else 'not done'} today.",
    )
    return redirect(reverse("portal:home_care") + f"#item-{item.public_id}")


@portal_page
def consents(request: HttpRequest, patient: Patient) -> HttpResponseBase:
    services.audit_read(patient, "consents")
    return _page(
        request, "consents.html", _context(patient, "consents", rows=queries.consents(patient))
    )


@portal_page
@require_POST
def withdraw(request: HttpRequest, patient: Patient, kind: str) -> HttpResponseBase:
    try:
        services.withdraw_consent(patient=patient, kind=kind)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("portal:consents")
    messages.success(request, "Your consent is withdrawn. The clinic sees it on your record.")
    return redirect("portal:consents")
