"""Who may open and change the organization settings page (/accounts/settings/)."""

from __future__ import annotations

import pytest

from palpa.accounts.models import Organization
from palpa.core.tests.support import assert_answer, matrix, web_client

OPEN = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,  # their own organization's settings
    "anonymous": 302,
}
SAVE = {**OPEN, "owner": 302, "outsider": 302}
FORM = {
    "name": "Renamed Clinic",
    "time_zone": "America/New_York",
    "require_mfa": "on",
    "session_idle_minutes": "30",
    "license_warning_days": "60",
}


@pytest.mark.parametrize(("who", "status"), matrix(OPEN))
def test_each_persona_may_or_may_not_open_the_settings(
    request: pytest.FixtureRequest, who: str, status: int, org: Organization
) -> None:
    response = web_client(request, who).get("/accounts/settings/")
    assert_answer(response, who, status)
    body = response.content.decode()
    assert ("Bayside Clinic" in body) == (who == "owner")  # our locations
    if who == "outsider":
        assert "Elsewhere Spa" in body


@pytest.mark.parametrize(("who", "status"), matrix(SAVE))
def test_each_persona_may_or_may_not_change_our_settings(
    request: pytest.FixtureRequest, who: str, status: int, org: Organization
) -> None:
    response = web_client(request, who).post("/accounts/settings/", FORM)
    assert_answer(response, who, status)
    renamed = Organization.objects.filter(name="Renamed Clinic")
    ours = Organization.objects.get(pk=org.pk)
    assert (ours.name == "Renamed Clinic") == (who == "owner")
    if who == "outsider":
        assert renamed.get().slug == "elsewhere"
