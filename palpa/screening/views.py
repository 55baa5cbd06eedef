"""Screening pages: the patient's phone intake (public, one-time link) and the staff's
review, re-screen, clearance, override and rule-set pages."""

from __future__ import annotations

import json
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from palpa.accounts.gates import public, requires
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.core.dates import local, local_today
from palpa.core.errors import Refused
from palpa.core.forms import apply_validation_error
from palpa.core.redirects import local_next
from palpa.core.views import staff_user
from palpa.patients import messages as ledger
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for
from palpa.screening import queries, services
from palpa.screening import questionnaire as q
from palpa.screening.forms import (
    FOLDED_PLACES,
    INTAKE_SECTIONS,
    INTAKE_STEPS,
    BloodPressureForm,
    ClearanceForm,
    ConfirmForm,
    FactsForm,
    IntakeForm,
    OverrideForm,
    PolicyForm,
    RuleSetForm,
    raw_answers,
    step_fields,
)
from palpa.screening.models import Screening
from palpa.screening.rules import default_rule_set

# --- the patient's intake page (no sign-in) ------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the path: never cached, never indexed. (Referrer-Policy stays
    # same-origin: with no-referrer the browser sends "Origin: null" and the CSRF check
    # refuses the form; the page links nowhere else.)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _unavailable(request: HttpRequest) -> HttpResponse:
    """One answer for an unknown, expired or used link: it reveals nothing."""
    return _private(render(request, "screening/intake_unavailable.html", status=404))


@never_cache
@public
def intake(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's health questions, a few at a time (``INTAKE_STEPS``): each step is
    kept on the link, so the patient can stop and come back with the same link until it
    expires. A POST without a step sends every answer at once (a form filled in one go)."""
    link = services.find_intake_link(token)
    address = request.META.get("REMOTE_ADDR", "")
    if not services.allow_intake_request(address, link.pk if link else None):
        return _private(render(request, "screening/intake_slow_down.html", status=429))
    if link is None:
        return _unavailable(request)
    today = local_today(link.patient)
    if request.method == "POST" and "step" not in request.POST:
        return _intake_all_at_once(request, token, link, today)
    draft = link.draft or {}
    data: dict[str, list[str]] = dict(draft.get("data") or {})
    from_last_time = bool(draft.get("from_last_time"))
    if not draft and request.method != "POST":
        previous = queries.previous_answers(link.patient)
        if previous:
            data = raw_answers(IntakeForm(initial=previous, today=today))
            from_last_time = True
    steps = len(INTAKE_STEPS)
    if request.method == "POST":
        step = _step(request.POST.get("step"), steps)
        names = step_fields(step)
        data = {k: v for k, v in data.items() if k not in names}
        data.update({k: request.POST.getlist(k) for k in names if request.POST.getlist(k)})
        go = request.POST.get("go", "next")
        following = max(step - 1, 1) if go == "back" else min(step + 1, steps)
        form = IntakeForm(MultiValueDict(data), today=today)
        step_errors = go != "back" and not form.is_valid() and bool(set(form.errors) & set(names))
        try:
            services.save_intake_draft(
                token=token,
                data=data,
                step=step if step_errors else following,
                from_last_time=from_last_time,
            )
        except Refused:
            return _unavailable(request)
        if go == "send" and not step_errors:
            if form.is_valid():
                return _intake_send(request, token, link, form)
            first = next(n for n in range(1, steps + 1) if set(form.errors) & set(step_fields(n)))
            return _intake_step(request, link, form, first, from_last_time)
        if step_errors:
            return _intake_step(request, link, form, step, from_last_time)
        return _private(redirect(f"{request.path}?step={following}"))
    step = _step(request.GET.get("step") or draft.get("step"), steps)
    if data and not draft:  # the previous answers, kept so every step starts from them
        try:
            services.save_intake_draft(token=token, data=data, step=step, from_last_time=True)
        except Refused:
            return _unavailable(request)
    form = IntakeForm(MultiValueDict(data), today=today) if data else IntakeForm(today=today)
    if data:
        form.errors.clear()  # saved answers are shown, not judged, until sent
    return _intake_step(request, link, form, step, from_last_time)


def _step(value: object, steps: int) -> int:
    try:
        return min(max(int(str(value)), 1), steps)
    except (TypeError, ValueError):
        return 1


def _intake_step(
    request: HttpRequest,
    link: Any,
    form: IntakeForm,
    step: int,
    from_last_time: bool,
) -> HttpResponse:
    titles = [
        " and ".join(t for k, t, _n in INTAKE_SECTIONS if k in keys).capitalize()
        for keys in INTAKE_STEPS
    ]
    context = {
        "form": form,
        "sections": form.sections(INTAKE_STEPS[step - 1]),
        "step": step,
        "steps": len(INTAKE_STEPS),
        "step_titles": titles,
        "last_step": step == len(INTAKE_STEPS),
        "quiet_errors": not set(form.errors) & set(step_fields(step)),
        "folded": FOLDED_PLACES,
        "clinic": link.organization.name,
        "expires_at": local(link.expires_at, link.patient),
        "from_last_time": from_last_time,
    }
    return _private(render(request, "screening/intake.html", context))


def _intake_send(request: HttpRequest, token: str, link: Any, form: IntakeForm) -> HttpResponse:
    try:
        services.submit_intake(token=token, facts=form.facts(), questionnaire_version=q.VERSION)
    except Refused:
        return _unavailable(request)
    except ValidationError as exc:  # the form checks first; this is a safety net
        form.add_error(None, "Some answers could not be read: " + "; ".join(exc.messages))
        return _intake_all(request, link, form)
    return _private(render(request, "screening/intake_thanks.html"))


def _intake_all_at_once(request: HttpRequest, token: str, link: Any, today: Any) -> HttpResponse:
    form = IntakeForm(request.POST, today=today)
    if form.is_valid():
        return _intake_send(request, token, link, form)
    return _intake_all(request, link, form)


def _intake_all(request: HttpRequest, link: Any, form: IntakeForm) -> HttpResponse:
    """Every question on one page, with the errors (answers sent in one go)."""
    context = {
        "form": form,
        "sections": form.sections(),
        "all": True,
        "folded": FOLDED_PLACES,
        "clinic": link.organization.name,
        "expires_at": local(link.expires_at, link.patient),
    }
    return _private(render(request, "screening/intake.html", context))


# --- staff pages ---------------------------------------------------------------------


def _patient(request: HttpRequest, public_id: str) -> Patient:
    return get_object_or_404(patients_for(staff_user(request)), public_id=public_id)


def _clinical_screening(request: HttpRequest, public_id: str) -> Screening:
    user = staff_user(request)
    return get_object_or_404(queries.screenings_for(user), public_id=public_id)


def _review_url(patient: Patient) -> str:
    return reverse("screening:review", args=[patient.public_id])


def review_context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    user = staff_user(request)
    status = queries.screening_status(patient)
    findings = []
    for f in status.findings:
        findings.append({"state": f, "sources": f.finding.get("sources", [])})
    latest = status.screening
    today = local_today(patient.primary_location)  # the patient's clinic's day
    return {
        "patient": patient,
        "status": status,
        "findings": findings,
        "history": list(queries.patient_screenings(user, patient)[:20]),
        "may_edit": has_capability(user, Capability.CLINICAL_WRITE),
        "may_override": has_capability(user, Capability.SCREENING_OVERRIDE),
        "confirm_form": ConfirmForm(initial={"on": today}),
        "bp_form": BloodPressureForm(prefix="bp", initial={"bp_measured_on": today}),
        "clearance_form": ClearanceForm(
            actor=user, initial={"cleared_on": today}, prefix="clearance"
        ),
        "override_form": OverrideForm(prefix="override"),
        "open_clearance": any(f.decision == "CLEARANCE" for f in status.open_findings),
        "facts_json": json.dumps(latest.facts, indent=2) if latest else "",
    }


@login_required
@requires(Capability.CLINICAL_READ)
def review(request: HttpRequest, public_id: str) -> HttpResponse:
    """The therapist's page: the decision, its reasons and sources, and what to do."""
    user = staff_user(request)
    patient = _patient(request, public_id)
    services.audit_screening_read(actor=user, patient=patient, what="screening review")
    return render(request, "screening/review.html", review_context(request, patient))


@login_required
@require_POST
@requires(Capability.SCREENING_SEND_INTAKE)
def intake_link_create(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(request, public_id)
    try:
        link, token, sent = services.send_intake_link(actor=user, patient=patient)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("patients:detail", public_id=patient.public_id)
    url = request.build_absolute_uri(reverse("intake:form", args=[token]))
    qr_svg = segno.make(url, error="m").svg_inline(scale=3)
    context = {
        "patient": patient,
        "url": url,
        "link": link,
        "qr_svg": qr_svg,
        "sent": [ledger.describe(m) for m in sent],
    }
    response = render(request, "screening/intake_link.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _named(exc: ValidationError) -> list[str]:
    """A service's errors as "field: message" lines (facts named by their path)."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [
        f"{name.removeprefix('facts.')}: {message}"
        for name, messages in exc.message_dict.items()
        for message in messages
    ]


@login_required
@requires(Capability.CLINICAL_WRITE)
def intake_staff(request: HttpRequest, public_id: str) -> HttpResponse:
    """Staff enter or update the health history: the patient's questions, or the facts."""
    user = staff_user(request)
    patient = _patient(request, public_id)
    today = local_today(patient)
    latest = queries.latest_screening(patient, on=today)
    mode = request.POST.get("mode", "")
    questions = IntakeForm(
        request.POST if mode == "questions" else None,
        today=today,
        prefix="q",
        initial=queries.previous_answers(patient, actor=user) if request.method != "POST" else {},
    )
    initial_facts = {k: v for k, v in (latest.facts if latest else {}).items() if k != "as_of"}
    facts_form = FactsForm(
        request.POST if mode == "facts" else None,
        prefix="f",
        initial={"facts": json.dumps(initial_facts, indent=2)},
    )
    form = questions if mode == "questions" else facts_form
    if request.method == "POST" and form.is_valid():
        if mode == "questions":
            facts, version = questions.facts(), q.VERSION
        else:
            facts, version = facts_form.cleaned_data["facts"], ""
        try:
            screening = services.record_screening(
                actor=user, patient=patient, facts=facts, questionnaire_version=version
            )
        except ValidationError as exc:
            if mode == "facts":
                facts_form.add_error("facts", _named(exc))
            else:
                apply_validation_error(questions, exc)
        else:
            messages.success(request, f"Screened: {screening.decision}.")
            return redirect("screening:review", public_id=patient.public_id)
    return render(
        request,
        "screening/intake_staff.html",
        {
            "patient": patient,
            "questions": questions,
            "question_sections": questions.sections(),
            "facts_form": facts_form,
        },
    )


@login_required
@require_POST
@requires(Capability.CLINICAL_WRITE)
def confirm(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(request, public_id)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the visit date.")
    else:
        try:
            services.confirm_no_change(actor=user, patient=patient, on=form.cleaned_data["on"])
            messages.success(request, "Recorded: no change since the last screening.")
        except (ValidationError, Refused) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text)
    # back to the note the check was made from
    return redirect(local_next(request, request.POST.get("next", ""), _review_url(patient)))


_BP_FIELDS = {
    "blood_pressure.systolic": "bp_systolic",
    "blood_pressure.diastolic": "bp_diastolic",
    "blood_pressure.measured_on": "bp_measured_on",
    "blood_pressure.symptoms": "bp_symptoms",
}


@login_required
@require_POST
@requires(Capability.CLINICAL_WRITE)
def blood_pressure(request: HttpRequest, public_id: str) -> HttpResponse:
    """At a visit: record the measured blood pressure (screened at once)."""
    user = staff_user(request)
    patient = _patient(request, public_id)
    form = BloodPressureForm(request.POST, prefix="bp")
    if form.is_valid():
        data = form.cleaned_data
        try:
            screening = services.record_blood_pressure(
                actor=user,
                patient=patient,
                systolic=data["bp_systolic"],
                diastolic=data["bp_diastolic"],
                measured_on=data["bp_measured_on"],
                symptoms=data["bp_symptoms"],
            )
        except ValidationError as exc:
            for name, problems in exc.message_dict.items():
                for problem in problems:
                    form.add_error(_BP_FIELDS.get(name), problem)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Blood pressure recorded and screened: {screening.decision}."
            )
            return redirect("screening:review", public_id=patient.public_id)
    context = review_context(request, patient)
    context["bp_form"] = form
    return render(request, "screening/review.html", context)


@login_required
@requires(Capability.CLINICAL_WRITE)
def clearance_add(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    screening = _clinical_screening(request, public_id)
    patient = screening.patient
    form = ClearanceForm(
        request.POST or None, request.FILES or None, actor=user, prefix="clearance"
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_clearance(
                actor=user,
                screening=screening,
                physician=data["physician"],
                cleared_on=data["cleared_on"],
                scope=data["scope"],
                conditions=data["conditions"],
                valid_until=data["valid_until"],
                letter=data["letter"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Physician's clearance recorded.")
            return redirect("screening:review", public_id=patient.public_id)
    context = review_context(request, patient)
    context["clearance_form"] = form
    return render(request, "screening/review.html", context)


@login_required
@require_POST
@requires(Capability.SCREENING_OVERRIDE)
def override_add(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    screening = _clinical_screening(request, public_id)
    patient = screening.patient
    form = OverrideForm(request.POST, prefix="override")
    if form.is_valid():
        try:
            services.override_clearance(
                actor=user, screening=screening, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Override recorded.")
            return redirect("screening:review", public_id=patient.public_id)
    context = review_context(request, patient)
    context["override_form"] = form
    return render(request, "screening/review.html", context)


@login_required
@requires(Capability.CLINICAL_READ)
def letter(request: HttpRequest, public_id: str) -> FileResponse:
    user = staff_user(request)
    clearance = get_object_or_404(queries.clearances_for(user), public_id=public_id)
    if not clearance.letter:
        raise Http404
    services.audit_letter_read(actor=user, clearance=clearance)
    return FileResponse(
        clearance.letter.open("rb"),
        content_type=clearance.letter_content_type,
        as_attachment=True,
        filename=clearance.letter_name,
    )


@login_required
@requires(Capability.SCREENING_MANAGE_RULES)
def rules(request: HttpRequest) -> HttpResponse:
    """Owners: the rule-set versions, a new version, and the screening timings."""
    user = staff_user(request)
    org_id = tenant_id(user)
    mode = request.POST.get("mode", "")
    document = services.rule_set_document(org_id)
    rule_form = RuleSetForm(
        request.POST if mode == "rules" else None,
        initial={"document": json.dumps(document, indent=2, ensure_ascii=False)},
    )
    policy = queries.policy_for(org_id)
    policy_form = PolicyForm(
        request.POST if mode == "policy" else None,
        initial={
            "rescreen_days": policy.rescreen_days,
            "intake_link_days": policy.intake_link_days,
        },
    )
    if request.method == "POST":
        try:
            if mode == "rules" and rule_form.is_valid():
                stored = services.publish_rule_set(
                    actor=user,
                    document=rule_form.cleaned_data["document"],
                    reason=rule_form.cleaned_data["reason"],
                )
                messages.success(request, f"Rule set {stored.version} is now in force.")
                return redirect("screening:rules")
            if mode == "policy" and policy_form.is_valid():
                services.set_screening_policy(actor=user, **policy_form.cleaned_data)
                messages.success(request, "Screening timings saved.")
                return redirect("screening:rules")
        except ValidationError as exc:
            apply_validation_error(rule_form if mode == "rules" else policy_form, exc)
    current = queries.current_rule_set_version(org_id)
    context = {
        "rule_form": rule_form,
        "policy_form": policy_form,
        "versions": list(queries.rule_sets_for(user)),
        "in_force": current.version if current else default_rule_set().version,
        "default_version": default_rule_set().version,
        "missing_rules": queries.default_rules_missing(org_id),
    }
    return render(request, "screening/rules.html", context)


def dashboard_panel(user: User) -> dict[str, object]:
    """For the owner: Palpa's rules that the organization's own rule set lacks
    (registered in ScreeningConfig.ready)."""
    if not has_capability(user, Capability.SCREENING_MANAGE_RULES):
        return {}
    return {"screening_rules_missing": queries.default_rules_missing(tenant_id(user))}
