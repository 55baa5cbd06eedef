"""The first-run page: a fresh install creates its organization, first location and owner
from the browser, once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from palpa.accounts.models import Location, Organization, User
from palpa.audit.models import AuditEvent

URL = "/accounts/setup/"


def _form(**changes: str) -> dict[str, Any]:
    form = {
        "organization_name": "Harbour Medical Massage",
        "time_zone": "America/Chicago",
        "location-name": "Harbour Clinic",
        "location-kind": "clinic",
        "location-address_line1": "5 Dock Road",
        "location-city": "Austin",
        "location-region": "tx",
        "location-postal_code": "73301",
        "location-phone": "",
        "owner_name": "Hana Harbour",
        "owner_email": "Hana@Harbour.example",
        "password": "tide-pool-lantern-17",
        "password_again": "tide-pool-lantern-17",
    }
    form.update(changes)
    return form


@pytest.mark.django_db
def test_a_fresh_install_sends_the_sign_in_page_to_the_first_run_page() -> None:
    response = Client().get("/accounts/login/")
    assert response.status_code == 302
    assert response["Location"] == URL


@pytest.mark.django_db
def test_a_fresh_installs_first_address_leads_to_the_first_run_page() -> None:
    response = Client().get("/", follow=True)
    assert response.redirect_chain[-1][0] == URL
    assert "Set up your clinic" in response.content.decode()


@pytest.mark.django_db
def test_the_first_run_creates_the_organization_its_location_and_its_owner() -> None:
    client = Client(enforce_csrf_checks=False)
    response = client.post(URL, _form())
    assert response.status_code == 302
    assert response["Location"] == "/accounts/otp/setup/"
    org = Organization.objects.get()
    assert (org.name, org.slug, org.time_zone) == (
        "Harbour Medical Massage",
        "harbour-medical-massage",
        "America/Chicago",
    )
    location = Location.objects.get()
    assert (location.organization, location.region, location.time_zone) == (
        org,
        "TX",
        "America/Chicago",
    )
    owner = User.objects.get()
    assert (owner.email, owner.role, owner.organization) == ("hana@harbour.example", "owner", org)
    assert owner.check_password("tide-pool-lantern-17")
    entry = AuditEvent.objects.get(organization=org, action=AuditEvent.Action.CREATE)
    assert entry.detail["by"] == "first run"
    # signed in, but the second factor is still to set up before anything else
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_the_first_run_page_is_gone_once_an_organization_exists() -> None:
    client = Client()
    assert client.post(URL, _form()).status_code == 302
    assert Client().get(URL).status_code == 404
    replay = Client().post(URL, _form(organization_name="Second Org", owner_email="x@y.example"))
    assert replay.status_code == 404
    assert Organization.objects.count() == 1
    assert User.objects.count() == 1


def test_the_first_run_page_is_gone_when_the_demo_or_any_clinic_exists(owner: User) -> None:
    assert Client().get(URL).status_code == 404
    assert Client().get("/accounts/login/").status_code == 200


@pytest.mark.django_db
def test_a_weak_password_is_refused_naming_the_rule_and_nothing_is_saved() -> None:
    response = Client().post(URL, _form(password="short", password_again="short"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "too short" in text
    assert "at least 12 characters" in text
    assert not Organization.objects.exists()
    assert not User.objects.exists()
    assert 'value="Harbour Medical Massage"' in text  # what was typed stays


@pytest.mark.django_db
def test_two_different_passwords_are_refused() -> None:
    response = Client().post(URL, _form(password_again="tide-pool-lantern-18"))
    assert "The two passwords differ" in response.content.decode()
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_a_location_without_an_address_is_refused_naming_the_field() -> None:
    response = Client().post(URL, _form(**{"location-address_line1": ""}))
    assert response.status_code == 200
    assert "Address: This field is required." in response.content.decode()
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_the_first_run_form_needs_the_csrf_token() -> None:
    response = Client(enforce_csrf_checks=True).post(URL, _form())
    assert response.status_code == 403
    assert not Organization.objects.exists()
