"""The business page (``/business/``): the owner's figures over a chosen period, each as
a small chart and a table; and its summary panel on the owner's dashboard."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from palpa.accounts.gates import requires
from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability
from palpa.billing import bar_chart, business, services
from palpa.core.views import staff_user
from palpa.scheduling.queries import locations_for


def _location(user: User, value: str) -> tuple[Location | None, str]:
    """The location the query string names (its public id), or None; and the error."""
    if not value:
        return None, ""
    for place in locations_for(user):
        if str(place.public_id) == value:
            return place, ""
    return None, "Location: choose one of the organization's locations."


@login_required
@requires(Capability.BUSINESS_READ)
def page(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    location, location_error = _location(user, request.GET.get("location", ""))
    zone = business.zone_for(user, location)
    today = business.today_for(user, location)
    period, errors = business.read_period(request.GET, today, zone)
    if location_error:
        errors["location"] = location_error
    found = business.figures(user, period, location)
    services.audit_business_read(
        actor=user,
        period={"from": period.first.isoformat(), "to": period.last.isoformat()},
        location=str(location.public_id) if location is not None else "",
        patients=found.balances,
    )
    charts = {}
    if found.operations:
        charts["visits"] = bar_chart.render(
            "Visits per week",
            [b.label for b in found.visits_by_week],
            [bar_chart.Series("Visits", [int(b.value) for b in found.visits_by_week])],
        )
    if found.revenue:
        charts["revenue"] = bar_chart.render(
            "Revenue billed and collected per week",
            [billed.label for billed, _ in found.revenue_by_week],
            [
                bar_chart.Series("Billed", [billed.value for billed, _ in found.revenue_by_week]),
                bar_chart.Series("Collected", [got.value for _, got in found.revenue_by_week]),
            ],
            money=True,
        )
    context = {
        "f": found,
        "charts": charts,
        "errors": errors,
        "presets": business.PRESETS,
        "locations": list(locations_for(user)),
        "chosen_location": str(location.public_id) if location is not None else "",
        "form": {
            "from": request.GET.get("from", period.first.isoformat())
            if errors
            else period.first.isoformat(),
            "to": request.GET.get("to", period.last.isoformat())
            if errors
            else period.last.isoformat(),
        },
        "unsigned_after_days": business.UNSIGNED_AFTER_DAYS,
        "aging_today": business.today_for(user, None),
    }
    return render(request, "billing/business.html", context)


def dashboard_panel(user: User) -> dict[str, object]:
    """This month so far, in brief, with a link to the business page (registered in
    BillingConfig.ready); nothing for roles that may not see the business figures."""
    if not has_capability(user, Capability.BUSINESS_READ):
        return {}
    today = business.today_for(user, None)
    period = business.preset_period("month", today, business.zone_for(user, None))
    found = business.summary(user, period)
    services.audit_business_read(
        actor=user,
        period={"from": period.first.isoformat(), "to": period.last.isoformat()},
        location="",
        patients=[],
        summary=True,
    )
    return {"business": found}
