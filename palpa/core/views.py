from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability
from palpa.practitioners.models import Practitioner


def staff_user(request: HttpRequest) -> User:
    """The signed-in staff member; anyone else is refused."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated or user.organization_id is None:
        raise PermissionDenied("Only staff of an organization can use Palpa's staff pages.")
    return user


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability; reads no patient data."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # pragma: no cover - exercised only when the database is down
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    from palpa.patients.queries import patients_for
    from palpa.practitioners.services import licenses_expiring

    user = staff_user(request)
    context: dict[str, object] = {
        "today": timezone.localdate(),
        "patient_count": patients_for(user).filter(status="active").count(),
    }
    if has_capability(user, Capability.EDIT_CLINICAL):
        from palpa.care.queries import unsigned_notes

        context["unsigned"] = list(unsigned_notes(user))
        context["drafts"] = list(unsigned_notes(user, older_than_hours=0).order_by("visit_date"))
    if has_capability(user, Capability.MANAGE_PRACTITIONERS):
        context["expiring"] = licenses_expiring(actor=user)
        context["expired"] = _expired_licenses(user)
    if has_capability(user, Capability.MANAGE_ORGANIZATION):
        from palpa.referrals.services import referrals_running_low

        context["referrals_low"] = referrals_running_low(actor=user, today=timezone.localdate())
    if has_capability(user, Capability.VIEW_DEMOGRAPHICS):
        from palpa.scheduling.online import notices_for

        context["online_notices"] = notices_for(user).count()
    return render(request, "core/dashboard.html", context)


def _expired_licenses(user: User) -> list[Practitioner]:
    """Active practitioners whose newest license has lapsed (they cannot be booked)."""
    from palpa.practitioners.queries import practitioners_for

    today = timezone.localdate()
    lapsed = []
    for practitioner in practitioners_for(user).filter(active=True):
        licenses = list(practitioner.licenses.all())
        if licenses and not any(lic.issued_on <= today <= lic.expires_on for lic in licenses):
            lapsed.append(practitioner)
    return lapsed


def bench_baseline(request: HttpRequest, pk: int) -> JsonResponse:
    """The benchmark's baseline: one primary-key read, nothing else. Off unless enabled."""
    if not settings.PALPA_BENCH_BASELINE:
        raise Http404
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, given_name FROM patients_patient WHERE id = %s", [pk])
        row = cursor.fetchone()
    if row is None:
        raise Http404
    return JsonResponse({"id": row[0], "given_name": row[1]})
