"""Owners read and publish rule-set versions and set the screening timings."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import api_as, api_for, matrix
from palpa.screening.models import RuleSetVersion, ScreeningPolicy
from palpa.screening.rules import default_rule_set_document

OPERATIONS = {
    ("get", "/api/v1/screening/rule-sets"),
    ("get", "/api/v1/screening/rule-sets/{version}"),
    ("post", "/api/v1/screening/rule-sets"),
    ("get", "/api/v1/screening/policy"),
    ("put", "/api/v1/screening/policy"),
}

# Rule sets belong to an organization: an outsider (another organization's owner) works
# on their own, never on ours.
OWNERS_READ = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,
    "anonymous": 401,
}
OWNERS_WRITE = {**OWNERS_READ, "owner": 201, "outsider": 201}
POLICY_READ = {**OWNERS_READ, "therapist": 200, "other_therapist": 200}
POLICY_WRITE = OWNERS_READ


def bayside(version: str = "bayside-1") -> dict[str, Any]:
    doc = copy.deepcopy(default_rule_set_document())
    doc["version"] = version
    doc["name"] = "Bayside rules"
    return doc


@pytest.mark.parametrize(("who", "status"), matrix(OWNERS_READ))
def test_who_may_list_the_rule_sets(
    request: pytest.FixtureRequest, who: str, status: int, owner: User
) -> None:
    from palpa.screening.services import publish_rule_set

    publish_rule_set(actor=owner, document=bayside(), reason="Ours.")
    response = api_as(request, who, "token").get("/screening/rule-sets")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["default_version"] == "palpa-default-3"
        versions = [v["version"] for v in body["versions"]]
        if who == "owner":
            assert body["in_force"] == "bayside-1"
            assert versions == ["palpa-default-3", "bayside-1"]
        else:
            assert versions == ["palpa-default-3"]


@pytest.mark.parametrize(("who", "status"), matrix(OWNERS_WRITE))
def test_who_may_publish_a_rule_set(
    request: pytest.FixtureRequest, who: str, status: int, org: object
) -> None:
    response = api_as(request, who, "token").post(
        "/screening/rule-sets", {"document": bayside(), "reason": "Our own adjustments."}
    )
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["in_force"] is True
        assert response.json()["document"]["version"] == "bayside-1"
    assert RuleSetVersion.objects.exists() == (status == 201)


def test_an_invalid_document_is_422_naming_the_place(owner: User) -> None:
    doc = bayside()
    doc["rules"][3]["sources"] = []
    response = api_for(owner, "session").post(
        "/screening/rule-sets", {"document": doc, "reason": "Trying."}
    )
    assert response.status_code == 422
    messages = [i["msg"] for i in response.json()["detail"] if i["loc"] == ["body", "document"]]
    assert any(m.startswith("rules[3].sources") for m in messages)


def test_one_version_with_its_document(owner: User) -> None:
    api = api_for(owner, "token")
    api.post("/screening/rule-sets", {"document": bayside(), "reason": "Ours."})
    ours = api.get("/screening/rule-sets/bayside-1").json()
    assert ours["reason"] == "Ours."
    assert ours["created_by"] == str(owner)
    palpas = api.get("/screening/rule-sets/palpa-default-3").json()
    assert palpas["in_force"] is False
    assert palpas["document"]["rules"]
    assert api.get("/screening/rule-sets/nope-9").status_code == 404


@pytest.mark.parametrize(("who", "status"), matrix(POLICY_READ))
def test_who_may_read_the_timings(
    request: pytest.FixtureRequest, who: str, status: int, db: None
) -> None:
    response = api_as(request, who, "token").get("/screening/policy")
    assert response.status_code == status
    if status == 200:
        assert response.json() == {"rescreen_days": 90, "intake_link_days": 7}


@pytest.mark.parametrize(("who", "status"), matrix(POLICY_WRITE))
def test_who_may_set_the_timings(
    request: pytest.FixtureRequest, who: str, status: int, db: None
) -> None:
    api = api_as(request, who, "token")
    response = api.client.put(
        "/api/v1/screening/policy",
        {"rescreen_days": 60, "intake_link_days": 3},
        content_type="application/json",
        headers=api.headers,
    )
    assert response.status_code == status
    assert ScreeningPolicy.objects.filter(rescreen_days=60).exists() == (status == 200)


def test_timings_out_of_range_are_422(owner: User) -> None:
    api = api_for(owner, "token")
    response = api.client.put(
        "/api/v1/screening/policy",
        {"rescreen_days": 1000, "intake_link_days": 0},
        content_type="application/json",
        headers=api.headers,
    )
    assert response.status_code == 422
    assert {i["loc"][-1] for i in response.json()["detail"]} == {
        "rescreen_days",
        "intake_link_days",
    }
