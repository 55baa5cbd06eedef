"""The claims export over the API, persona by persona: owners and billers get the JSON
export of the period (audited as an export); other roles 403; another organization its
own (empty) export; the anonymous 401; a bad period or payer 422 naming the field."""

from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import exports
from palpa.billing import services as billing
from palpa.billing.tests.documents_support import MEMBER_ID, VISITS, Billed, insured_course
from palpa.core.npi import make_npi
from palpa.core.tests.support import TODAY, api_as, api_for, error_fields, matrix
from palpa.patients.models import Patient

OPERATIONS = {("get", "/api/v1/billing/claims")}

START = TODAY - dt.timedelta(days=30)
PERIOD = {"start": START.isoformat(), "end": TODAY.isoformat()}
WHO_MAY = {
    "owner": 200,
    "biller": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "outsider": 200,  # their own organization's claims: none
    "anonymous": 401,
}


@pytest.fixture
def billed(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> Billed:
    return insured_course(
        owner=owner, therapist=therapist, biller=biller, patient=patient, location=location
    )


def _exports() -> int:
    return AuditEvent.objects.filter(action="export", object_type="ClaimsExport").count()


@pytest.mark.parametrize("transport", ["token", "session"])
@pytest.mark.parametrize(("who", "status"), matrix(WHO_MAY))
def test_each_persona_may_or_may_not_export_claims(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, billed: Billed
) -> None:
    response = api_as(request, who, transport).get("/billing/claims", PERIOD)
    assert response.status_code == status, response.content
    assert _exports() == (1 if status == 200 else 0)
    if status != 200:
        return
    body = response.json()
    assert body["form"] == "NUCC 1500 Health Insurance Claim Form 02/12"
    assert body["period"] == PERIOD
    assert [c["key"] for c in body["columns"]] == [c.key for c in exports.COLUMNS]
    if who == "outsider":
        assert body["claims"] == []
        return
    assert [c["claim_id"] for c in body["claims"]] == [str(c.public_id) for c in billed.charges]
    claim = body["claims"][0]
    assert claim["insured_id"] == MEMBER_ID
    assert claim["lines"][0]["date_from"] == VISITS[0].isoformat()
    assert "item 33a: the billing provider's NPI is not recorded" in claim["problems"]
    event = AuditEvent.objects.get(action="export", object_type="ClaimsExport")
    assert event.detail["claims"] == 2
    assert event.detail["patients"] == [billed.patient.mrn]


def test_the_export_carries_the_locations_claim_identifiers(
    billed: Billed, biller: User, location: Location
) -> None:
    npi = make_npi("271828182")
    billing.set_billing_identifiers(
        actor=biller, location=location, tax_id="591234567", tax_id_kind="ein", billing_npi=npi
    )
    claims = api_for(biller, "token").get("/billing/claims", PERIOD).json()["claims"]
    assert {(c["federal_tax_id"], c["federal_tax_id_kind"]) for c in claims} == {
        ("591234567", "EIN")
    }
    assert {c["billing_provider_npi"] for c in claims} == {npi}
    assert all(c["problems"] == [] for c in claims)


def test_the_export_keeps_to_one_payer_when_asked(billed: Billed, biller: User) -> None:
    assert billed.payer is not None
    api = api_for(biller, "token")
    found = api.get("/billing/claims", {**PERIOD, "payer": str(billed.payer.public_id)})
    assert len(found.json()["claims"]) == 2
    other = billing.add_payer(actor=biller, name="Another Plan")
    none = api.get("/billing/claims", {**PERIOD, "payer": str(other.public_id)})
    assert none.json()["claims"] == []


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"end": TODAY.isoformat()}, {"start"}),
        ({"start": START.isoformat()}, {"end"}),
        ({"start": "2026-02-30", "end": TODAY.isoformat()}, {"start"}),
        ({"start": TODAY.isoformat(), "end": START.isoformat()}, {"end"}),  # backwards
        ({"start": "2025-01-01", "end": TODAY.isoformat()}, {"end"}),  # more than 366 days
        ({**PERIOD, "payer": "not-a-uuid"}, {"payer"}),
        ({**PERIOD, "payer": "3f1c7a52-8a4e-4c1b-9a53-0c6f3f0b9d21"}, {"payer"}),  # not ours
    ],
)
def test_a_bad_period_or_payer_is_422_naming_the_field(
    billed: Billed, biller: User, params: dict[str, str], fields: set[str]
) -> None:
    response = api_for(biller, "token").get("/billing/claims", params)
    assert error_fields(response) == fields
    assert _exports() == 0


def test_another_organizations_payer_is_422_and_exports_nothing(
    billed: Billed, outsider: User
) -> None:
    assert billed.payer is not None
    params = {**PERIOD, "payer": str(billed.payer.public_id)}
    response = api_for(outsider, "token").get("/billing/claims", params)
    assert error_fields(response) == {"payer"}
    assert _exports() == 0
