"""Reports over the API, per persona: list, draft, read, change, sign, correct, send, PDF,
and the report policy."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from palpa.core.tests.support import Api, api_as, error_fields, matrix
from palpa.reports.models import Report
from palpa.reports.tests.conftest import Course

OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/reports"),
    ("post", "/api/v1/patients/{patient_id}/reports"),
    ("get", "/api/v1/reports/{report_id}"),
    ("patch", "/api/v1/reports/{report_id}"),
    ("post", "/api/v1/reports/{report_id}/sign"),
    ("post", "/api/v1/reports/{report_id}/corrections"),
    ("post", "/api/v1/reports/{report_id}/deliveries"),
    ("get", "/api/v1/reports/{report_id}/pdf"),
    ("get", "/api/v1/report-policy"),
    ("put", "/api/v1/report-policy"),
}

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}


def _api(request: pytest.FixtureRequest, who: str) -> Api:
    return api_as(request, who, "token")


def _put(api: Api, path: str, body: dict[str, object]) -> object:
    return api.client.put(
        "/api/v1" + path, json.dumps(body), content_type="application/json", headers=api.headers
    )


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_who_may_list_a_patients_reports(
    request: pytest.FixtureRequest, who: str, status: int, signed: Report
) -> None:
    response = _api(request, who).get(f"/patients/{signed.patient.public_id}/reports")
    assert response.status_code == status
    if status == 200:
        (only,) = response.json()
        assert (only["kind"], only["status"], only["delivery_status"]) == (
            "progress",
            "signed",
            "signed",
        )


@pytest.mark.parametrize(
    ("who", "status"),
    matrix({**READ, "owner": 403, "therapist": 201, "other_therapist": 201}),
)
def test_who_may_draft_a_report(
    request: pytest.FixtureRequest, who: str, status: int, course: Course
) -> None:
    response = _api(request, who).post(
        f"/patients/{course.patient.public_id}/reports", {"kind": "progress"}
    )
    assert response.status_code == status
    if status == 201:
        assert response.json()["status"] == "draft"


def test_drafting_without_an_active_plan_is_409(
    request: pytest.FixtureRequest, patient: object
) -> None:
    response = _api(request, "therapist").post(
        f"/patients/{patient.public_id}/reports",  # type: ignore[attr-defined]
        {"kind": "progress"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "report_refused"


def test_an_unknown_kind_is_422_naming_the_field(
    request: pytest.FixtureRequest, course: Course
) -> None:
    response = _api(request, "therapist").post(
        f"/patients/{course.patient.public_id}/reports", {"kind": "letter"}
    )
    assert error_fields(response) == {"kind"}


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_who_may_read_a_report_with_its_content(
    request: pytest.FixtureRequest, who: str, status: int, signed: Report
) -> None:
    response = _api(request, who).get(f"/reports/{signed.public_id}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["content_hash"] == signed.content_hash
        assert body["content"]["goals"][0]["measure"] == "ODI"


@pytest.mark.parametrize(
    ("who", "status"),
    matrix({**READ, "owner": 403, "other_therapist": 403}),
)
def test_who_may_change_a_draft(
    request: pytest.FixtureRequest, who: str, status: int, draft: Report
) -> None:
    response = _api(request, who).patch(
        f"/reports/{draft.public_id}", {"assessment": "Sitting tolerance doubled."}
    )
    assert response.status_code == status
    draft.refresh_from_db()
    assert (draft.assessment == "Sitting tolerance doubled.") == (status == 200)


def test_a_bad_recommendation_is_422(request: pytest.FixtureRequest, draft: Report) -> None:
    response = _api(request, "therapist").patch(
        f"/reports/{draft.public_id}", {"recommendation": "maybe"}
    )
    assert error_fields(response) == {"recommendation"}


@pytest.mark.parametrize(
    ("who", "status"),
    matrix({**READ, "owner": 403, "other_therapist": 403}),
)
def test_who_may_sign_a_draft(
    request: pytest.FixtureRequest, who: str, status: int, draft: Report
) -> None:
    response = _api(request, who).post(f"/reports/{draft.public_id}/sign")
    assert response.status_code == status
    if status == 200:
        assert response.json()["status"] == "signed"
        assert len(response.json()["content_hash"]) == 64


def test_signing_a_signed_report_is_409(request: pytest.FixtureRequest, signed: Report) -> None:
    response = _api(request, "therapist").post(f"/reports/{signed.public_id}/sign")
    assert response.status_code == 409
    assert response.json()["code"] == "report_locked"


@pytest.mark.parametrize(
    ("who", "status"),
    matrix({**READ, "owner": 403, "therapist": 201, "other_therapist": 201}),
)
def test_who_may_draft_a_correction(
    request: pytest.FixtureRequest, who: str, status: int, signed: Report
) -> None:
    response = _api(request, who).post(
        f"/reports/{signed.public_id}/corrections", {"reason": "Wrong re-test date."}
    )
    assert response.status_code == status
    if status == 201:
        assert (response.json()["version"], response.json()["supersedes"]) == (
            2,
            str(signed.public_id),
        )


@pytest.mark.parametrize(
    ("who", "status"),
    matrix({**READ, "owner": 201, "therapist": 201, "other_therapist": 201}),
)
def test_who_may_send_a_report(
    request: pytest.FixtureRequest, who: str, status: int, signed: Report
) -> None:
    response = _api(request, who).post(f"/reports/{signed.public_id}/deliveries", {})
    assert response.status_code == status
    if status == 201:
        body = response.json()
        assert body["recipient"] == "dr.park@bayside-fm.example"
        assert body["sent_at"]
        assert body["expires_at"]
        assert body["opened_at"] is None
        assert len(mail.outbox) == 1
    else:
        assert mail.outbox == []


def test_sending_a_draft_is_409(request: pytest.FixtureRequest, draft: Report) -> None:
    response = _api(request, "therapist").post(f"/reports/{draft.public_id}/deliveries", {})
    assert response.status_code == 409


def test_a_bad_address_is_422(request: pytest.FixtureRequest, signed: Report) -> None:
    response = _api(request, "therapist").post(
        f"/reports/{signed.public_id}/deliveries", {"email": "not an address"}
    )
    assert error_fields(response) == {"email"}


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_who_may_download_the_signed_pdf(
    request: pytest.FixtureRequest, who: str, status: int, signed: Report
) -> None:
    response = _api(request, who).get(f"/reports/{signed.public_id}/pdf")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content == bytes(signed.pdf or b"")


def test_a_draft_has_no_pdf(request: pytest.FixtureRequest, draft: Report) -> None:
    assert _api(request, "therapist").get(f"/reports/{draft.public_id}/pdf").status_code == 409


@pytest.mark.parametrize(
    ("who", "status"),
    matrix({**READ, "front_desk": 200, "biller": 200, "outsider": 200}),
)
def test_every_staff_role_reads_the_report_policy(
    request: pytest.FixtureRequest, who: str, status: int, db: None
) -> None:
    response = _api(request, who).get("/report-policy")
    assert response.status_code == status
    if status == 200:
        assert response.json() == {"every_visits": 10, "every_days": 30, "link_days": 14}


@pytest.mark.parametrize(
    ("who", "status"),
    matrix(
        {
            **READ,
            "therapist": 403,
            "other_therapist": 403,
            "outsider": 200,  # their own organization's policy
        }
    ),
)
def test_only_owners_set_the_report_policy(
    request: pytest.FixtureRequest, who: str, status: int, db: None
) -> None:
    response = _put(
        _api(request, who),
        "/report-policy",
        {"every_visits": 6, "every_days": None, "link_days": 7},
    )
    assert response.status_code == status  # type: ignore[attr-defined]


def test_a_policy_out_of_range_is_422(request: pytest.FixtureRequest, owner: object) -> None:
    response = _put(
        _api(request, "owner"),
        "/report-policy",
        {"every_visits": 0, "every_days": 30, "link_days": 7},
    )
    assert error_fields(response) == {"every_visits"}  # type: ignore[arg-type]
