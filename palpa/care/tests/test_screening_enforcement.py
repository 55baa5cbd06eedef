"""Safety screening enforced on treatment notes: no screening or an open STOP/CLEARANCE
refuses signing, a whole-body STOP or an emergency refuses starting, and restricted
techniques are refused naming the field and the rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.care.catalog import catalog
from palpa.care.models import TreatmentNote
from palpa.care.notes import services as note_services
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from palpa.screening import mapping
from palpa.screening.rules import default_rule_set
from palpa.screening.services import (
    ScreeningRefused,
    confirm_no_change,
    record_clearance,
    record_screening,
)
from palpa.screening.tests.support import (
    facts_clearance,
    facts_emergency,
    facts_modify,
    facts_stop_neck,
    facts_stop_whole_body,
    letter,
    make_physician,
)

JSON = "application/json"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def newcomer(owner: User, location: Location) -> Patient:
    """A patient nobody has screened yet."""
    return create_patient(
        actor=owner,
        given_name="Nora",
        family_name="Newcomer",
        date_of_birth=dt.date(1985, 6, 1),
        primary_location=location,
    )


def today() -> dt.date:
    return clinic_today()


def _note(therapist: User, patient: Patient, location: Location) -> TreatmentNote:
    return note_services.start_note(
        actor=therapist, patient=patient, location=location, visit_date=today()
    )


def _technique(therapist: User, note: TreatmentNote, **entry: str) -> None:
    fields = {"technique": "swedish", "region": "upper_back", "pressure": "light"} | entry
    note_services.add_technique(actor=therapist, note=note, minutes=20, **fields)


def test_every_catalog_region_technique_pressure_and_tool_is_mapped() -> None:
    cat = catalog()
    assert set(mapping.REGIONS) == set(cat.regions)
    assert set(mapping.TECHNIQUES) == set(cat.techniques)
    assert set(mapping.PRESSURES) == set(cat.pressures)
    assert set(mapping.TOOLS) == set(cat.tools)
    screening_regions = set(default_rule_set().regions)
    for region, info in cat.regions.items():
        for side in ("left", "right", "bilateral") if info.paired else ("",):
            mapped = mapping.screening_regions(region, side)
            assert mapped, (region, side)
            assert set(mapped) <= screening_regions, (region, side)
    techniques = set(default_rule_set().techniques)
    for table in (mapping.TECHNIQUES, mapping.PRESSURES, mapping.TOOLS):
        assert {code for codes in table.values() for code in codes} <= techniques


def test_a_note_without_any_screening_cannot_be_signed(
    therapist: User, newcomer: Patient, location: Location
) -> None:
    note = _note(therapist, newcomer, location)  # starting is allowed
    _technique(therapist, note)
    with pytest.raises(ScreeningRefused, match="A safety screening is needed"):
        note_services.sign_note(actor=therapist, note=note)
    note.refresh_from_db()
    assert note.status == TreatmentNote.Status.DRAFT
    record_screening(actor=therapist, patient=newcomer, facts={})
    note_services.sign_note(actor=therapist, note=note)
    assert note.status == TreatmentNote.Status.SIGNED


def test_a_later_visit_is_signed_after_the_no_change_confirmation(
    therapist: User, newcomer: Patient, location: Location
) -> None:
    record_screening(
        actor=therapist,
        patient=newcomer,
        facts={"as_of": (today() - dt.timedelta(days=14)).isoformat()},
    )
    note = _note(therapist, newcomer, location)
    _technique(therapist, note)
    with pytest.raises(ScreeningRefused, match="has not changed"):
        note_services.sign_note(actor=therapist, note=note)
    confirm_no_change(actor=therapist, patient=newcomer, on=today())
    note_services.sign_note(actor=therapist, note=note)


def test_clearance_refuses_signing_until_the_physicians_clearance_is_recorded(
    owner: User, therapist: User, newcomer: Patient, location: Location
) -> None:
    screening = record_screening(actor=therapist, patient=newcomer, facts=facts_clearance(today()))
    note = _note(therapist, newcomer, location)
    _technique(therapist, note)
    with pytest.raises(ScreeningRefused, match="needs a physician's clearance") as refused:
        note_services.sign_note(actor=therapist, note=note)
    assert refused.value.code == "screening"
    assert "dvt_known" in str(refused.value)
    record_clearance(
        actor=therapist,
        screening=screening,
        physician=make_physician(owner),
        cleared_on=today(),
        scope="Massage with light pressure",
        letter=letter(),
    )
    note_services.sign_note(actor=therapist, note=note)
    assert note.status == TreatmentNote.Status.SIGNED


def test_restricted_pressure_technique_and_tool_are_refused_naming_field_and_rule(
    therapist: User, newcomer: Patient, location: Location
) -> None:
    record_screening(actor=therapist, patient=newcomer, facts=facts_modify())
    note = _note(therapist, newcomer, location)
    with pytest.raises(ValidationError) as deep:
        _technique(therapist, note, pressure="deep")
    assert set(deep.value.message_dict) == {"pressure"}
    [message] = deep.value.message_dict["pressure"]
    assert "rules out deep pressure anywhere" in message
    assert "rule bleeding_risk" in message
    with pytest.raises(ValidationError) as tissue:
        _technique(therapist, note, technique="deep_tissue", pressure="moderate")
    assert set(tissue.value.message_dict) == {"technique"}
    with pytest.raises(ValidationError) as tool:
        _technique(therapist, note, tool="foam_roller")
    assert set(tool.value.message_dict) == {"tool"}
    assert "massage tools" in tool.value.message_dict["tool"][0]
    assert not note.techniques.exists()
    _technique(therapist, note, pressure="moderate")  # gentle work is fine
    assert note.techniques.count() == 1


def test_a_restriction_on_one_limb_follows_the_side(
    therapist: User, newcomer: Patient, location: Location
) -> None:
    record_screening(
        actor=therapist,
        patient=newcomer,
        facts={"conditions": [{"code": "lymphedema", "regions": ["left_upper_limb"]}]},
    )
    note = _note(therapist, newcomer, location)
    for region, side in (("forearm", "left"), ("hand", "left"), ("upper_arm", "bilateral")):
        with pytest.raises(ValidationError) as refused:
            _technique(therapist, note, region=region, side=side, pressure="firm")
        assert "on the left arm (rule lymphedema" in refused.value.message_dict["pressure"][0]
    _technique(therapist, note, region="forearm", side="right", pressure="firm")
    _technique(therapist, note, region="forearm", side="left", pressure="light")


def test_a_regional_stop_refuses_that_region_and_signing_but_not_starting(
    therapist: User, newcomer: Patient, location: Location
) -> None:
    record_screening(actor=therapist, patient=newcomer, facts=facts_stop_neck())
    note = _note(therapist, newcomer, location)
    with pytest.raises(ValidationError) as neck:
        _technique(therapist, note, region="neck")
    [message] = neck.value.message_dict["region"]
    assert "rules out massage of any kind on the neck (rule neck_trauma" in message
    _technique(therapist, note, region="upper_back")
    with pytest.raises(ScreeningRefused, match="says STOP"):
        note_services.sign_note(actor=therapist, note=note)


@pytest.mark.parametrize("facts", [facts_stop_whole_body(), facts_emergency()])
def test_a_whole_body_stop_or_an_emergency_refuses_starting_a_note(
    therapist: User, newcomer: Patient, location: Location, facts: dict[str, Any]
) -> None:
    record_screening(actor=therapist, patient=newcomer, facts=facts)
    with pytest.raises(ScreeningRefused, match="no massage today"):
        _note(therapist, newcomer, location)
    assert not TreatmentNote.objects.filter(patient=newcomer).exists()


def test_the_api_answers_409_for_signing_and_422_naming_the_field_for_techniques(
    therapist: User,
    newcomer: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    created = client.post(
        f"/api/v1/patients/{newcomer.public_id}/notes",
        {"location": str(location.public_id), "visit_date": today().isoformat()},
        content_type=JSON,
    ).json()
    client.post(
        f"/api/v1/notes/{created['id']}/techniques",
        {"technique": "swedish", "region": "neck", "minutes": 10, "pressure": "light"},
        content_type=JSON,
    )
    unscreened = client.post(f"/api/v1/notes/{created['id']}/sign")
    assert unscreened.status_code == 409
    assert unscreened.json()["code"] == "screening"
    assert "A safety screening is needed" in unscreened.json()["detail"]

    record_screening(actor=therapist, patient=newcomer, facts=facts_modify())
    refused = client.post(
        f"/api/v1/notes/{created['id']}/techniques",
        {"technique": "swedish", "region": "neck", "minutes": 10, "pressure": "deep"},
        content_type=JSON,
    )
    assert refused.status_code == 422
    [item] = refused.json()["detail"]
    assert item["loc"] == ["body", "pressure"]
    assert "bleeding_risk" in item["msg"]
    assert client.post(f"/api/v1/notes/{created['id']}/sign").status_code == 200

    record_screening(actor=therapist, patient=newcomer, facts=facts_stop_whole_body())
    stopped = client.post(
        f"/api/v1/patients/{newcomer.public_id}/notes",
        {"location": str(location.public_id), "visit_date": today().isoformat()},
        content_type=JSON,
    )
    assert stopped.status_code == 409
    assert stopped.json()["code"] == "screening"
