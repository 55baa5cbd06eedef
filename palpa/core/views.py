from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from palpa.accounts.models import User
from palpa.core import dashboard as dashboard_panels
from palpa.core.dates import local_today


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
    user = staff_user(request)
    today = local_today(user.organization)  # the organization's day, not UTC's
    context = {"today": today, **dashboard_panels.context_for(user)}
    return render(request, "core/dashboard.html", context)


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
