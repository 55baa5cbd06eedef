"""What is seen, felt and said at a sitting besides the limb's size: ISL stage, Stemmer
sign, pitting, skin and the patient's heaviness and tightness ratings. Each choice comes
from the data file with its source; a bad value is refused naming the field and nothing
is saved; the findings are part of what the signature covers (a sitting without them
hashes as before they existed); the page, its detail and the chart show them, and a
sign of infection says that MLD stops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.core import records
from palpa.core.tests.support import api_for, error_fields, verified_session
from palpa.lymphoedema.findings import FindingsError, load_findings
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.services import (
    CONTENT_FIELDS,
    measurement_content,
    record_measurement,
    sign_measurement,
)
from palpa.lymphoedema.tests.support import AFFECTED, UNAFFECTED, signed, tape
from palpa.patients.models import Patient

DATA = Path(__file__).resolve().parents[1] / "data" / "findings.json"


def _client(user: User) -> Client:
    return verified_session(user, enforce_csrf=False)


def _form(location: Location, action: str = "save", **over: str | list[str]) -> dict[str, object]:
    data: dict[str, object] = {
        "action": action,
        "measured_on": "2026-03-02",
        "location": str(location.public_id),
        "region": "arm",
        "affected_side": "left",
        "method": "tape",
        "landmark": "wrist",
        "interval_cm": "4",
        "points": "4",
    }
    for i, (a, u) in enumerate(zip(AFFECTED, UNAFFECTED, strict=True)):
        data[f"left_{i}"] = f"{a:g}"
        data[f"right_{i}"] = f"{u:g}"
    return {**data, **over}


def _new(patient: Patient) -> str:
    return f"/patients/{patient.public_id}/limb-measurements/new/"


def test_every_choice_names_its_source() -> None:
    findings = load_findings()
    assert findings.codes("isl_stages") == ("0", "I", "II", "III")
    for kind in ("isl_stages", "stemmer_sign", "pitting", "skin"):
        for choice in getattr(findings, kind):
            assert choice.source
            assert choice.tag in ("V", "P")
    assert all(r.source for r in findings.ratings)
    assert [(r.key, r.low, r.high) for r in findings.ratings] == [
        ("heaviness", 0, 10),
        ("tightness", 0, 10),
    ]


@pytest.mark.parametrize(
    ("change", "place"),
    [
        (lambda d: d["isl_stages"][0].update(source="nowhere"), "isl_stages[0].source"),
        (lambda d: d["skin"].append(dict(d["skin"][0])), "skin: codes repeat"),
        (lambda d: d["ratings"]["heaviness"].update(max=0), "ratings.heaviness"),
        (lambda d: d["skin"][1].update(alert="Stop."), "skin[1].alert_source"),
    ],
)
def test_a_broken_data_file_is_refused_naming_the_place(
    tmp_path: Path, change: object, place: str
) -> None:
    data = json.loads(DATA.read_text())
    change(data)  # type: ignore[operator]
    broken = tmp_path / "findings.json"
    broken.write_text(json.dumps(data))
    with pytest.raises(FindingsError, match=place.replace("[", r"\[").replace("]", r"\]")):
        load_findings(broken)


def test_findings_are_recorded_and_signed_into_the_content(
    therapist: User, patient: Patient, location: Location
) -> None:
    m = signed(
        therapist,
        patient,
        location,
        isl_stage="II",
        stemmer_sign="positive",
        pitting="present",
        skin=["fibrosis", "dry"],
        skin_note="Firm over the forearm",
        heaviness=6,
        tightness=4,
    )
    m.refresh_from_db()
    assert (m.isl_stage, m.stemmer_sign, m.pitting) == ("II", "positive", "present")
    assert m.skin == ["fibrosis", "dry"]
    assert (m.heaviness, m.tightness) == (6, 4)
    content = measurement_content(m)
    assert content["isl_stage"] == "II"
    assert content["heaviness"] == 6
    assert m.content_hash == records.content_hash(content)


def test_a_sitting_without_findings_hashes_as_before_they_existed(
    therapist: User, patient: Patient, location: Location
) -> None:
    m = signed(therapist, patient, location)
    before = {
        "measurement": str(m.public_id),
        "patient": str(patient.public_id),
        "practitioner": str(m.practitioner.public_id),
        "location": str(location.public_id),
        "measured_on": m.measured_on.isoformat(),
        **{name: getattr(m, name) for name in CONTENT_FIELDS if name != "measured_on"},
        "rules_version": m.rules_version,
    }
    assert m.content_hash == records.content_hash(before)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"isl_stage": "IV"}, "isl_stage"),
        ({"stemmer_sign": "maybe"}, "stemmer_sign"),
        ({"pitting": "2+"}, "pitting"),
        ({"skin": ["scaly"]}, "skin"),
        ({"skin": ["dry", "dry"]}, "skin"),
        ({"skin": "dry"}, "skin"),
        ({"heaviness": 11}, "heaviness"),
        ({"tightness": -1}, "tightness"),
        ({"heaviness": True}, "heaviness"),
        ({"skin_note": "x" * 301}, "skin_note"),
    ],
)
def test_a_bad_finding_is_refused_naming_the_field_and_nothing_is_saved(
    therapist: User, patient: Patient, location: Location, given: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        record_measurement(actor=therapist, patient=patient, location=location, **tape(**given))
    assert field in refused.value.message_dict
    assert not LimbMeasurement.objects.exists()


def test_the_page_records_the_findings_and_shows_them_after_signing(
    therapist: User, patient: Patient, location: Location
) -> None:
    client = _client(therapist)
    response = client.post(
        _new(patient),
        _form(
            location,
            "sign",
            isl_stage="II",
            stemmer_sign="positive",
            pitting="present",
            skin=["fibrosis"],
            heaviness="6",
            tightness="3",
        ),
    )
    assert response.status_code == 302
    m = LimbMeasurement.objects.get()
    assert (m.status, m.isl_stage, m.skin, m.heaviness, m.tightness) == (
        "signed",
        "II",
        ["fibrosis"],
        6,
        3,
    )
    body = client.get(response["Location"]).content.decode()
    assert "Stage II" in body
    assert "Positive (the fold cannot be lifted)" in body
    assert "Fibrosis (firm, indurated tissue)" in body
    assert "6 of 10" in body
    chart = client.get(f"/patients/{patient.public_id}/").content.decode()
    assert "ISL stage II · Stemmer positive · pitting · fibrosis · heaviness 6/10" in chart


def test_a_bad_rating_keeps_what_was_typed_and_saves_nothing(
    therapist: User, patient: Patient, location: Location
) -> None:
    response = _client(therapist).post(
        _new(patient),
        _form(location, heaviness="7.5", skin_note="Dry at the elbow", skin=["dry"]),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Heaviness: give the patient&#x27;s rating as a whole number from 0 to 10." in body
    assert 'value="7.5"' in body
    assert 'value="Dry at the elbow"' in body
    assert 'value="dry" checked' in body
    assert not LimbMeasurement.objects.exists()


def test_redness_or_warmth_says_that_mld_stops_during_an_infection(
    therapist: User, patient: Patient, location: Location
) -> None:
    client = _client(therapist)
    layout = client.post(
        _new(patient), _form(location, action="layout", skin=["redness_warmth"])
    ).content.decode()
    assert "Manual lymphatic drainage stops during an acute infection" in layout
    m = signed(therapist, patient, location, skin=["redness_warmth"])
    detail = client.get(f"/limb-measurements/{m.public_id}/").content.decode()
    assert "Manual lymphatic drainage stops during an acute infection" in detail


def test_the_api_takes_and_returns_the_findings(
    therapist: User, patient: Patient, location: Location
) -> None:
    api = api_for(therapist, "token")
    body = {
        **{k: v for k, v in tape().items() if k != "measured_on"},
        "measured_on": "2026-03-02",
        "location": str(location.public_id),
        "isl_stage": "I",
        "pitting": "absent",
        "skin": ["intact"],
        "heaviness": 2,
    }
    created = api.post(f"/patients/{patient.public_id}/limb-measurements", body)
    assert created.status_code == 201, created.content
    out = created.json()
    assert (out["isl_stage"], out["pitting"], out["skin"], out["heaviness"]) == (
        "I",
        "absent",
        ["intact"],
        2,
    )
    assert out["tightness"] is None
    changed = api.patch(f"/limb-measurements/{out['id']}", {"isl_stage": None, "tightness": 5})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["isl_stage"], changed.json()["tightness"]) == ("", 5)
    refused = api.post(
        f"/patients/{patient.public_id}/limb-measurements", {**body, "isl_stage": "IV"}
    )
    assert "isl_stage" in error_fields(refused)
    refused = api.post(
        f"/patients/{patient.public_id}/limb-measurements", {**body, "heaviness": 12}
    )
    assert "heaviness" in error_fields(refused)


def test_signing_does_not_change_the_findings(
    therapist: User, patient: Patient, location: Location
) -> None:
    draft = record_measurement(
        actor=therapist, patient=patient, location=location, **tape(isl_stage="III")
    )
    sign_measurement(actor=therapist, measurement=draft)
    stored = LimbMeasurement.objects.get()
    assert stored.isl_stage == "III"
    with pytest.raises(LimbMeasurement.Changed):
        LimbMeasurement.objects.filter(pk=stored.pk).update(isl_stage="I")
