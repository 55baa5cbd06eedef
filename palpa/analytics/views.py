"""The Outcomes pages: ``/outcomes/`` for owners (the organization's figures) and
``/outcomes/mine/`` for each therapist (their own episodes only). Both read the newest
"responders" snapshot (``palpa.analytics.figures``) and never fit or aggregate: this
module, like every module a web worker imports, loads no numerical library."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from palpa.accounts.gates import requires
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability
from palpa.analytics import charts, figures, responders
from palpa.analytics.tasks import queue_recompute
from palpa.core.views import staff_user


def _render(request: HttpRequest, *, mine: bool) -> HttpResponse:
    user = staff_user(request)
    if request.method == "POST":
        queue_recompute(user.organization_id or 0, responders.KIND)
        messages.success(
            request,
            "Recompute queued: the figures appear here when the background worker has "
            "computed them (reload in a minute).",
        )
        return redirect(request.path)
    snapshot = figures.snapshot_for(user)
    filters, errors = figures.read_filters(
        request.GET, snapshot.data if snapshot else None, locations=not mine
    )
    found = figures.figures(user, filters, mine=mine)
    figures.audit_outcomes_read(actor=user, view="mine" if mine else "organization", found=found)
    who = "your" if mine else "the organization's"
    svg = {
        "forest": charts.forest(
            f"{found.forest_title} ({who} episodes)", found.forest, min_cell=found.min_cell
        )
        if found.forest
        else "",
        "km": charts.kaplan_meier("Share reaching a meaningful change by visit", found.km)
        if any(not c.get("suppressed") for c in found.km)
        else "",
        "funnel": charts.funnel(
            "Therapists: observed minus expected responder rate (funnel plot)", found.funnel
        )
        if found.funnel and not mine
        else "",
        "location_funnel": charts.funnel(
            "Locations: observed minus expected responder rate (funnel plot)",
            found.location_funnel,
        )
        if found.location_funnel and len(found.choices.get("locations", [])) > 1
        else "",
    }
    context = {
        "f": found,
        "svg": svg,
        "errors": errors,
        "form": {name: request.GET.get(name, "") for name in figures.FILTER_NAMES},
        "mine": mine,
        "can_recompute": (not mine and has_capability(user, Capability.BUSINESS_OPERATIONS))
        or mine,
        "q_percent": f"{found.q * 100:g}",
        "level_percent": round(found.level * 100),
    }
    return render(request, "analytics/outcomes.html", context)


@login_required
@requires(Capability.BUSINESS_OPERATIONS, post=Capability.BUSINESS_OPERATIONS)
def page(request: HttpRequest) -> HttpResponse:
    return _render(request, mine=False)


@login_required
@requires(Capability.CLINICAL_READ, post=Capability.CLINICAL_READ)
def mine(request: HttpRequest) -> HttpResponse:
    return _render(request, mine=True)


def dashboard_panel(user: User) -> dict[str, object]:
    """Links to the Outcomes pages (registered in AnalyticsConfig.ready): owners get the
    organization's, anyone treating patients their own."""
    links: dict[str, bool] = {}
    if has_capability(user, Capability.BUSINESS_OPERATIONS):
        links["organization"] = True
    if has_capability(user, Capability.CLINICAL_READ) and hasattr(user, "practitioner"):
        links["mine"] = True
    return {"outcomes_links": links} if links else {}
