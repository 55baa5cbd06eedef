from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from palpa.accounts.gates import requires
from palpa.accounts.permissions import Capability, tenant_id
from palpa.audit.models import AuditEvent
from palpa.core.dates import page_date
from palpa.core.views import staff_user


@login_required
@requires(Capability.AUDIT_READ)
def audit_log(request: HttpRequest) -> HttpResponse:
    """Owners read and filter their organization's log; nothing here can change it."""
    user = staff_user(request)
    qs = AuditEvent.objects.filter(organization_id=tenant_id(user)).select_related("actor")
    filters = {k: request.GET.get(k, "").strip() for k in ("actor", "action", "patient", "since")}
    if filters["actor"]:
        qs = qs.filter(actor_label__icontains=filters["actor"])
    if filters["action"] in AuditEvent.Action.values:
        qs = qs.filter(action=filters["action"])
    if filters["patient"]:
        qs = qs.filter(patient_id=filters["patient"])
    if filters["since"]:
        since = page_date(filters["since"])
        if since is None:
            filters["since"] = ""
        else:
            qs = qs.filter(at__date__gte=since)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/log.html",
        {"page": page, "filters": filters, "actions": AuditEvent.Action.choices},
    )
