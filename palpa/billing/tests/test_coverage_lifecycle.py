"""Ending a coverage, marking one entered in error, and ending a package or membership:
on the account page and over the API, persona by persona, and what it changes for the
visits that follow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import services
from palpa.billing.models import Coverage, PatientPrepaid, Payer, PrepaidPlan
from palpa.billing.queries import coverage_on
from palpa.billing.tests.support import charge_of, sign_visit
from palpa.core.tests.support import (
    TODAY,
    api_as,
    api_for,
    assert_answer,
    error_fields,
    matrix,
    web_client,
)
from palpa.patients.models import Patient

TAKERS = {
    "owner": 200,
    "front_desk": 200,
    "biller": 200,
    "therapist": 403,
    "other_therapist": 403,
    "outsider": 404,
    "anonymous": 401,
}
PAGE_TAKERS = {**TAKERS, "owner": 302, "front_desk": 302, "biller": 302, "anonymous": 302}


@pytest.fixture
def package(owner: User, front_desk: User, patient: Patient) -> PatientPrepaid:
    plan = services.add_prepaid_plan(
        actor=owner, kind="package", name="5 x 60", visits=5, price="400.00"
    )
    return services.sell_prepaid(
        actor=front_desk, patient=patient, plan=plan, starts_on=TODAY - dt.timedelta(days=10)
    )


def _post(request: pytest.FixtureRequest, who: str, path: str, body: dict[str, Any]) -> Any:
    return api_as(request, who, "token").post(path, body)


# --- the API, persona by persona ---------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), matrix(TAKERS))
def test_each_persona_may_or_may_not_end_a_coverage_over_the_api(
    request: pytest.FixtureRequest, who: str, status: int, insured: Coverage
) -> None:
    ends_on = TODAY - dt.timedelta(days=1)
    body = {"ends_on": ends_on.isoformat()}
    response = _post(request, who, f"/billing/coverages/{insured.public_id}/end", body)
    assert response.status_code == status, response.content
    insured.refresh_from_db()
    assert (insured.ends_on == ends_on) == (status == 200)
    if status == 200:
        assert response.json()["status"] == "ended"
        assert AuditEvent.objects.filter(
            action="update", object_type="Coverage", detail__ends_on=ends_on.isoformat()
        ).exists()


@pytest.mark.parametrize(("who", "status"), matrix(TAKERS))
def test_each_persona_may_or_may_not_mark_a_coverage_entered_in_error_over_the_api(
    request: pytest.FixtureRequest, who: str, status: int, insured: Coverage
) -> None:
    url = f"/billing/coverages/{insured.public_id}/entered-in-error"
    response = _post(request, who, url, {"reason": "Typed on the wrong patient."})
    assert response.status_code == status, response.content
    insured.refresh_from_db()
    assert (insured.status == "entered-in-error") == (status == 200)
    if status == 200:
        assert response.json()["status_reason"] == "Typed on the wrong patient."
        assert AuditEvent.objects.filter(action="delete", object_type="Coverage").exists()


@pytest.mark.parametrize(("who", "status"), matrix(TAKERS))
def test_each_persona_may_or_may_not_end_a_package_over_the_api(
    request: pytest.FixtureRequest, who: str, status: int, package: PatientPrepaid
) -> None:
    body = {"ends_on": TODAY.isoformat()}
    response = _post(request, who, f"/billing/prepaids/{package.public_id}/end", body)
    assert response.status_code == status, response.content
    package.refresh_from_db()
    assert (package.ends_on == TODAY) == (status == 200)
    if status == 200:
        assert AuditEvent.objects.filter(action="update", object_type="PatientPrepaid").exists()


def test_ending_a_coverage_before_it_starts_is_422_naming_the_field(
    biller: User, insured: Coverage
) -> None:
    api = api_for(biller, "token")
    early = (insured.starts_on - dt.timedelta(days=1)).isoformat()
    url = f"/billing/coverages/{insured.public_id}/end"
    assert error_fields(api.post(url, {"ends_on": early})) == {"ends_on"}
    assert error_fields(api.post(url, {"ends_on": "31/03/2026"})) == {"ends_on"}
    insured.refresh_from_db()
    assert (insured.ends_on, insured.status) == (None, "active")


def test_entered_in_error_without_a_reason_is_422(biller: User, insured: Coverage) -> None:
    api = api_for(biller, "token")
    url = f"/billing/coverages/{insured.public_id}/entered-in-error"
    assert error_fields(api.post(url, {"reason": ""})) == {"reason"}
    assert error_fields(api.post(url, {})) == {"reason"}
    insured.refresh_from_db()
    assert insured.status == "active"


def test_ending_a_package_before_it_started_is_422(biller: User, package: PatientPrepaid) -> None:
    api = api_for(biller, "token")
    early = (package.starts_on - dt.timedelta(days=1)).isoformat()
    url = f"/billing/prepaids/{package.public_id}/end"
    assert error_fields(api.post(url, {"ends_on": early})) == {"ends_on"}


def test_an_ended_package_is_not_ended_again(biller: User, package: PatientPrepaid) -> None:
    api = api_for(biller, "token")
    url = f"/billing/prepaids/{package.public_id}/end"
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    assert api.post(url, {"ends_on": yesterday}).json()["status"] == "ended"
    assert api.post(url, {"ends_on": TODAY.isoformat()}).status_code == 409


# --- what it changes --------------------------------------------------------------------


def test_an_ended_coverage_is_not_used_after_its_last_day(
    owner: User, biller: User, patient: Patient, insured: Coverage
) -> None:
    services.end_coverage(actor=biller, coverage=insured, ends_on=TODAY - dt.timedelta(days=3))
    assert coverage_on(patient, TODAY - dt.timedelta(days=3)) == insured
    assert coverage_on(patient, TODAY - dt.timedelta(days=2)) is None
    assert insured.status == "ended"


def test_a_coverage_ending_later_stays_active_until_then(
    biller: User, patient: Patient, insured: Coverage
) -> None:
    services.end_coverage(actor=biller, coverage=insured, ends_on=TODAY + dt.timedelta(days=7))
    assert insured.status == "active"
    assert coverage_on(patient, TODAY + dt.timedelta(days=7)) == insured
    assert coverage_on(patient, TODAY + dt.timedelta(days=8)) is None


def test_a_coverage_entered_in_error_is_never_used_and_stays_listed(
    biller: User,
    therapist: User,
    patient: Patient,
    location: Location,
    insured: Coverage,
    self_pay_prices: None,
) -> None:
    services.mark_coverage_entered_in_error(
        actor=biller, coverage=insured, reason="Typed on the wrong patient."
    )
    assert coverage_on(patient, TODAY) is None
    charge = charge_of(sign_visit(therapist, patient, location, (("swedish", 30),)))
    assert (charge.coverage, charge.payer) == (None, None)
    assert Coverage.objects.filter(pk=insured.pk, status="entered-in-error").exists()
    body = api_for(biller, "token").get(f"/patients/{patient.public_id}/account").json()
    assert [c["status"] for c in body["coverages"]] == ["entered-in-error"]


def test_an_ended_package_draws_no_more_visits(
    biller: User,
    therapist: User,
    patient: Patient,
    location: Location,
    package: PatientPrepaid,
    self_pay_prices: None,
) -> None:
    services.end_prepaid(actor=biller, prepaid=package, ends_on=TODAY - dt.timedelta(days=1))
    assert package.status == "ended"
    after = sign_visit(therapist, patient, location, (("swedish", 60),))
    assert services.mark_charge_ready(actor=biller, charge=charge_of(after)).prepaid is None
    assert services.visits_left(package, TODAY) == 5


def test_a_membership_ending_later_still_draws_until_its_last_day(
    owner: User,
    front_desk: User,
    biller: User,
    therapist: User,
    patient: Patient,
    location: Location,
    self_pay_prices: None,
) -> None:
    plan: PrepaidPlan = services.add_prepaid_plan(
        actor=owner, kind="membership", name="Monthly", visits=2, price="70.00"
    )
    membership = services.sell_prepaid(actor=front_desk, patient=patient, plan=plan)
    services.end_prepaid(actor=biller, prepaid=membership, ends_on=TODAY)
    assert membership.status == "active"
    visit = sign_visit(therapist, patient, location, (("swedish", 60),))
    assert services.mark_charge_ready(actor=biller, charge=charge_of(visit)).prepaid == membership


# --- the account page -------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), matrix(PAGE_TAKERS))
def test_each_persona_may_or_may_not_end_a_coverage_on_the_account_page(
    request: pytest.FixtureRequest, who: str, status: int, insured: Coverage
) -> None:
    url = f"/billing/coverages/{insured.public_id}/end/"
    response = web_client(request, who).post(url, {"end-ends_on": TODAY.isoformat()})
    assert_answer(response, who, status)
    insured.refresh_from_db()
    assert (insured.ends_on == TODAY) == (status == 302 and who != "anonymous")


@pytest.mark.parametrize(("who", "status"), matrix(PAGE_TAKERS))
def test_each_persona_may_or_may_not_mark_a_coverage_in_error_on_the_account_page(
    request: pytest.FixtureRequest, who: str, status: int, insured: Coverage
) -> None:
    url = f"/billing/coverages/{insured.public_id}/entered-in-error/"
    response = web_client(request, who).post(url, {"error-reason": "Wrong patient."})
    assert_answer(response, who, status)
    insured.refresh_from_db()
    assert (insured.status == "entered-in-error") == (status == 302 and who != "anonymous")


@pytest.mark.parametrize(("who", "status"), matrix(PAGE_TAKERS))
def test_each_persona_may_or_may_not_end_a_package_on_the_account_page(
    request: pytest.FixtureRequest, who: str, status: int, package: PatientPrepaid
) -> None:
    url = f"/billing/prepaids/{package.public_id}/end/"
    response = web_client(request, who).post(url, {"end-ends_on": TODAY.isoformat()})
    assert_answer(response, who, status)
    package.refresh_from_db()
    assert (package.ends_on == TODAY) == (status == 302 and who != "anonymous")


def test_the_buttons_show_only_to_those_who_may_use_them(
    request: pytest.FixtureRequest, insured: Coverage, package: PatientPrepaid, patient: Patient
) -> None:
    url = f"/billing/patients/{patient.public_id}/"
    page = web_client(request, "biller").get(url).content.decode()
    assert "End coverage" in page
    assert "Mark entered in error" in page
    assert "End package" in page
    assert f'value="{TODAY.isoformat()}"' in page  # the clinic's today by default
    seen = web_client(request, "therapist").get(url).content.decode()
    assert "End coverage" not in seen
    assert "Entered in error" not in seen
    assert "End package" not in seen


def test_a_refused_end_names_the_field_and_saves_nothing(
    request: pytest.FixtureRequest, insured: Coverage, patient: Patient, payer: Payer
) -> None:
    client = web_client(request, "biller")
    early = (insured.starts_on - dt.timedelta(days=1)).isoformat()
    url = f"/billing/coverages/{insured.public_id}/end/"
    page = client.post(url, {"end-ends_on": early}, follow=True).content.decode()
    assert "Last day: Coverage ends on or after the day it starts." in page
    page = client.post(
        f"/billing/coverages/{insured.public_id}/entered-in-error/",
        {"error-reason": " "},
        follow=True,
    ).content.decode()
    assert "Why it is in error:" in page
    insured.refresh_from_db()
    assert (insured.ends_on, insured.status) == (None, "active")


def test_a_coverage_in_error_shows_as_such_with_its_reason(
    request: pytest.FixtureRequest, biller: User, insured: Coverage, patient: Patient
) -> None:
    services.mark_coverage_entered_in_error(actor=biller, coverage=insured, reason="Wrong patient.")
    page = web_client(request, "biller").get(f"/billing/patients/{patient.public_id}/")
    text = page.content.decode()
    assert "Entered in error: Wrong patient." in text
    assert "End coverage" not in text


def test_another_organizations_coverage_is_404_on_the_page(
    request: pytest.FixtureRequest, outsider: User, insured: Coverage
) -> None:
    client = web_client(request, "outsider")
    url = f"/billing/coverages/{insured.public_id}/entered-in-error/"
    assert client.post(url, {"error-reason": "x"}).status_code == 404


def test_a_charge_on_a_coverage_that_ended_before_the_visit_asks_for_recalculation(
    biller: User,
    therapist: User,
    patient: Patient,
    location: Location,
    insured: Coverage,
    self_pay_prices: None,
) -> None:
    charge = charge_of(sign_visit(therapist, patient, location, (("swedish", 30),)))
    assert charge.coverage == insured
    services.end_coverage(actor=biller, coverage=insured, ends_on=TODAY - dt.timedelta(days=1))
    charge.refresh_from_db()
    assert "The coverage ended before this visit; recalculate." in services.blocking_problems(
        charge
    )
    recalculated = services.recalculate_charge(actor=biller, charge=charge)
    assert (recalculated.coverage, recalculated.payer) == (None, None)


def test_an_ended_membership_bills_no_month_after_its_last(
    owner: User, front_desk: User, biller: User, patient: Patient
) -> None:
    plan = services.add_prepaid_plan(
        actor=owner, kind="membership", name="Monthly", visits=1, price="70.00"
    )
    membership = services.sell_prepaid(actor=front_desk, patient=patient, plan=plan)
    services.end_prepaid(actor=biller, prepaid=membership, ends_on=TODAY + dt.timedelta(days=5))
    with pytest.raises(services.LedgerRefused):
        services.bill_membership_month(
            actor=biller, prepaid=membership, month=TODAY + dt.timedelta(days=40)
        )
