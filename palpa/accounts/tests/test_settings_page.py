"""Owners keep organization, locations and rooms up to date; bad input is named and unsaved."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from palpa.accounts.models import Location, Organization, Room, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import clinic_today


def test_owner_changes_the_idle_timeout_and_it_is_audited(
    owner: User, org: Organization, client_for: Callable[[User], Client]
) -> None:
    client = client_for(owner)
    response = client.post(
        reverse("accounts:settings"),
        {
            "name": org.name,
            "time_zone": "America/New_York",
            "require_mfa": "on",
            "session_idle_minutes": "15",
            "license_warning_days": "90",
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.session_idle_minutes, org.license_warning_days) == (15, 90)
    entry = AuditEvent.objects.filter(action="settings", object_type="Organization").get()
    assert entry.detail["session_idle_minutes"] == ["30", "15"]


def test_an_idle_timeout_out_of_range_is_refused_with_the_field_named(
    owner: User, org: Organization, client_for: Callable[[User], Client]
) -> None:
    response = client_for(owner).post(
        reverse("accounts:settings"),
        {
            "name": org.name,
            "time_zone": "America/New_York",
            "session_idle_minutes": "1",
            "license_warning_days": "60",
        },
    )
    assert response.status_code == 200
    assert "session_idle_minutes" in response.context["form"].errors
    org.refresh_from_db()
    assert org.session_idle_minutes == 30


def test_owner_sets_the_organization_time_zone_and_a_made_up_one_is_refused(
    owner: User, org: Organization, client_for: Callable[[User], Client]
) -> None:
    client = client_for(owner)
    form = {"name": org.name, "session_idle_minutes": "30", "license_warning_days": "60"}
    response = client.post(reverse("accounts:settings"), {**form, "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "is not an IANA time zone" in response.context["form"].errors["time_zone"][0]
    org.refresh_from_db()
    assert org.time_zone == "America/New_York"
    response = client.post(reverse("accounts:settings"), {**form, "time_zone": "America/Denver"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.time_zone == "America/Denver"


def test_owner_adds_a_medical_spa_with_a_room(
    owner: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(owner)
    response = client.post(
        reverse("accounts:location_new"),
        {
            "name": "Seaside Spa",
            "kind": "medical_spa",
            "address_line1": "2 Shore Rd",
            "city": "Naples",
            "region": "fl",
            "postal_code": "34102",
            "time_zone": "America/New_York",
            "active": "on",
        },
    )
    assert response.status_code == 302
    spa = Location.objects.get(name="Seaside Spa")
    assert (spa.kind, spa.region, spa.organization_id) == (
        "medical_spa",
        "FL",
        owner.organization_id,
    )
    client.post(
        reverse("accounts:room_add", args=[spa.public_id]),
        {"room-name": "Suite 1", "room-equipment": "heated table"},
    )
    assert Room.objects.filter(location=spa, name="Suite 1").exists()


def test_a_location_with_an_unknown_time_zone_is_refused(
    owner: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(owner).post(
        reverse("accounts:location_new"),
        {
            "name": "Nowhere",
            "kind": "clinic",
            "address_line1": "1 St",
            "city": "X",
            "region": "FL",
            "postal_code": "1",
            "time_zone": "Mars/Olympus",
        },
    )
    assert response.status_code == 200
    assert "IANA time zone" in response.content.decode()
    assert not Location.objects.filter(name="Nowhere").exists()


def test_owner_dashboard_lists_licenses_nearing_expiry_and_lapsed(
    owner: User, therapist: User, org: Organization, client_for: Callable[[User], Client]
) -> None:
    import datetime as dt

    from palpa.practitioners.models import License

    lic = License.objects.get(practitioner__user=therapist)
    License.objects.filter(pk=lic.pk).update(expires_on=clinic_today() + dt.timedelta(days=20))
    page = client_for(owner).get("/").content.decode()
    assert "Licenses expiring within 60 days" in page
    assert "Tess Therapist" in page
    assert lic.number in page

    License.objects.filter(pk=lic.pk).update(expires_on=clinic_today() - dt.timedelta(days=1))
    page = client_for(owner).get("/").content.decode()
    assert "Licenses lapsed" in page


def test_therapist_dashboard_does_not_list_licenses(
    therapist: User, client_for: Callable[[User], Client]
) -> None:
    page = client_for(therapist).get("/").content.decode()
    assert "Licenses expiring" not in page


def test_the_settings_page_leads_to_closed_days_and_room_features(
    owner: User, client_for: Callable[[User], Client]
) -> None:
    page = client_for(owner).get(reverse("accounts:settings")).content.decode()
    assert f'href="{reverse("scheduling:closed_days")}"' in page
    assert f'href="{reverse("scheduling:rooms")}"' in page
