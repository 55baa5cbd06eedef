"""Shared pieces of the result-based care API tests: every operation with a valid body."""

from __future__ import annotations

from typing import Any

from django.test import Client

from palpa.core.tests.support import clinic_today

JSON = "application/json"
TODAY = clinic_today().isoformat()


def call(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    if method == "get":
        return client.get(path)
    if method == "delete":
        return client.delete(path)
    send = getattr(client, method)
    return send(path, body or {}, content_type=JSON)


def valid_requests(ids: dict[str, str]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, concrete path, body) for every operation of the clinical router."""
    p, e, pl, g, a, loc = (
        ids["patient"],
        ids["evaluation"],
        ids["plan"],
        ids["goal"],
        ids["administration"],
        ids["location"],
    )
    return [
        ("get", f"/api/v1/patients/{p}/evaluations", None),
        ("post", f"/api/v1/patients/{p}/evaluations", {"location": loc, "evaluated_on": TODAY}),
        ("get", f"/api/v1/evaluations/{e}", None),
        ("patch", f"/api/v1/evaluations/{e}", {"posture": "Level shoulders."}),
        (
            "post",
            f"/api/v1/evaluations/{e}/pain-map",
            {"region": "neck", "intensity": 3, "quality": "stiff"},
        ),
        (
            "post",
            f"/api/v1/evaluations/{e}/palpation",
            {"region": "neck", "tone": "hypertonic", "tenderness": 1},
        ),
        (
            "post",
            f"/api/v1/evaluations/{e}/rom",
            {"joint": "cervical_spine", "motion": "flexion", "degrees": 40, "instrument": "visual"},
        ),
        (
            "post",
            f"/api/v1/evaluations/{e}/special-tests",
            {"name": "Spurling", "side": "left", "result": "negative"},
        ),
        ("post", f"/api/v1/evaluations/{e}/diagnoses", {"code": "M54.2"}),
        (
            "post",
            f"/api/v1/evaluations/{e}/administrations",
            {"instrument": "NPRS", "answers": [4]},
        ),
        ("post", f"/api/v1/evaluations/{e}/sign", None),
        ("post", f"/api/v1/evaluations/{e}/entered-in-error", {"reason": "Wrong chart."}),
        ("get", "/api/v1/icd10?q=M54", None),
        ("get", f"/api/v1/patients/{p}/administrations", None),
        (
            "post",
            f"/api/v1/patients/{p}/administrations",
            {"instrument": "NPRS", "answers": [4], "administered_on": TODAY},
        ),
        ("post", f"/api/v1/administrations/{a}/entered-in-error", {"reason": "Wrong form."}),
        ("get", f"/api/v1/patients/{p}/plans", None),
        (
            "post",
            f"/api/v1/patients/{p}/plans",
            {"evaluation": e, "frequency_per_week": 1, "duration_weeks": 4},
        ),
        ("get", f"/api/v1/plans/{pl}", None),
        ("patch", f"/api/v1/plans/{pl}", {"precautions": "None known."}),
        (
            "post",
            f"/api/v1/plans/{pl}/goals",
            {
                "statement": "Less pain.",
                "measure_kind": "instrument",
                "instrument": "NPRS",
                "target_value": 2,
                "due_on": TODAY,
            },
        ),
        ("delete", f"/api/v1/plans/{pl}/goals/{g}", None),
        ("post", f"/api/v1/plans/{pl}/sign", None),
        ("post", f"/api/v1/plans/{pl}/revise", None),
        ("post", f"/api/v1/plans/{pl}/entered-in-error", {"reason": "Wrong chart."}),
        (
            "post",
            f"/api/v1/plans/{pl}/reassessments/administrations",
            {"instrument": "NPRS", "answers": [3]},
        ),
        (
            "post",
            f"/api/v1/plans/{pl}/reassessments/rom",
            {
                "joint": "thoracolumbar_spine",
                "motion": "flexion",
                "degrees": 70,
                "instrument": "inclinometer",
            },
        ),
        ("get", f"/api/v1/plans/{pl}/progress", None),
        ("post", f"/api/v1/plans/{pl}/discharge", {"reason": "patient_choice"}),
    ]
