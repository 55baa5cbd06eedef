from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from palpa.accounts.gates import requires
from palpa.accounts.permissions import Capability
from palpa.audit.models import AuditEvent
from palpa.audit.queries import events_for
from palpa.core.dates import page_date
from palpa.core.views import staff_user
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for, search_patients


@login_required
@requires(Capability.AUDIT_READ)
def audit_log(request: HttpRequest) -> HttpResponse:
    """Owners read and filter their organization's log; nothing here can change it."""
    user = staff_user(request)
    qs = events_for(user)
    filters = {k: request.GET.get(k, "").strip() for k in ("actor", "action", "patient", "since")}
    if filters["actor"]:
        qs = qs.filter(actor_label__icontains=filters["actor"])
    if filters["action"] in AuditEvent.Action.values:
        qs = qs.filter(action=filters["action"])
    matches: list[Patient] = []
    if filters["patient"]:
        # By MRN, name or date of birth, as on the patient list; never an internal id.
        matches = list(search_patients(user, filters["patient"], include_inactive=True)[:50])
        qs = qs.filter(patient_id__in=[str(p.public_id) for p in matches])
    if filters["since"]:
        since = page_date(filters["since"])
        if since is None:
            filters["since"] = ""
        else:
            qs = qs.filter(at__date__gte=since)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    # Each entry's patient by name and MRN (the entry stores the patient's public id).
    ids = {e.patient_id for e in page if e.patient_id}
    names = {
        str(p.public_id): f"{p.full_name} ({p.mrn})"
        for p in patients_for(user).filter(public_id__in=_uuids(ids))
    }
    rows = [(e, names.get(e.patient_id, "")) for e in page]
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "matches": matches,
            "actions": AuditEvent.Action.choices,
        },
    )


def _uuids(values: set[str]) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            continue
    return out
