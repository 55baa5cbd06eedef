"""Instrument links: the staff's page to send and revoke them, and the patient's phone form
(public, one-time link, no sign-in)."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from palpa.accounts.gates import public, requires
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability
from palpa.core.dates import local
from palpa.core.errors import Refused
from palpa.core.forms import apply_validation_error
from palpa.core.views import staff_user
from palpa.outcomes import queries, services
from palpa.outcomes.forms import InstrumentLinkForm, LinkAnswersForm
from palpa.patients import messages as ledger
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for

# --- the patient's form (no sign-in) -------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the path: never cached, never indexed.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _unavailable(request: HttpRequest) -> HttpResponse:
    """One answer for an unknown, expired, revoked or used link: it reveals nothing."""
    return _private(render(request, "outcomes/link_unavailable.html", status=404))


@never_cache
@public
def fill(request: HttpRequest, token: str) -> HttpResponse:
    link = services.find_instrument_link(token)
    address = request.META.get("REMOTE_ADDR", "")
    if not services.allow_instrument_link_request(address, link.pk if link else None):
        return _private(render(request, "outcomes/link_slow_down.html", status=429))
    if link is None:
        return _unavailable(request)
    form = LinkAnswersForm(link, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_instrument_link(
                token=token, answers=form.answers(), psfs_added=form.added_activities()
            )
        except Refused:
            return _unavailable(request)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            return _private(render(request, "outcomes/link_thanks.html"))
    elif request.method != "POST":
        services.audit_instrument_link_opened(link=link)
    context = {
        "form": form,
        "sections": form.sections(),
        "clinic": link.organization.name,
        "expires_at": local(link.expires_at, link.patient),
    }
    return _private(render(request, "outcomes/link_form.html", context))


# --- staff pages ---------------------------------------------------------------------


def _patient(user: User, public_id: str) -> Patient:
    return get_object_or_404(patients_for(user), public_id=public_id)


def _links_context(user: User, patient: Patient, form: InstrumentLinkForm) -> dict[str, Any]:
    return {
        "patient": patient,
        "form": form,
        "links": list(queries.patient_instrument_links(user, patient)[:50]),
        "may_send": queries.may_send_links(user) and patient.status == Patient.Status.ACTIVE,
        "not_linkable": services.unlinkable_instruments(),
        "days": services.instrument_link_days(),
    }


@login_required
@requires(Capability.CLINICAL_READ, post=Capability.CLINICAL_WRITE)
def links(request: HttpRequest, public_id: str) -> HttpResponse:
    """The patient's instrument links, and the form that sends a new one."""
    user = staff_user(request)
    patient = _patient(user, public_id)
    if request.method == "POST":
        form = InstrumentLinkForm(request.POST)
        if form.is_valid():
            try:
                link, token, sent = services.send_instrument_link(
                    actor=user,
                    patient=patient,
                    instruments=form.cleaned_data["instruments"],
                    context=form.cleaned_data["context"],
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                url = request.build_absolute_uri(reverse("instrument_link:form", args=[token]))
                qr_svg = segno.make(url, error="m").svg_inline(scale=3)
                context = {
                    "patient": patient,
                    "url": url,
                    "link": link,
                    "qr_svg": qr_svg,
                    "sent": [ledger.describe(m) for m in sent],
                }
                response = render(request, "outcomes/link_created.html", context)
                response["Cache-Control"] = "no-store"
                return response
        services.audit_instrument_links_read(actor=user, patient=patient, what="instrument links")
        return render(request, "outcomes/links.html", _links_context(user, patient, form))
    services.audit_instrument_links_read(actor=user, patient=patient, what="instrument links")
    return render(
        request, "outcomes/links.html", _links_context(user, patient, InstrumentLinkForm())
    )


@login_required
@require_POST
@requires(Capability.CLINICAL_WRITE)
def link_revoke(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    link = get_object_or_404(queries.instrument_links_for(user), public_id=public_id)
    try:
        services.revoke_instrument_link(
            actor=user, link=link, reason=str(request.POST.get("reason", ""))
        )
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The link was revoked: it no longer opens.")
    return redirect("outcomes:links", public_id=link.patient.public_id)
