"""The API's input boundary (docs/input.md): the text rule, strict scalars, bounded paging.

Every request schema derives from ``palpa.core.schemas.InputSchema``; these tests send
what an attacker or a careless client would and expect a 422 naming the field and the
rule, with nothing saved.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from pydantic import BaseModel

from palpa.accounts.models import Location, User
from palpa.api import api
from palpa.core.npi import make_npi
from palpa.core.schemas import InputSchema, TextInputSchema, _unwrap
from palpa.core.tests.support import frozen_clock
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.referrals.models import Physician
from palpa.referrals.services import add_physician

NEW = {"given_name": "Mara", "family_name": "Quinn", "date_of_birth": "1988-07-09"}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


def _rules(response: Any) -> dict[str, str]:
    """{field: rule} of a 422 answer."""
    assert response.status_code == 422, response.content
    return {str(item["loc"][-1]): item["type"] for item in response.json()["detail"]}


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("Nul\u0000Byte", "text_control_character"),
        ("Bell\u0007", "text_control_character"),
        ("Esc\u001b[31m", "text_control_character"),
        ("Del\u007f", "text_control_character"),
        ("C1\u0085", "text_control_character"),
        ("Two\nLines", "text_line_break"),
        ("Tab\there", "text_line_break"),
        ("evil\u202egnp.exe", "text_bidi_control"),
        ("iso\u2066late\u2069", "text_bidi_control"),
        ("x" * 101, "text_too_long"),
    ],
)
def test_a_name_breaking_the_text_rule_is_refused_with_the_field_and_the_rule(
    owner: User, api_client_for: Any, value: str, rule: str
) -> None:
    client: Client = api_client_for(owner)
    response = client.post(
        "/api/v1/patients", {**NEW, "given_name": value}, content_type="application/json"
    )
    assert _rules(response) == {"given_name": rule}
    assert not Patient.objects.filter(family_name="Quinn").exists()


def test_the_message_names_the_character(owner: User, api_client_for: Any) -> None:
    response = api_client_for(owner).post(
        "/api/v1/patients",
        {**NEW, "family_name": "Q\u202euinn"},
        content_type="application/json",
    )
    (item,) = response.json()["detail"]
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in item["msg"]


def test_a_lone_surrogate_is_refused(owner: User, api_client_for: Any) -> None:
    body = '{"given_name": "Ma\\ud800ra", "family_name": "Quinn", "date_of_birth": "1988-07-09"}'
    response = api_client_for(owner).post("/api/v1/patients", body, content_type="application/json")
    assert _rules(response) == {"given_name": "text_surrogate"}


def test_names_are_kept_in_nfc(owner: User, api_client_for: Any) -> None:
    response = api_client_for(owner).post(
        "/api/v1/patients",
        {**NEW, "given_name": "Rene\u0301e"},  # e + combining acute accent
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["given_name"] == "Ren\u00e9e"
    assert Patient.objects.get(family_name="Quinn").given_name == "Ren\u00e9e"


def test_multi_line_text_keeps_tabs_and_line_breaks_but_not_other_controls(
    therapist: User, patient: Patient, location: Location, api_client_for: Any
) -> None:
    client = api_client_for(therapist)
    url = f"/api/v1/patients/{patient.public_id}/notes"
    visit = {"location": str(location.public_id), "visit_date": "2026-03-02"}
    fine = client.post(
        url,
        {**visit, "subjective": "Neck pain.\r\n\tWorse at night."},
        content_type="application/json",
    )
    assert fine.status_code == 201, fine.content
    assert fine.json()["subjective"] == "Neck pain.\r\n\tWorse at night."
    refused = client.post(
        url, {**visit, "subjective": "Neck\u0000pain"}, content_type="application/json"
    )
    assert _rules(refused) == {"subjective": "text_control_character"}


def test_strings_inside_free_form_json_follow_the_rule(
    therapist: User, patient: Patient, api_client_for: Any
) -> None:
    response = api_client_for(therapist).post(
        f"/api/v1/patients/{patient.public_id}/screenings",
        {"facts": {"conditions": ["fever\u0000"]}},
        content_type="application/json",
    )
    assert _rules(response) == {"facts": "text_control_character"}
    assert "item 0" in response.json()["detail"][0]["msg"]


def test_an_offset_past_any_integer_is_a_422_not_a_500(owner: User, api_client_for: Any) -> None:
    response = api_client_for(owner).get("/api/v1/patients?offset=9223372036854775808")
    assert _rules(response) == {"offset": "less_than_equal"}


def test_a_query_string_breaking_the_text_rule_is_refused(owner: User, api_client_for: Any) -> None:
    response = api_client_for(owner).get("/api/v1/patients?q=%00")
    assert _rules(response) == {"q": "text_control_character"}


def test_a_path_parameter_breaking_the_text_rule_is_refused(
    owner: User, api_client_for: Any
) -> None:
    response = api_client_for(owner).get("/api/v1/screening/rule-sets/a%00b")
    assert _rules(response) == {"version": "text_control_character"}


def test_a_date_must_be_an_iso_date_not_a_number_of_seconds(
    owner: User, practitioner: Practitioner, api_client_for: Any
) -> None:
    client = api_client_for(owner)
    url = f"/api/v1/practitioners/{practitioner.public_id}/license-check?jurisdiction=FL"
    assert _rules(client.get(f"{url}&on=0")) == {"on": "date_iso"}
    assert _rules(client.get(f"{url}&on=20260302")) == {"on": "date_iso"}
    assert client.get(f"{url}&on=2026-03-02").status_code == 200
    body = {**NEW, "date_of_birth": 0}
    response = client.post("/api/v1/patients", body, content_type="application/json")
    assert _rules(response) == {"date_of_birth": "date_iso"}


def test_a_boolean_must_be_a_json_boolean(owner: User, api_client_for: Any) -> None:
    physician = add_physician(
        actor=owner, given_name="Ada", family_name="Rowe", npi=make_npi("111222333")
    )
    client = api_client_for(owner)
    url = f"/api/v1/physicians/{physician.public_id}"
    for value in (0, 1, "false", "0", "yes"):
        response = client.patch(url, {"active": value}, content_type="application/json")
        assert _rules(response) == {"active": "bool_strict"}, value
    assert Physician.objects.get(pk=physician.pk).active is True
    response = client.patch(url, {"active": False}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert client.get("/api/v1/physicians?include_inactive=1").status_code == 422
    assert client.get("/api/v1/physicians?include_inactive=true").status_code == 200


def test_an_integer_in_a_body_must_be_a_json_integer(
    owner: User, patient: Patient, api_client_for: Any
) -> None:
    client = api_client_for(owner)
    url = f"/api/v1/patients/{patient.public_id}/referral-overrides"
    for value in ("3", 3.0, True):
        response = client.post(
            url,
            {"visits_planned": value, "reason": "Physician confirmed by phone today."},
            content_type="application/json",
        )
        assert _rules(response) == {"visits_planned": "int_strict"}, value


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    kind, _ = _unwrap(annotation)
    for candidate in (kind, *typing.get_args(kind)):
        inner, _ = _unwrap(candidate)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield inner


def _operations() -> Iterator[tuple[str, Any]]:
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                yield f"{'/'.join(operation.methods)} {prefix}{path}", operation


def test_every_request_schema_applies_the_boundary_rule() -> None:
    """Bodies derive from InputSchema, query strings and forms from TextInputSchema, and
    parameters declared on the function use the boundary's annotated types."""
    problems: list[str] = []
    seen: set[type[BaseModel]] = set()

    def visit(model: type[BaseModel], where: str, textual: bool) -> None:
        if model in seen:
            return
        seen.add(model)
        base = TextInputSchema if textual else InputSchema
        if not issubclass(model, base) or (not textual and issubclass(model, TextInputSchema)):
            problems.append(f"{where}: {model.__qualname__} must derive from {base.__name__}")
        for field in model.model_fields.values():
            for inner in _models(field.annotation):
                visit(inner, where, textual)

    for where, operation in _operations():
        for params in operation.models:
            source = params.__name__  # BodyParams, QueryParams, FormParams, PathParams...
            textual = not source.startswith("Body")
            for name, field in params.model_fields.items():
                nested = list(_models(field.annotation))
                for model in nested:
                    visit(model, where, textual)
                if nested or source.startswith("File"):
                    continue
                kind, metadata = _unwrap(field.annotation)
                if kind in (str, bool, int, dt.date, dt.datetime) and not any(
                    getattr(getattr(item, "func", None), "__module__", "") == "palpa.core.schemas"
                    for item in [*metadata, *field.metadata]
                ):
                    problems.append(f"{where}: parameter {name!r} must use palpa.core.schemas")
    assert problems == []


def test_free_form_json_nested_past_reason_is_a_422_and_a_deep_body_a_400(
    therapist: User, patient: Patient, api_client_for: Any
) -> None:
    client = api_client_for(therapist)
    url = f"/api/v1/patients/{patient.public_id}/screenings"
    nested = '{"facts": {"x": ' + "[" * 500 + "]" * 500 + "}}"
    response = client.post(url, nested, content_type="application/json")
    assert _rules(response) == {"facts": "json_too_deep"}
    deep = '{"facts": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(url, deep, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Cannot parse request body")
