"""GET /api/v1/openapi.json: the API's contract, with its errors declared, all tested."""

from __future__ import annotations

import importlib
import json
import pkgutil
import typing
from typing import Any

import pytest
from django.test import Client

import palpa
from palpa.core.api import ERRORS

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(db: None) -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document = json.loads(response.content)  # valid JSON, not just a dict-like body
    assert isinstance(document, dict)
    return document


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _tested_operations() -> dict[tuple[str, str], str]:
    """Operations each API test module says it covers (its OPERATIONS constant)."""
    covered: dict[tuple[str, str], str] = {}
    for app in pkgutil.iter_modules(palpa.__path__):
        try:
            tests = importlib.import_module(f"palpa.{app.name}.tests")
        except ModuleNotFoundError:
            continue
        for module in pkgutil.iter_modules(tests.__path__):
            if not module.name.startswith("test_api_"):
                continue
            name = f"{tests.__name__}.{module.name}"
            for operation in getattr(importlib.import_module(name), "OPERATIONS", set()):
                covered[operation] = name
    return covered


def test_the_document_is_openapi_3_1_describing_palpas_api(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] == "Palpa API"
    assert spec["paths"]


def test_the_document_needs_no_sign_in(db: None) -> None:
    assert Client().get("/api/v1/openapi.json").status_code == 200


def test_every_operation_declares_its_4xx_responses_with_schemas(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for (method, path), operation in _operations(spec).items():
        responses = operation["responses"]
        for status in ERRORS:
            declared = responses.get(str(status))
            assert declared is not None, f"{method.upper()} {path} does not declare {status}"
            ref = declared["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[-1] in schemas, (method, path, status)
        assert any(code.startswith("2") for code in responses), (method, path)


def test_validation_errors_are_declared_as_lists_naming_the_field(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["ValidationErrorOut"]["properties"]["detail"]["type"] == "array"
    assert set(schemas["ErrorItem"]["required"]) == {"loc", "msg", "type"}
    assert schemas["MessageOut"]["required"] == ["detail"]


def test_every_operation_requires_a_token_or_a_session(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["VerifiedSessionAuth"]["in"] == "cookie"
    for (method, path), operation in _operations(spec).items():
        assert operation["security"] == [{"TokenAuth": []}, {"VerifiedSessionAuth": []}], (
            method,
            path,
        )


def test_every_operation_is_covered_by_an_api_test_module(spec: dict[str, Any]) -> None:
    published = set(_operations(spec))
    tested = _tested_operations()
    untested = sorted(published - set(tested))
    assert not untested, f"operations without tests: {untested}"
    stale = sorted(set(tested) - published)
    assert not stale, f"tests claim operations the API does not have: {stale}"


def test_every_operation_has_a_unique_id_and_a_tag(spec: dict[str, Any]) -> None:
    operations = _operations(spec).values()
    ids = [operation["operationId"] for operation in operations]
    assert len(ids) == len(set(ids))
    assert all(operation.get("tags") for operation in operations)


def _schema_classes() -> dict[str, set[str]]:
    """Every pydantic model an operation reads or answers with, by name: {name: {qualified}}."""
    from pydantic import BaseModel

    from palpa.api import api
    from palpa.core.schemas import _unwrap

    found: dict[str, set[str]] = {}

    def visit(annotation: Any) -> None:
        kind, _ = _unwrap(annotation)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            qualified = f"{kind.__module__}.{kind.__qualname__}"
            if qualified in found.get(kind.__name__, set()):
                return
            found.setdefault(kind.__name__, set()).add(qualified)
            for field in kind.model_fields.values():
                visit(field.annotation)
            return
        for argument in typing.get_args(kind):
            visit(argument)

    for _, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for params in operation.models:
                    for field in params.model_fields.values():
                        visit(field.annotation)
                for model in operation.response_models.values():
                    if model is not None:
                        for field in model.model_fields.values():
                            visit(field.annotation)
    return found


def test_no_two_schemas_share_a_name(spec: dict[str, Any]) -> None:
    """The document names each schema by its class name: two classes of one name would
    publish one of them for both, and a response would not match its contract."""
    shared = {name: sorted(q) for name, q in _schema_classes().items() if len(q) > 1}
    assert shared == {}
    published = spec["components"]["schemas"]
    for name in ("ScheduleFlagOut", "ScreeningFlagOut", "ReportPolicyOut", "ScreeningPolicyOut"):
        assert name in published
    assert "FlagOut" not in published
    assert "PolicyOut" not in published
