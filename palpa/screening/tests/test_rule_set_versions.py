"""Owners adjust the rules: each change is a new, validated, audited version; stored
screenings keep the version that produced them."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.patients.models import Patient
from palpa.screening import services
from palpa.screening.rules import default_rule_set_document


def stricter(version: str) -> dict[str, Any]:
    """Palpa's rules, with varicose veins avoided altogether instead of deep pressure only."""
    doc = copy.deepcopy(default_rule_set_document())
    doc["version"] = version
    doc["name"] = "Bayside rules"
    rule = next(r for r in doc["rules"] if r["id"] == "varicose_veins")
    rule["restrict"] = [{"regions_from": "conditions.regions", "techniques": ["all_techniques"]}]
    return doc


VARICOSE = {"conditions": [{"code": "varicose_veins", "regions": ["left_lower_limb"]}]}


def test_a_new_version_is_in_force_for_new_screenings_and_old_ones_keep_theirs(
    owner: User, therapist: User, patient: Patient
) -> None:
    before = services.record_screening(actor=therapist, patient=patient, facts=VARICOSE)
    stored = services.publish_rule_set(
        actor=owner, document=stricter("bayside-1"), reason="Our insurer asks us to avoid them."
    )
    after = services.record_screening(actor=therapist, patient=patient, facts=VARICOSE)
    assert before.rule_set_version == "palpa-default-3"
    assert before.result["restrictions_by_region"] == {"left_lower_limb": ["deep_pressure"]}
    assert after.rule_set == stored
    assert after.rule_set_version == "bayside-1"
    assert after.result["restrictions_by_region"] == {"left_lower_limb": ["all_techniques"]}
    before.refresh_from_db()
    assert before.rule_set_version == "palpa-default-3"
    entry = AuditEvent.objects.get(object_type="RuleSetVersion")
    assert entry.action == "settings"
    assert entry.detail["rule_set_version"] == "bayside-1"
    assert services.rule_set_document(owner.organization_id)["version"] == "bayside-1"  # type: ignore[arg-type]


def test_every_change_needs_a_new_version(owner: User) -> None:
    services.publish_rule_set(actor=owner, document=stricter("bayside-1"), reason="First.")
    with pytest.raises(ValidationError, match="already used"):
        services.publish_rule_set(actor=owner, document=stricter("bayside-1"), reason="Again.")
    with pytest.raises(ValidationError, match="already used"):
        services.publish_rule_set(
            actor=owner, document=stricter("palpa-default-3"), reason="Same as Palpa's."
        )


def test_an_invalid_rule_set_is_refused_naming_the_place(owner: User) -> None:
    doc = stricter("bayside-2")
    doc["rules"][0]["sources"] = [{"citation": "A blog", "evidence": "U"}]
    doc["regions"].append({"code": "tail", "label": "tail"})
    with pytest.raises(ValidationError) as bad:
        services.publish_rule_set(actor=owner, document=doc, reason="")
    messages = bad.value.message_dict
    assert set(messages) == {"document", "reason"}
    assert any(m.startswith("rules[0].sources[0].evidence") for m in messages["document"])


def test_regions_and_techniques_must_be_palpas_own(owner: User) -> None:
    doc = stricter("bayside-3")
    doc["regions"].append({"code": "tail", "label": "tail"})
    with pytest.raises(ValidationError, match="unknown: tail"):
        services.publish_rule_set(actor=owner, document=doc, reason="A new region.")


@pytest.mark.parametrize("persona", ["therapist", "front_desk", "biller"])
def test_only_owners_change_the_rules(request: pytest.FixtureRequest, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.publish_rule_set(
            actor=request.getfixturevalue(persona), document=stricter("x-1"), reason="Mine."
        )
