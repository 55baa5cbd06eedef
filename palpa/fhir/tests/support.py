"""Helpers for the FHIR tests: validation against the R4B models, bundle access."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fhir.resources.R4B import get_fhir_model_class

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

FHIR_JSON = "application/fhir+json"


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Construct the fhir.resources R4B model from the JSON (raises if it is not valid)."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    return resource


def body(response: Response) -> dict[str, Any]:
    assert response["Content-Type"].startswith(FHIR_JSON), response["Content-Type"]
    found: dict[str, Any] = response.json()
    return validated(found)


def resources(bundle: dict[str, Any], mode: str = "match") -> list[dict[str, Any]]:
    assert bundle["resourceType"] == "Bundle"
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def ids(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    return [str(r["id"]) for r in resources(bundle, mode)]


def link(bundle: dict[str, Any], relation: str) -> str | None:
    return next((x["url"] for x in bundle.get("link", []) if x["relation"] == relation), None)


def outcome_text(response: Response) -> str:
    found = body(response)
    assert found["resourceType"] == "OperationOutcome"
    return " ".join(issue["diagnostics"] for issue in found["issue"])
