"""FHIR errors: every refusal is an OperationOutcome with the matching HTTP status."""

from __future__ import annotations

from typing import Any

# HTTP status -> the OperationOutcome issue type it is reported with.
ISSUE_TYPES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    410: "deleted",
    422: "processing",
}


class FhirError(Exception):
    """A request Palpa refuses; rendered as an OperationOutcome with ``status``."""

    def __init__(
        self,
        status: int,
        diagnostics: str,
        *,
        code: str = "",
        expression: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code or ISSUE_TYPES.get(status, "exception")
        self.expression = expression
        self.headers = headers or {}

    def outcome(self) -> dict[str, Any]:
        return operation_outcome([issue("error", self.code, self.diagnostics, self.expression)])


def issue(severity: str, code: str, diagnostics: str, expression: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        found["expression"] = [expression]
    return found


def operation_outcome(issues: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": issues}
