"""Links from the billing screens to the billing documents, persona by persona: each is
shown only to whoever may use it (``documents.may_download_superbills`` /
``may_download_statements``, ``exports.may_export_claims``), and where it is shown it
works."""

from __future__ import annotations

import pytest
from django.urls import reverse

from palpa.accounts.models import Location, User
from palpa.billing.models import Charge
from palpa.billing.tests.documents_support import Billed, insured_course
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.patients.models import Patient

PAGE = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 404,
    "anonymous": 302,
}
CHARGE_PAGE = {**PAGE, "front_desk": 403}
READY_QUEUE = {**CHARGE_PAGE, "outsider": 200}  # the outsider's own (empty) queue


@pytest.fixture
def billed(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> Billed:
    """Two ready charges of visits the persona ``therapist`` gave."""
    return insured_course(
        owner=owner, therapist=therapist, biller=biller, patient=patient, location=location
    )


@pytest.mark.parametrize(("who", "status"), matrix(PAGE))
def test_the_account_links_to_the_documents_for_whoever_may_download_one(
    request: pytest.FixtureRequest, who: str, status: int, billed: Billed
) -> None:
    client = web_client(request, who)
    response = client.get(reverse("billing:account", args=[billed.patient.public_id]))
    assert_answer(response, who, status)
    if status != 200:
        return
    link = reverse("billing:documents", args=[billed.patient.public_id])
    # Every staff role may download one of the two (superbills: owner, biller, therapists
    # for their own visits; statements: owner, biller, front desk), so all see the link.
    assert link.encode() in response.content
    page = client.get(link)
    assert page.status_code == 200
    assert (b"superbill.pdf" in page.content) == (who != "front_desk")
    assert (b"statement.pdf" in page.content) == (who not in {"therapist", "other_therapist"})


@pytest.mark.parametrize(("who", "status"), matrix(CHARGE_PAGE))
def test_a_ready_charge_links_to_its_superbill_for_whoever_may_download_it(
    request: pytest.FixtureRequest, who: str, status: int, billed: Billed
) -> None:
    charge = billed.charges[0]
    client = web_client(request, who)
    response = client.get(reverse("billing:charge", args=[charge.public_id]))
    assert_answer(response, who, status)
    if status != 200:
        return
    link = reverse("billing:superbill_visit", args=[charge.public_id])
    shown = who in {"owner", "biller", "therapist"}  # the therapist gave this visit
    assert (link.encode() in response.content) == shown
    pdf = client.get(link)
    assert pdf.status_code == (200 if shown else 403)
    if shown:
        assert pdf.content.startswith(b"%PDF")


def test_a_charge_still_to_review_has_no_superbill_link(
    client_for: object, biller: User, billed: Billed
) -> None:
    charge = billed.charges[0]
    Charge.objects.filter(pk=charge.pk).update(status=Charge.Status.TO_REVIEW)
    response = client_for(biller).get(  # type: ignore[operator]
        reverse("billing:charge", args=[charge.public_id])
    )
    assert response.status_code == 200
    assert b"superbill.pdf" not in response.content


@pytest.mark.parametrize(("who", "status"), matrix(READY_QUEUE))
def test_the_ready_to_bill_screen_links_to_the_claims_export_for_owners_and_billers(
    request: pytest.FixtureRequest, who: str, status: int, billed: Billed
) -> None:
    client = web_client(request, who)
    response = client.get(reverse("billing:charges"), {"status": "ready"})
    assert_answer(response, who, status)
    if status != 200:
        return
    link = reverse("billing:claims_export")
    shown = who in {"owner", "biller", "outsider"}  # the outsider is their clinic's owner
    assert (f'href="{link}"'.encode() in response.content) == shown
    assert client.get(link).status_code == (200 if shown else 403)
    to_review = client.get(reverse("billing:charges"), {"status": "to_review"})
    assert f'href="{link}"'.encode() not in to_review.content
