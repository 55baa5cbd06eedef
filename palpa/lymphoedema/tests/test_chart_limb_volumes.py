"""The chart's "Limb volumes" section: clinical roles see each signed sitting's volumes,
excess and change since the first; front desk and biller do not; one query."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from palpa.accounts.models import Location, User
from palpa.core.tests.support import web_client
from palpa.lymphoedema.chart_section import section
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.tests.support import signed
from palpa.patients.models import Patient


@pytest.fixture
def sittings(therapist: User, patient: Patient, location: Location) -> None:
    signed(therapist, patient, location, days_ago=28)
    signed(therapist, patient, location, left_circumferences_cm=[21.5, 23.5, 26.0, 29.0])
    signed(therapist, patient, location, interval_cm=5.0)


@pytest.mark.parametrize(
    ("who", "shown"),
    [("owner", True), ("therapist", True), ("front_desk", False), ("biller", False)],
)
def test_who_sees_the_limb_volumes_on_the_chart(
    request: pytest.FixtureRequest, who: str, shown: bool, sittings: None, patient: Patient
) -> None:
    body = web_client(request, who).get(f"/patients/{patient.public_id}/").content.decode()
    assert ("Limb volumes" in body) is shown
    if shown:
        assert "First sitting (the baseline of both limbs)." in body
        first_day = LimbMeasurement.objects.filter(patient=patient).earliest("measured_on")
        assert (
            f"Change in excess volume since {first_day.measured_on:%b} "
            f"{first_day.measured_on.day}, {first_day.measured_on.year}: -50.8 %"
        ) in body
        assert "relative volume change against the first sitting: -5.9 %" in body
        assert "interval (4 cm vs 5 cm)" in body
        part = body.split('id="limb-volumes"')[1].split("</section>")[0]
        # only a practitioner records (the owner here is not one)
        assert ("Record limb measurements" in part) is (who == "therapist")
        part = re.sub(r'href="[^"]*"', "", part)  # ids only in links, never shown
        assert not any(
            str(m.public_id) in part for m in LimbMeasurement.objects.filter(patient=patient)
        )


def test_the_section_reads_its_sittings_in_one_query_and_checks_who_records(
    therapist: User, sittings: None, patient: Patient
) -> None:
    with CaptureQueriesContext(connection) as captured:
        context = section(therapist, patient)
    assert context is not None
    assert len(context["rows"]) == 3  # type: ignore[arg-type]
    # the sittings (and drafts) in one query, whether the reader may record one, and the
    # garments (with their fittings) in one query, and the CDT course in one
    assert len(captured.captured_queries) == 4


def test_no_sittings_the_section_offers_to_record(therapist: User, patient: Patient) -> None:
    context = section(therapist, patient)
    assert context is not None
    assert context["rows"] == []
    assert context["can_record"] is True
