"""A therapist's iCalendar feed: a secret URL a calendar app subscribes to.

- The token is random (32 bytes), shown once; only its SHA-256 is stored.
- A therapist makes (and revokes) their own feed; the owner may revoke anyone's. Making
  a new feed revokes the therapist's earlier one, so one URL is live at a time.
- The feed holds the therapist's appointments from 30 days back to 180 days ahead.
  Minimal PHI: each event says "Appointment", the type and the patient's initials (e.g.
  "R.D. · Treatment 60 min") and the location; no names, no phone, no clinical data.
  Cancelled appointments stay in the feed as CANCELLED so calendar apps remove them.
- Each read is audited (an export of the therapist's schedule) and rate-limited.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.audit.services import Action, record
from palpa.core import ratelimit
from palpa.core.errors import Refused
from palpa.practitioners.models import Practitioner
from palpa.scheduling import patient_messages
from palpa.scheduling.ical import FeedEvent, build_calendar
from palpa.scheduling.models import Appointment, CalendarFeed

PAST = dt.timedelta(days=30)
AHEAD = dt.timedelta(days=180)
SHOWN = ("booked", "arrived", "fulfilled", "noshow", "cancelled")


def own_practitioner(actor: User) -> Practitioner | None:
    return Practitioner.objects.filter(user=actor, organization_id=tenant_id(actor)).first()


def feeds_for(actor: User) -> QuerySet[CalendarFeed]:
    """Owners see every feed of the organization; a therapist their own."""
    found = CalendarFeed.objects.filter(organization_id=tenant_id(actor)).select_related(
        "practitioner"
    )
    if has_capability(actor, Capability.SCHEDULE_CONFIGURE):
        return found
    mine = own_practitioner(actor)
    return found.filter(practitioner=mine) if mine is not None else found.none()


def create_feed(*, actor: User) -> tuple[CalendarFeed, str]:
    """A new feed for the actor's own appointments (revoking their earlier one); returns
    the feed and its token (shown only now)."""
    practitioner = own_practitioner(actor)
    if practitioner is None or not practitioner.active:
        raise PermissionDenied("Only a practitioner has a calendar feed of their own.")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        earlier = CalendarFeed.objects.filter(practitioner=practitioner, revoked_at__isnull=True)
        replaced = [str(p) for p in earlier.values_list("public_id", flat=True)]
        earlier.update(revoked_at=now, revoked_by=actor)
        feed = CalendarFeed.objects.create(
            organization_id=practitioner.organization_id,
            practitioner=practitioner,
            token_hash=patient_messages.token_hash(token),
            created_by=actor,
        )
        record(
            actor=actor,
            action=Action.TOKEN,
            obj=feed,
            detail={"made": "calendar feed", "replaced": replaced},
        )
    return feed, token


def revoke_feed(*, actor: User, feed: CalendarFeed) -> CalendarFeed:
    if feed.organization_id != tenant_id(actor):
        raise PermissionDenied("This feed belongs to another organization.")
    mine = own_practitioner(actor)
    if not (
        has_capability(actor, Capability.SCHEDULE_CONFIGURE)
        or (mine is not None and feed.practitioner_id == mine.pk)
    ):
        raise PermissionDenied("Only the therapist or an owner may revoke this feed.")
    with transaction.atomic():
        stored = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
        if stored.revoked_at is not None:
            raise Refused("This feed is revoked already.")
        stored.revoked_at = timezone.now()
        stored.revoked_by = actor
        stored.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        record(actor=actor, action=Action.TOKEN, obj=stored, detail={"revoked": "calendar feed"})
    return stored


def feed_path(token: str) -> str:
    return reverse("online:feed", args=[token])


def allow_feed_request(client_address: str) -> bool:
    return ratelimit.allow(
        "calendar_feed",
        client_address,
        limit=int(getattr(settings, "PALPA_FEED_RATE_LIMIT", 60)),
        window_minutes=int(getattr(settings, "PALPA_FEED_RATE_WINDOW_MINUTES", 15)),
    )


def initials(given: str, family: str) -> str:
    return "".join(f"{part[:1].upper()}." for part in (given, family) if part)


def _event(appointment: Appointment) -> FeedEvent:
    patient = appointment.patient
    location = appointment.location
    return FeedEvent(
        uid=f"{appointment.public_id}@palpa",
        start=appointment.start,
        end=appointment.end,
        summary=f"{initials(patient.given_name, patient.family_name)} · "
        f"{appointment.appointment_type.name}",
        location=f"{location.name}, {patient_messages.address_line(location)}"
        + (f" · {appointment.room.name}" if appointment.room else ""),
        description="Appointment booked in Palpa. Open Palpa for details.",
        cancelled=appointment.status == Appointment.Status.CANCELLED,
        sequence=int(appointment.updated_at.timestamp()) % 2_000_000_000,
        stamp=appointment.updated_at,
    )


def feed_text(token: str, *, now: dt.datetime | None = None) -> str | None:
    """The feed's iCalendar text, or None for an unknown or revoked token (or a
    practitioner who left)."""
    if not token or len(token) > 100:
        return None
    moment = now or timezone.now()
    feed = (
        CalendarFeed.objects.select_related("practitioner__organization")
        .filter(
            token_hash=patient_messages.token_hash(token),
            revoked_at__isnull=True,
            practitioner__active=True,
        )
        .first()
    )
    if feed is None:
        return None
    practitioner = feed.practitioner
    appointments = (
        Appointment.objects.filter(
            practitioner=practitioner,
            status__in=SHOWN,
            start__gte=moment - PAST,
            start__lt=moment + AHEAD,
        )
        .select_related("patient", "location", "appointment_type", "room")
        .order_by("start", "pk")
    )
    events = [_event(a) for a in appointments]
    with transaction.atomic():
        CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=moment)
        record(
            actor=None,
            action=Action.EXPORT,
            organization=practitioner.organization,
            obj=feed,
            detail={"view": "calendar feed", "appointments": len(events)},
            actor_label=f"calendar feed of {practitioner.given_name} {practitioner.family_name}",
        )
    name = (
        f"{practitioner.given_name} {practitioner.family_name} · {practitioner.organization.name}"
    )
    return build_calendar(name=name, events=events, now=moment)
