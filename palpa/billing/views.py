"""The biller's screens (charges to review, ready to bill, payments, balances), a
patient's account, and the billing settings. Every read of patient billing data is
audited; every write goes through the services."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from palpa.accounts.gates import requires, requires_by
from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability, require, tenant_id
from palpa.accounts.queries import locations_for
from palpa.billing import business, documents, exports, queries, services
from palpa.billing.capture import claim_form
from palpa.billing.forms import (
    AdjustmentForm,
    BillingIdentifiersForm,
    CodeMapForm,
    CoverageForm,
    EndDateForm,
    EnteredInErrorForm,
    FeeForm,
    LocationPriceForm,
    PayerForm,
    PaymentForm,
    PrepaidForm,
    PrepaidPlanForm,
    RefundForm,
    ReverseForm,
    ServicePriceForm,
    TransferForm,
    VoidForm,
)
from palpa.billing.models import Charge, Coverage, LedgerEntry, PatientPrepaid
from palpa.care.catalog import catalog
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.views import staff_user
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for
from palpa.scheduling.models import AppointmentType

QUEUES = {
    "to_review": "Charges to review",
    "ready": "Ready to bill",
    "paid": "Paid (self-pay)",
    "void": "Void",
}


LAST_DAY = {"ends_on": "Last day"}


def _patient(user: User, public_id: str) -> Patient:
    return get_object_or_404(patients_for(user), public_id=public_id)


def _charge(user: User, public_id: str) -> Charge:
    require(user, Capability.BILLING_READ_CHARGES)
    return get_object_or_404(queries.charges_for(user), public_id=public_id)


def _entry(user: User, public_id: str) -> LedgerEntry:
    require(user, Capability.BILLING_READ_ACCOUNT)
    entry: LedgerEntry = get_object_or_404(queries.entries_for(user), public_id=public_id)
    return entry


def _visits(visits: list[Any]) -> list[tuple[str, str]]:
    return [
        (
            str(c.public_id),
            f"{c.date_of_service:%b} {c.date_of_service.day}, {c.date_of_service.year}"
            f" · {c.open_amount} {c.currency} open",
        )
        for c in visits
    ]


def _visit_choices(user: User, patient: Patient) -> list[tuple[str, str]]:
    """The patient's visits with something owed, for a payment to be applied to."""
    return _visits(queries.open_visits_for(user, patient))


def _attempt(
    request: HttpRequest,
    action: Callable[[], object],
    done: str,
    labels: dict[str, str] | None = None,
) -> bool:
    """Run a service; show its refusal or validation message instead of failing.
    ``labels`` names a field as its form shows it."""
    try:
        action()
    except ValidationError as exc:
        for field, errors in getattr(exc, "message_dict", {"": exc.messages}).items():
            field = (labels or {}).get(field, field)
            for message in errors:
                messages.error(request, f"{field}: {message}" if field else message)
        return False
    except Refused as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, done)
    return True


# --- the biller's screens --------------------------------------------------------------


@login_required
@requires(Capability.BILLING_READ_ACCOUNT)
def home(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if has_capability(user, Capability.BILLING_READ_CHARGES):
        return redirect("billing:charges")
    return redirect("billing:balances")


@login_required
@requires(Capability.BILLING_READ_CHARGES)
def charges(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    status = request.GET.get("status", "to_review")
    if status not in QUEUES:
        status = "to_review"
    mine = queries.charges_for(user)
    if status == "ready":
        listed = queries.ready_to_bill(mine)
    elif status == "paid":
        listed = queries.paid_self_pay(mine)
    else:
        listed = mine.filter(status=status)
    found = list(listed.prefetch_related("lines")[:200])
    services.audit_billing_search(
        actor=user, what="Charge", query={"status": status}, patients=[c.patient for c in found]
    )
    rows = [(c, services.blocking_problems(c) if status == "to_review" else []) for c in found]
    context = {
        "rows": rows,
        "status": status,
        "queues": QUEUES,
        "title": QUEUES[status],
        "may_export_claims": status == "ready" and exports.may_export_claims(user),
    }
    return render(request, "billing/charges.html", context)


@login_required
@requires(Capability.BILLING_READ_CHARGES)
def charge_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    charge = _charge(user, public_id)
    services.audit_charge_read(actor=user, charge=charge)
    context = {
        "charge": charge,
        "lines": list(charge.lines.all()),
        "blocking": services.blocking_problems(charge)
        if charge.status == Charge.Status.TO_REVIEW
        else [],
        "entries": list(charge.entries.select_related("posted_by")),
        "paid_in_full": charge.status == Charge.Status.READY
        and charge.self_pay
        and services.open_on_visit(charge) == 0,
        "void_form": VoidForm(prefix="void"),
        # a ready charge's superbill, for whoever may download it (a therapist: their own)
        "may_superbill": documents.posted_charges(user).filter(pk=charge.pk).exists(),
    }
    return render(request, "billing/charge_detail.html", context)


@login_required
@require_POST
@requires(Capability.BILLING_REVIEW_CHARGES)
def charge_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    user = staff_user(request)
    charge = _charge(user, public_id)
    if action == "ready":
        _attempt(
            request,
            lambda: services.mark_charge_ready(actor=user, charge=charge),
            "Marked ready to bill and posted to the ledger.",
        )
    elif action == "recalculate":
        _attempt(
            request,
            lambda: services.recalculate_charge(actor=user, charge=charge),
            "Recalculated from today's configuration.",
        )
    else:
        reason = request.POST.get("void-reason", "")
        _attempt(
            request,
            lambda: services.void_charge(actor=user, charge=charge, reason=str(reason)),
            "The charge is void; what was posted is reversed.",
        )
    return redirect("billing:charge", public_id=charge.public_id)


@login_required
@requires(Capability.BILLING_READ_ACCOUNT)
def payments(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    found = list(queries.payments_for(user)[:200])
    services.audit_billing_search(
        actor=user, what="Payment", query={}, patients=[e.patient for e in found]
    )
    return render(request, "billing/payments.html", {"entries": found})


@login_required
@requires(Capability.BILLING_READ_ACCOUNT)
def balances(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    rows = list(queries.balances_for(user)[:500])
    services.audit_billing_search(actor=user, what="Balance", query={}, patients=rows)
    context = {
        "rows": rows,
        "aging": business.aging_for(user),
        "aging_today": business.today_for(user, None),
    }
    return render(request, "billing/balances.html", context)


# --- a patient's account -----------------------------------------------------------------


def _payer_choices(user: User) -> list[tuple[str, str]]:
    return [(str(p.public_id), p.name) for p in queries.payers_for(user).filter(active=True)]


@login_required
@requires(Capability.BILLING_READ_ACCOUNT)
def account(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(user, public_id)
    services.audit_account_read(actor=user, patient=patient)
    entries = list(queries.entries_for(user, patient).order_by("-posted_at", "-pk"))
    reversed_ids = {e.reverses_id for e in entries if e.reverses_id}
    today = local_today(patient)
    may_end = has_capability(user, Capability.BILLING_POST_PAYMENT)

    def ending(kind: str, record: Coverage | PatientPrepaid) -> dict[str, Any] | None:
        """The row's "end" and "entered in error" forms (ids unique on the page)."""
        if not may_end or record.status != "active":
            return None
        row = f"{kind}-{record.public_id}"
        return {
            "end": EndDateForm(
                prefix="end",
                auto_id=f"id_{row}_end_%s",
                initial={"ends_on": max(today, record.starts_on)},
            ),
            "error": EnteredInErrorForm(prefix="error", auto_id=f"id_{row}_error_%s"),
        }

    prepaids = [
        (p, services.visits_left(p, today), ending("prepaid", p))
        for p in queries.prepaids_for(user, patient)
    ]
    coverages = [(c, ending("coverage", c)) for c in queries.coverages_for(user, patient)]
    context = {
        "patient": patient,
        "balances": queries.account_balances(patient),
        "entries": [(e, e.pk in reversed_ids) for e in entries],
        "coverages": coverages,
        "prepaids": prepaids,
        "invoices": list(queries.invoices_for(user, patient)),
        "charges": list(queries.charges_for(user, patient)[:50]),
        "payment_form": PaymentForm(
            prefix="pay", payers=_payer_choices(user), visits=_visit_choices(user, patient)
        ),
        "transfer_form": TransferForm(prefix="transfer"),
        "adjustment_form": AdjustmentForm(prefix="adj"),
        "coverage_form": CoverageForm(prefix="cov", payers=_payer_choices(user)),
        "prepaid_form": PrepaidForm(
            prefix="pre", plans=list(queries.prepaid_plans_for(user).filter(active=True))
        ),
        "refund_form": RefundForm(prefix="refund"),
        "reverse_form": ReverseForm(prefix="reverse"),
        "may_documents": documents.may_download_superbills(user)
        or documents.may_download_statements(user),
    }
    return render(request, "billing/account.html", context)


@login_required
@require_POST
@requires_by(
    "action",
    {
        "payment": Capability.BILLING_POST_PAYMENT,
        "coverage": Capability.BILLING_POST_PAYMENT,
        "prepaid": Capability.BILLING_POST_PAYMENT,
        "invoice": Capability.BILLING_POST_PAYMENT,
        "adjustment": Capability.BILLING_CORRECT_LEDGER,
        "transfer": Capability.BILLING_CORRECT_LEDGER,
    },
)
def account_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(user, public_id)
    if action == "payment":
        require(user, Capability.BILLING_POST_PAYMENT)
        visits = queries.open_visits_for(user, patient)
        pay = PaymentForm(
            request.POST, prefix="pay", payers=_payer_choices(user), visits=_visits(visits)
        )
        pay.is_valid()
        data = pay.cleaned_data
        payer_id = data.get("payer")
        payer = queries.payers_for(user).filter(public_id=payer_id).first() if payer_id else None
        if request.POST.get("pay-charge") and not data.get("charge"):
            messages.error(request, "For the visit: choose one of the patient's open visits.")
            return redirect("billing:account", public_id=patient.public_id)
        charge = next((c for c in visits if str(c.public_id) == data.get("charge")), None)
        _attempt(
            request,
            lambda: services.record_payment(
                actor=user,
                patient=patient,
                amount=data.get("amount", ""),
                method=data.get("method", ""),
                reference=data.get("reference", ""),
                payer=payer,
                memo=data.get("memo", ""),
                charge=charge,
            ),
            "Payment recorded." if charge is None else "Payment recorded for the visit.",
        )
    elif action == "transfer":
        require(user, Capability.BILLING_CORRECT_LEDGER)
        _attempt(
            request,
            lambda: services.transfer_to_patient(
                actor=user,
                patient=patient,
                amount=request.POST.get("transfer-amount", ""),
                memo=request.POST.get("transfer-memo", ""),
            ),
            "Moved to the patient's part.",
        )
    elif action == "adjustment":
        require(user, Capability.BILLING_CORRECT_LEDGER)
        adj = AdjustmentForm(request.POST, prefix="adj")
        adj.is_valid()
        data = adj.cleaned_data
        _attempt(
            request,
            lambda: services.post_adjustment(
                actor=user,
                patient=patient,
                amount=data.get("amount", ""),
                reason=data.get("reason", ""),
                memo=data.get("memo", ""),
            ),
            "Adjustment posted.",
        )
    elif action == "coverage":
        require(user, Capability.BILLING_POST_PAYMENT)
        cov = CoverageForm(request.POST, prefix="cov", payers=_payer_choices(user))
        if not cov.is_valid():
            for field, errors in cov.errors.items():
                messages.error(request, f"{field}: {' '.join(str(e) for e in errors)}")
        else:
            data = cov.cleaned_data
            payers = queries.payers_for(user)
            payer = payers.filter(public_id=data["payer"]).first() if data["payer"] else None
            _attempt(
                request,
                lambda: services.add_coverage(
                    actor=user,
                    patient=patient,
                    kind=data["kind"],
                    payer=payer,
                    member_id=data["member_id"],
                    group_number=data["group_number"],
                    subscriber_name=data["subscriber_name"],
                    subscriber_relationship=data["subscriber_relationship"],
                    starts_on=data["starts_on"],
                ),
                "Coverage recorded.",
            )
    elif action == "prepaid":  # the plan is looked up among the organization's own
        require(user, Capability.BILLING_POST_PAYMENT)
        plans = queries.prepaid_plans_for(user).filter(active=True)
        form = PrepaidForm(request.POST, prefix="pre", plans=list(plans))
        chosen = (
            plans.filter(public_id=form.cleaned_data["plan"]).first() if form.is_valid() else None
        )
        if chosen is None:
            messages.error(request, "Choose a package or membership.")
        else:
            _attempt(
                request,
                lambda: services.sell_prepaid(actor=user, patient=patient, plan=chosen),
                f"{chosen} sold.",
            )
    else:  # invoice
        require(user, Capability.BILLING_POST_PAYMENT)
        _attempt(
            request,
            lambda: services.issue_invoice(actor=user, patient=patient),
            "Invoice issued.",
        )
    return redirect("billing:account", public_id=patient.public_id)


@login_required
@require_POST
@requires(Capability.BILLING_POST_PAYMENT)
def lifecycle_action(request: HttpRequest, public_id: str, kind: str, action: str) -> HttpResponse:
    """End a coverage, mark it entered in error, or end a package or membership."""
    user = staff_user(request)
    record: Coverage | PatientPrepaid
    if kind == "coverages":
        record = get_object_or_404(queries.coverages_for(user), public_id=public_id)
    else:
        record = get_object_or_404(queries.prepaids_for(user), public_id=public_id)
    get_object_or_404(patients_for(user), pk=record.patient_id)
    if action == "entered-in-error":
        error = EnteredInErrorForm(request.POST, prefix="error")
        if not error.is_valid():
            messages.error(request, "Why it is in error: say why the coverage is in error.")
        elif isinstance(record, Coverage):
            in_error: Coverage = record
            _attempt(
                request,
                lambda: services.mark_coverage_entered_in_error(
                    actor=user, coverage=in_error, reason=error.cleaned_data["reason"]
                ),
                "Coverage marked entered in error: it is no longer used for charges.",
                {"reason": "Why it is in error"},
            )
    else:
        end = EndDateForm(request.POST, prefix="end")
        if not end.is_valid():
            messages.error(request, "Last day: enter a date, e.g. 2026-03-31.")
        elif isinstance(record, Coverage):
            coverage = record
            _attempt(
                request,
                lambda: services.end_coverage(
                    actor=user, coverage=coverage, ends_on=end.cleaned_data["ends_on"]
                ),
                f"Coverage ends on {end.cleaned_data['ends_on']:%Y-%m-%d}.",
                LAST_DAY,
            )
        else:
            prepaid = record
            _attempt(
                request,
                lambda: services.end_prepaid(
                    actor=user, prepaid=prepaid, ends_on=end.cleaned_data["ends_on"]
                ),
                f"{prepaid.plan} ends on {end.cleaned_data['ends_on']:%Y-%m-%d}.",
                LAST_DAY,
            )
    return redirect("billing:account", public_id=record.patient.public_id)


@login_required
@require_POST
@requires(Capability.BILLING_CORRECT_LEDGER)
def entry_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    user = staff_user(request)
    entry = _entry(user, public_id)
    if action == "refund":
        amount = request.POST.get("refund-amount", "")
        memo = request.POST.get("refund-memo", "")
        _attempt(
            request,
            lambda: services.refund_payment(actor=user, payment=entry, amount=amount, memo=memo),
            "Refund recorded.",
        )
    else:
        memo = request.POST.get("reverse-memo", "")
        _attempt(
            request,
            lambda: services.reverse_entry(actor=user, entry=entry, memo=memo),
            "Entry reversed.",
        )
    return redirect("billing:account", public_id=entry.patient.public_id)


# --- settings (read here; changed over the API or these pages by owners and billers) ----


@login_required
@requires(Capability.BILLING_READ_ACCOUNT)
def settings_page(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return render(request, "billing/settings.html", _settings_context(user))


def _settings_context(user: User, bound: BillingIdentifiersForm | None = None) -> dict[str, Any]:
    """The settings page; ``bound``: a location's identifiers form sent back with its
    errors. The tax id is shown in full to owners and billers, masked to everyone else."""
    org = tenant_id(user)
    mapping = services.code_map(org)
    own = set(queries.code_mappings_for(user).values_list("technique", flat=True))
    settings_by_location = {s.location_id: s for s in queries.location_billing_for(user)}
    configure = has_capability(user, Capability.BILLING_CONFIGURE)
    locations: list[dict[str, Any]] = []
    for location in locations_for(user).filter(active=True):
        setting = settings_by_location.get(location.pk)
        ids_form = None
        if configure:
            ids_form = (
                bound
                if bound is not None and bound.data.get("ids-location") == str(location.public_id)
                else BillingIdentifiersForm(
                    prefix="ids",
                    auto_id=_ids_auto_id(location),
                    initial={
                        "location": str(location.public_id),
                        "tax_id": setting.tax_id_display if setting else "",
                        "tax_id_kind": setting.tax_id_kind if setting else "",
                        "billing_npi": setting.billing_npi if setting else "",
                        "facility_npi": setting.facility_npi if setting else "",
                    },
                )
            )
        tax_id = ""
        if setting is not None:
            tax_id = setting.tax_id_display if configure else setting.tax_id_masked
        locations.append(
            {
                "location": location,
                "place_of_service": setting.place_of_service if setting else "11",
                "tax_id": tax_id,
                "tax_id_kind": setting.get_tax_id_kind_display() if setting else "",
                "billing_npi": setting.billing_npi if setting else "",
                "facility_npi": setting.facility_npi if setting else "",
                "ids_form": ids_form,
                "prices": list(queries.self_pay_prices_for(user).filter(location=location)),
                "service_prices": list(
                    queries.service_prices_for(user)
                    .filter(location=location)
                    .select_related("appointment_type")
                ),
            }
        )
    payers = list(queries.payers_for(user).prefetch_related("fees"))
    return {
        "payers": payers,
        "code_map": [
            (catalog().techniques[t], mapping.get(t), t in own) for t in catalog().techniques
        ],
        "locations": locations,
        "plans": list(queries.prepaid_plans_for(user).select_related("location")),
        "forms": _settings_forms(user, payers, [row["location"] for row in locations]),
    }


@login_required
@require_POST
@requires(Capability.BILLING_CONFIGURE)
def settings_identifiers(request: HttpRequest) -> HttpResponse:
    """A location's 1500 identifiers (tax id, billing and facility NPI). A value the
    service refuses is shown on its field, the page answered again with status 400."""
    user = staff_user(request)
    location = (
        locations_for(user)
        .filter(active=True)
        .filter(public_id__in=[_uuid_or_none(request.POST.get("ids-location", ""))])
        .first()
    )
    if location is None:
        messages.error(request, "location: choose one of your organization's locations.")
        return redirect("billing:settings")
    form = BillingIdentifiersForm(request.POST, prefix="ids", auto_id=_ids_auto_id(location))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.set_billing_identifiers(
                actor=user,
                location=location,
                tax_id=data["tax_id"],
                tax_id_kind=data["tax_id_kind"],
                billing_npi=data["billing_npi"],
                facility_npi=data["facility_npi"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, f"Claim identifiers of {location} saved.")
            return redirect("billing:settings")
    context = _settings_context(user, bound=form)
    return render(request, "billing/settings.html", context, status=400)


def _ids_auto_id(location: Location) -> str:
    """Field ids unique on the page, which holds one identifiers form per location."""
    return f"id_{location.public_id.hex[:12]}_%s"


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _settings_forms(
    user: User, payers: list[Any], locations: list[Location], data: Any = None
) -> dict[str, Any]:
    places = list(claim_form().places_of_service.items())
    return {
        "payer": PayerForm(data, prefix="payer"),
        "fee": FeeForm(data, prefix="fee", payers=[(str(p.public_id), p.name) for p in payers]),
        "code_map": CodeMapForm(
            data,
            prefix="map",
            techniques=[(t.id, t.label) for t in catalog().techniques.values()],
        ),
        "location": LocationPriceForm(
            data,
            prefix="loc",
            locations=[(str(loc.public_id), loc.name) for loc in locations],
            places=[(code, f"{code} {label}") for code, label in places],
        ),
        "plan": PrepaidPlanForm(data, prefix="plan"),
        "service_price": ServicePriceForm(
            data,
            prefix="svc",
            locations=[(str(loc.public_id), loc.name) for loc in locations],
            services=[
                (str(t.public_id), f"{t.name} ({t.duration_minutes} min)")
                for t in _service_types(user)
            ],
        ),
    }


def _service_types(user: User) -> list[AppointmentType]:
    return list(AppointmentType.objects.filter(organization_id=tenant_id(user), active=True))


@login_required
@require_POST
@requires(Capability.BILLING_CONFIGURE)
def settings_action(request: HttpRequest, action: str) -> HttpResponse:
    """Owners and billers change the configuration; charges captured earlier keep theirs."""
    user = staff_user(request)
    payers = list(queries.payers_for(user))
    locations = list(locations_for(user).filter(active=True))
    form = _settings_forms(user, payers, locations, request.POST)[action]
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(str(e) for e in errors)}")
        return redirect("billing:settings")
    data = form.cleaned_data
    if action == "payer":
        _attempt(
            request,
            lambda: services.add_payer(
                actor=user,
                name=data["name"],
                payer_code=data["payer_code"],
                unit_rule=data["unit_rule"],
                modifiers=data["modifiers"].split(),
            ),
            f"{data['name']} added.",
        )
    elif action == "fee":
        payer = next(p for p in payers if str(p.public_id) == data["payer"])
        _attempt(
            request,
            lambda: services.set_fee(
                actor=user, payer=payer, code=data["code"], unit_price=data["unit_price"]
            ),
            f"Fee of {data['code'].upper()} for {payer} saved.",
        )
    elif action == "code_map":
        _attempt(
            request,
            lambda: services.map_technique(
                actor=user, technique=data["technique"], code=data["code"]
            ),
            "Technique mapped.",
        )
    elif action == "location":
        location = next(loc for loc in locations if str(loc.public_id) == data["location"])
        if data["place_of_service"]:
            _attempt(
                request,
                lambda: services.set_place_of_service(
                    actor=user, location=location, code=data["place_of_service"]
                ),
                f"Place of service of {location} saved.",
            )
        if data["code"]:
            _attempt(
                request,
                lambda: services.set_self_pay_price(
                    actor=user, location=location, code=data["code"], unit_price=data["unit_price"]
                ),
                f"Self-pay price at {location} saved.",
            )
    elif action == "service_price":
        location = next(loc for loc in locations if str(loc.public_id) == data["location"])
        kind = next(t for t in _service_types(user) if str(t.public_id) == data["service"])
        _attempt(
            request,
            lambda: services.set_service_price(
                actor=user, location=location, appointment_type=kind, price=data["price"]
            ),
            f"Self-pay price of {kind.name} at {location} saved.",
        )
    else:
        _attempt(
            request,
            lambda: services.add_prepaid_plan(
                actor=user,
                kind=data["kind"],
                name=data["name"],
                visits=data["visits"],
                minutes_per_visit=data["minutes_per_visit"],
                price=data["price"],
            ),
            f"{data['name']} added.",
        )
    return redirect("billing:settings")
