"""An organization's own rule set copied from an earlier Palpa version lacks the safety
rules added since (stroke signs, a measured blood pressure, unexplained limb swelling):
the owner is told on the rules page and the dashboard, which names the missing rules."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from django.test import Client

from palpa.accounts.models import User
from palpa.screening import queries as screening_queries
from palpa.screening import services
from palpa.screening.rules import default_rule_set_document, shipped_rule_set

ADDED_IN_2 = {"stroke_warning_signs", "blood_pressure_crisis", "oedema_unexplained_limb"}


def _copy_of_version_1() -> dict[str, Any]:
    old = shipped_rule_set("palpa-default-1")
    assert old is not None
    doc = copy.deepcopy(default_rule_set_document())
    keep = {rule.id for rule in old.rules}
    doc["rules"] = [rule for rule in doc["rules"] if rule["id"] in keep]
    doc["version"] = "bayside-1"
    doc["name"] = "Bayside rules"
    return doc


def test_palpas_own_rules_lack_nothing(owner: User) -> None:
    assert screening_queries.default_rules_missing(owner.organization_id) == []  # type: ignore[arg-type]


def test_a_copy_of_version_1_lacks_the_safety_rules_added_since(owner: User) -> None:
    services.publish_rule_set(actor=owner, document=_copy_of_version_1(), reason="Our copy.")
    missing = {r.id for r in screening_queries.default_rules_missing(owner.organization_id)}  # type: ignore[arg-type]
    assert missing >= ADDED_IN_2


def test_the_owner_sees_the_missing_rules_on_the_rules_page_and_dashboard(
    owner: User, therapist: User, client_for: Callable[[User], Client]
) -> None:
    services.publish_rule_set(actor=owner, document=_copy_of_version_1(), reason="Our copy.")
    client = client_for(owner)
    page = client.get("/screening/rules/").content.decode()
    assert "Your rules lack" in page
    assert "stroke" in page.lower()
    dashboard = client.get("/").content.decode()
    assert "Your screening rules lack" in dashboard
    assert "/screening/rules/" in dashboard
    # A therapist is not shown the owner's to-do.
    assert "Your screening rules lack" not in client_for(therapist).get("/").content.decode()


def test_the_warning_goes_once_the_owner_publishes_palpas_current_rules(owner: User) -> None:
    services.publish_rule_set(actor=owner, document=_copy_of_version_1(), reason="Our copy.")
    current = copy.deepcopy(default_rule_set_document())
    current["version"] = "bayside-2"
    services.publish_rule_set(actor=owner, document=current, reason="Palpa's current rules.")
    assert screening_queries.default_rules_missing(owner.organization_id) == []  # type: ignore[arg-type]
