"""The outcome figures over the API, persona by persona: the organization's for owners,
one's own for a therapist, refused to front desk and billers, an outsider's own (empty)
organization, anonymous callers asked to sign in; filters checked by name."""

from __future__ import annotations

import pytest

from palpa.accounts.models import Location, Organization, User
from palpa.analytics.models import OutcomeSnapshot
from palpa.analytics.tests.outcomes_support import RARE_MIX, store_snapshot
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import api_as, api_for, error_fields, matrix

OPERATIONS = {("get", "/api/v1/outcomes/responders"), ("get", "/api/v1/outcomes/mine")}

ORGANIZATION = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,
    "anonymous": 401,
}
MINE = {**ORGANIZATION, "therapist": 200, "other_therapist": 200}


@pytest.fixture
def computed(
    org: Organization, therapist: User, other_therapist: User, location: Location
) -> OutcomeSnapshot:
    return store_snapshot(org, therapist=therapist, other=other_therapist, location=location)


@pytest.mark.parametrize(("who", "status"), matrix(ORGANIZATION))
def test_each_persona_may_or_may_not_read_the_organizations_outcomes(
    request: pytest.FixtureRequest, who: str, status: int, computed: OutcomeSnapshot
) -> None:
    response = api_as(request, who, "token").get("/outcomes/responders")
    assert response.status_code == status, response.content
    if status != 200:
        return
    body = response.json()
    if who == "outsider":
        assert body["computed_at"] is None
        assert body["responder_cells"] == []
        assert body["funnel"] is None
    else:
        assert body["episodes"] == computed.episodes
        assert "associated with" in body["note"]
        assert {c["label"] for c in body["tables"]["by_therapist"]} >= {
            "Tess Therapist",
            "Theo Other",
        }


@pytest.mark.parametrize(("who", "status"), matrix(MINE))
def test_each_persona_may_or_may_not_read_their_own_outcomes(
    request: pytest.FixtureRequest, who: str, status: int, computed: OutcomeSnapshot
) -> None:
    response = api_as(request, who, "session").get("/outcomes/mine")
    assert response.status_code == status, response.content


def test_a_therapist_reads_only_their_own_figures(
    therapist: User, other_therapist: User, computed: OutcomeSnapshot
) -> None:
    mine = api_for(therapist, "token").get("/outcomes/mine").json()
    theirs = api_for(other_therapist, "token").get("/outcomes/mine").json()
    own = computed.data["mine"][str(therapist.practitioner.public_id)]
    assert mine["episodes_in_view"] == own["episodes"]
    assert mine["episodes_in_view"] != theirs["episodes_in_view"]
    assert [g["label"] for g in mine["funnel"]["groups"]] == ["You"]
    assert "by_therapist" not in mine["tables"]
    assert mine["location_funnel"] is None
    assert "Theo Other" not in str(mine)


def test_the_owner_filters_to_neck_pain_and_a_small_cell_has_no_figures(
    owner: User, computed: OutcomeSnapshot
) -> None:
    body = (
        api_for(owner, "token").get("/outcomes/responders", {"condition_group": "neck-pain"}).json()
    )
    assert body["filters"]["condition_group"] == "neck-pain"
    assert {c["key"][0] for c in body["responder_cells"]} == {"neck-pain"}
    rare = next(c for c in body["responder_cells"] if c["key"][1] == RARE_MIX)
    assert rare["suppressed"] is True
    assert "rate" not in rare
    assert [c["group"] for c in body["kaplan_meier"]] == ["neck-pain"]


def test_an_unknown_filter_value_is_named(owner: User, computed: OutcomeSnapshot) -> None:
    response = api_for(owner, "token").get(
        "/outcomes/responders", {"technique_mix": "reiki", "period": "1999"}
    )
    assert error_fields(response) == {"technique_mix", "period"}


def test_reading_over_the_api_is_audited(owner: User, computed: OutcomeSnapshot) -> None:
    api_for(owner, "token").get("/outcomes/responders")
    entry = AuditEvent.objects.filter(object_type="OutcomeFigures").latest("seq")
    assert entry.detail["view"] == "api"
