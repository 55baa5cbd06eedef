"""The schedule's set-up pages: appointment types, each practitioner's weekly hours,
time off and extra hours, the clinic's closed days, room features. Owners configure
(``schedule.configure``, ``practitioners.manage``); a therapist keeps their own hours
(``practitioners.own_hours``). Every write goes through ``scheduling.services``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from palpa.accounts.gates import Record, requires
from palpa.accounts.models import Location, Room, User
from palpa.accounts.permissions import Capability, has_capability
from palpa.core.dates import local_today, zone_of
from palpa.core.forms import apply_validation_error
from palpa.core.views import staff_user
from palpa.practitioners.models import Practitioner
from palpa.practitioners.queries import practitioners_for
from palpa.scheduling import queries, services
from palpa.scheduling.models import AppointmentType, AvailabilityException, WorkingHours
from palpa.scheduling.setup_forms import (
    AppointmentTypeForm,
    ClosedDayForm,
    ExceptionForm,
    RoomFeaturesForm,
    WeeklyHoursForm,
)

TYPE = Record("public_id", AppointmentType, what="the appointment type")
ROOM = Record("public_id", Room, what="the room")
# A therapist keeps their own hours; anyone else's need practitioners.manage.
HOURS = Record(
    "public_id",
    Practitioner,
    author="user_id",
    others=Capability.PRACTITIONERS_MANAGE,
    what="the practitioner",
    reads=True,
)


# --- appointment types -----------------------------------------------------------------


def _type_fields(form: AppointmentTypeForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("practitioners", None)
    return data


@login_required
@requires(Capability.SCHEDULE_CONFIGURE)
def types(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = AppointmentTypeForm(
        request.POST or None,
        practitioners=practitioners_for(user).filter(active=True),
        initial={"kind": "treatment", "duration_minutes": 60, "buffer_minutes": 15},
    )
    if request.method == "POST" and form.is_valid():
        try:
            kind = services.create_appointment_type(
                actor=user,
                practitioners=list(form.cleaned_data["practitioners"]),
                **_type_fields(form),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{kind.name} added.")
            return redirect("scheduling:types")
    rows = queries.appointment_types_for(user, include_inactive=True).prefetch_related(
        "practitioners"
    )
    return render(request, "scheduling/setup/types.html", {"form": form, "rows": rows})


@login_required
@require_POST
@requires(Capability.SCHEDULE_CONFIGURE)
def types_defaults(request: HttpRequest) -> HttpResponse:
    added = services.install_default_types(actor=staff_user(request))
    if added:
        messages.success(request, f"Added {len(added)} appointment type{'s' * (len(added) > 1)}.")
    else:
        messages.success(request, "You already have every type of the starting set.")
    return redirect("scheduling:types")


@login_required
@requires(Capability.SCHEDULE_CONFIGURE, record=TYPE)
def type_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    kind = get_object_or_404(
        queries.appointment_types_for(user, include_inactive=True), public_id=public_id
    )
    form = AppointmentTypeForm(
        request.POST or None,
        instance=kind,
        practitioners=practitioners_for(user).filter(active=True),
    )
    if request.method == "POST" and form.is_valid():
        changes = {
            name: value
            for name, value in _type_fields(form).items()
            if getattr(kind, name) != value
        }
        stored = AppointmentType.objects.get(pk=kind.pk)  # the bound form changed ``kind``
        try:
            services.update_appointment_type(
                actor=user,
                appointment_type=stored,
                changes=changes,
                practitioners=list(form.cleaned_data["practitioners"]),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{stored.name} saved.")
            return redirect("scheduling:types")
    return render(request, "scheduling/setup/type_edit.html", {"form": form, "kind": kind})


# --- hours, time off, extra hours ------------------------------------------------------


def _editable_practitioners(user: User) -> list[Practitioner]:
    found = practitioners_for(user).filter(active=True)
    if has_capability(user, Capability.PRACTITIONERS_MANAGE):
        return list(found)
    return list(found.filter(user_id=user.pk))


@login_required
@requires(Capability.PRACTITIONERS_OWN_HOURS)
def hours(request: HttpRequest) -> HttpResponse:
    """The practitioners whose hours this member keeps (everyone's for an owner)."""
    user = staff_user(request)
    rows = [
        (p, WorkingHours.objects.filter(practitioner=p).exists())
        for p in _editable_practitioners(user)
    ]
    return render(request, "scheduling/setup/hours.html", {"rows": rows})


def _initial_hours(practitioner: Practitioner, location: Location) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for row in WorkingHours.objects.filter(practitioner=practitioner, location=location).order_by(
        "weekday", "start_time"
    ):
        n = "2" if f"d{row.weekday}_start" in initial else ""
        if f"d{row.weekday}_start{n}" in initial:
            continue  # a third interval is kept only through the API
        initial[f"d{row.weekday}_start{n}"] = row.start_time
        initial[f"d{row.weekday}_end{n}"] = row.end_time
    return initial


def _local(value: dt.datetime, place: Any) -> dt.datetime:
    """The form's wall-clock time read in the place's zone (a location's own zone)."""
    return timezone.make_aware(timezone.make_naive(value), zone_of(place))


@login_required
@requires(Capability.PRACTITIONERS_OWN_HOURS, record=HOURS)
def practitioner_hours(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    practitioner = get_object_or_404(practitioners_for(user), public_id=public_id)
    locations = queries.locations_for(user)
    try:
        wanted = uuid.UUID(request.GET.get("location", ""))
    except ValueError:
        wanted = None
    location = locations.filter(public_id=wanted).first() if wanted else None
    location = location or locations.first()
    action = request.POST.get("form", "hours") if request.method == "POST" else ""
    hours_form = WeeklyHoursForm(
        request.POST if action == "hours" else None,
        initial=_initial_hours(practitioner, location) if location else {},
        prefix="hours",
    )
    exception_form = ExceptionForm(
        request.POST if action == "exception" else None, locations=locations, prefix="off"
    )
    if action == "hours" and location is not None and hours_form.is_valid():
        rows = hours_form.rows()
        if not hours_form.errors:
            try:
                services.set_weekly_hours(
                    actor=user,
                    practitioner=practitioner,
                    location=location,
                    rows=[services.HoursRow(day, start, end) for day, start, end in rows],
                )
            except ValidationError as exc:
                apply_validation_error(hours_form, exc)
            else:
                messages.success(request, f"Weekly hours at {location} saved.")
                return redirect(request.get_full_path())
    if action == "exception" and exception_form.is_valid():
        data = exception_form.cleaned_data
        place = data["location"] or practitioner.organization
        try:
            services.add_availability_exception(
                actor=user,
                practitioner=practitioner,
                starts_at=_local(data["starts_at"], place),
                ends_at=_local(data["ends_at"], place),
                kind=data["kind"],
                location=data["location"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            apply_validation_error(exception_form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(request.get_full_path())
    upcoming = AvailabilityException.objects.filter(
        practitioner=practitioner, ends_at__gte=timezone.now()
    ).select_related("location")
    if action == "remove":
        try:
            wanted_off = uuid.UUID(request.POST.get("exception", ""))
        except ValueError:
            wanted_off = None
        found = upcoming.filter(public_id=wanted_off).first() if wanted_off else None
        if found is None:
            messages.error(request, "Time off or extra hours: not found (removed already?).")
        else:
            services.remove_availability_exception(actor=user, exception=found)
            messages.success(request, f"{found.get_kind_display()} removed.")
        return redirect(request.get_full_path())
    return render(
        request,
        "scheduling/setup/practitioner_hours.html",
        {
            "practitioner": practitioner,
            "locations": locations,
            "location": location,
            "hours_form": hours_form,
            "exception_form": exception_form,
            "upcoming": upcoming,
        },
    )


# --- the clinic's closed days ----------------------------------------------------------


@login_required
@requires(Capability.SCHEDULE_CONFIGURE)
def closed_days(request: HttpRequest) -> HttpResponse:
    """The closed days ahead (every location's and each location's), a form to add one
    and a button to remove each (owners)."""
    user = staff_user(request)
    locations = queries.locations_for(user)
    action = request.POST.get("form", "add") if request.method == "POST" else ""
    form = ClosedDayForm(request.POST if action == "add" else None, locations=locations)
    today = local_today(user.organization)
    if action == "add" and form.is_valid():
        data = form.cleaned_data
        try:
            added = services.add_closed_day(
                actor=user, day=data["date"], reason=data["reason"], location=data["location"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            where = added.location.name if added.location else "Every location"
            note = f"{where}: closed on {added.date:%A %d %B %Y} ({added.reason})."
            if added.date < today:
                note += " That day has passed, so it changes nothing."
            messages.success(request, note)
            return redirect("scheduling:closed_days")
    # Each day is a local day of its location (of the organization for every location).
    upcoming = [
        c
        for c in queries.closed_days_for(user, since=today - dt.timedelta(days=1))
        if c.date >= local_today(c.location or user.organization)
    ]
    if action == "remove":
        try:
            wanted = uuid.UUID(request.POST.get("closed_day", ""))
        except ValueError:
            wanted = None
        found = queries.closed_days_for(user).filter(public_id=wanted).first() if wanted else None
        if found is None:
            messages.error(request, "Closed day: not found (removed already?).")
        else:
            services.remove_closed_day(actor=user, closed_day=found)
            messages.success(request, f"Open again on {found.date:%A %d %B %Y}.")
        return redirect("scheduling:closed_days")
    return render(
        request,
        "scheduling/setup/closed_days.html",
        {"form": form, "upcoming": upcoming, "locations": locations},
    )


# --- room features ---------------------------------------------------------------------


@login_required
@requires(Capability.SCHEDULE_CONFIGURE)
def rooms(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    found = queries.rooms_for(user).select_related("location").prefetch_related("features")
    rows = [
        (
            room,
            RoomFeaturesForm(
                initial={"features": ", ".join(f.feature for f in room.features.all())},
                auto_id=f"room{n}_%s",
            ),
        )
        for n, room in enumerate(found)
    ]
    needed = sorted(
        {f for t in queries.appointment_types_for(user) for f in (t.required_features or [])}
    )
    return render(request, "scheduling/setup/rooms.html", {"rows": rows, "needed": needed})


@login_required
@require_POST
@requires(Capability.SCHEDULE_CONFIGURE, record=ROOM)
def room_features(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    room = get_object_or_404(queries.rooms_for(user), public_id=public_id)
    form = RoomFeaturesForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect("scheduling:rooms")
    try:
        wanted = services.set_room_features(
            actor=user, room=room, features=form.cleaned_data["features"]
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, f"{room}: {', '.join(wanted) or 'no features'}.")
    return redirect("scheduling:rooms")
