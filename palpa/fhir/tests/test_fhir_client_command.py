"""palpa fhir_client ORG NAME --scopes: makes a client and shows its secret once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from oauth2_provider.models import get_application_model

from palpa.accounts.models import Organization
from palpa.fhir.models import FhirClient
from palpa.fhir.tests.conftest import get_token


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("fhir_client", *args, stdout=out)
    return out.getvalue()


def _field(output: str, name: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith(f"{name}:"))
    return line.split(":", 1)[1].strip()


def test_the_command_prints_an_id_and_secret_that_get_a_token(org: Organization) -> None:
    output = _run("bayside", "Referral hub", "--scopes", "system/*.read")
    client_id, secret = _field(output, "client_id"), _field(output, "client_secret")
    client = FhirClient.objects.get(application__client_id=client_id)
    assert client.organization == org
    assert client.scopes == "system/*.read"
    stored = get_application_model().objects.get(client_id=client_id).client_secret
    assert stored != secret  # only a hash is kept
    assert get_token(client_id, secret)


def test_an_unknown_organization_is_refused(db: None) -> None:
    with pytest.raises(
        CommandError, match="ORGANIZATION: no organization has the slug 'nowhere'"
    ) as refused:
        _run("nowhere", "Hub")
    assert refused.value.returncode == 2


def test_a_scope_palpa_does_not_know_is_refused_naming_it(org: Organization) -> None:
    with pytest.raises(CommandError, match="scopes: 'read' is not a SMART scope"):
        _run("bayside", "Hub", "--scopes", "read")
    with pytest.raises(CommandError, match="a system client takes system/ scopes only"):
        _run("bayside", "Hub", "--scopes", "user/*.read")


def test_a_name_is_used_once_per_organization(org: Organization) -> None:
    _run("bayside", "Hub")
    with pytest.raises(CommandError, match="already has a client named 'Hub'"):
        _run("bayside", "Hub")


def test_a_name_with_a_bidi_override_is_refused_with_exit_2(org: Organization) -> None:
    with pytest.raises(CommandError, match=r"NAME contains U\+202E") as info:
        call_command("fhir_client", org.slug, "Hub\u202egnp")
    assert info.value.returncode == 2
