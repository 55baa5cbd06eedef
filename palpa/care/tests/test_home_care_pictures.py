"""A picture on a home-care item: attached to a draft plan's item (PNG, JPEG or WebP, checked
by content, re-encoded without metadata, with a description), part of the plan's signed
content, carried into a new version, and served only to staff who may read the plan."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.care.models import HomeCareItem, Plan
from palpa.care.plans import services as plan_services
from palpa.care.tests.picture_support import ALT, picture
from palpa.core.records import content_hash
from palpa.core.tests.support import frozen_clock


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _item(plan: Plan) -> HomeCareItem:
    return plan.home_care.get()


def _attach(actor: User, plan: Plan, content: bytes | None = None, alt: str = ALT) -> HomeCareItem:
    return plan_services.add_home_care_picture(
        actor=actor, item=_item(plan), picture=content or picture(), alt=alt
    )


def _url(name: str, plan: Plan, item: HomeCareItem) -> str:
    return reverse(f"care:{name}", args=[plan.public_id, item.public_id])


# --- the service ------------------------------------------------------------------------


def test_the_therapist_attaches_a_png_with_its_description(therapist: User, plan: Plan) -> None:
    item = _attach(therapist, plan)
    stored = HomeCareItem.objects.get(pk=item.pk)
    assert stored.picture_alt == ALT
    assert stored.picture_content_type == "image/png"
    assert (stored.picture_width, stored.picture_height) == (40, 30)
    name = str(stored.picture.name)
    assert name.startswith("care/home-care/")
    assert len(name.rsplit("/", 1)[1]) == len("0123456789abcdef0123456789abcdef.png")  # random
    with stored.picture.open("rb") as f:
        assert Image.open(f).format == "PNG"
    event = AuditEvent.objects.filter(actor=therapist, object_type="Plan").latest("pk")
    assert event.action == "update"
    assert event.detail["home_care_picture"]["sha256"] == stored.picture_sha256
    assert event.detail["home_care_picture"]["alt"] == ALT


def test_where_a_photo_was_taken_is_removed(therapist: User, plan: Plan) -> None:
    sent = picture("JPEG", gps=True)
    assert Image.open(io.BytesIO(sent)).getexif().get(0x8825)  # the upload says where
    item = _attach(therapist, plan, sent)
    with HomeCareItem.objects.get(pk=item.pk).picture.open("rb") as f:
        kept = Image.open(f)
        assert kept.format == "JPEG"
        assert not kept.getexif()
        assert "exif" not in kept.info


@pytest.mark.parametrize(
    ("content", "field", "words"),
    [
        (b"Not a picture at all, just text.", "picture", "not a PNG, JPEG or WebP"),
        (picture("GIF"), "picture", "not a PNG, JPEG or WebP"),
        (picture(size=(4001, 10)), "picture", "at most 4000 x 4000"),
        (b"\x89PNG" + b"0" * (2 * 1024 * 1024), "picture", "larger than 2 MB"),
    ],
    ids=["text-named-png", "gif", "too-wide", "too-large"],
)
def test_anything_else_is_refused_naming_the_field_and_the_rule(
    therapist: User, plan: Plan, content: bytes, field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        plan_services.add_home_care_picture(
            actor=therapist,
            item=_item(plan),
            picture=SimpleUploadedFile("ball.png", content, "image/png"),
            alt=ALT,
        )
    assert words in " ".join(refused.value.message_dict[field])
    assert not HomeCareItem.objects.get(plan=plan).picture_sha256


def test_the_description_is_required(therapist: User, plan: Plan) -> None:
    with pytest.raises(ValidationError) as refused:
        _attach(therapist, plan, alt="  ")
    assert "Describe the picture" in refused.value.message_dict["picture_alt"][0]


def test_a_signed_plans_picture_cannot_change(therapist: User, plan: Plan) -> None:
    plan_services.sign_plan(actor=therapist, plan=plan)
    with pytest.raises(plan_services.PlanLocked):
        _attach(therapist, plan)
    assert not HomeCareItem.objects.get(plan=plan).picture_sha256


@pytest.mark.parametrize("who", ["front_desk", "biller", "outsider"])
def test_only_the_plans_clinician_attaches_a_picture(
    request: pytest.FixtureRequest, who: str, plan: Plan
) -> None:
    with pytest.raises(PermissionDenied):
        _attach(request.getfixturevalue(who), plan)


def test_the_signed_content_covers_the_picture_and_its_description(
    therapist: User, plan: Plan
) -> None:
    before = content_hash(plan_services.plan_content(plan))
    item = _attach(therapist, plan)
    with_picture = plan_services.plan_content(plan)
    assert with_picture["home_care"][0][-2:] == [item.picture_sha256, ALT]
    assert content_hash(with_picture) != before
    plan_services.add_home_care_picture(
        actor=therapist, item=item, picture=picture(size=(41, 30)), alt=ALT
    )
    assert content_hash(plan_services.plan_content(plan)) != content_hash(with_picture)
    plan_services.remove_home_care_picture(actor=therapist, item=item)
    assert content_hash(plan_services.plan_content(plan)) == before


def test_a_new_version_carries_the_picture(
    therapist: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    item = _attach(therapist, plan)
    signed = plan_services.sign_plan(actor=therapist, plan=plan)
    revision = plan_services.revise_plan(actor=therapist, plan=signed)
    copied = revision.home_care.get()
    assert (copied.picture_sha256, copied.picture_alt) == (item.picture_sha256, ALT)
    # taking it off the draft leaves the signed version's picture in place
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.remove_home_care_picture(actor=therapist, item=copied)
    old = HomeCareItem.objects.get(pk=item.pk)
    with old.picture.open("rb") as f:
        assert f.read(4) == b"\x89PNG"


def test_adding_another_item_keeps_the_pictures(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    item = _attach(therapist, plan)
    response = client_for(therapist).post(
        reverse("care:plan_add", args=[plan.public_id, "homecare"]),
        {
            "hc-kind": "stretch",
            "hc-instructions": "Doorway chest stretch.",
            "hc-tool": "none",
            "hc-frequency": "Twice a day",
        },
    )
    assert response.status_code == 302
    first = plan.home_care.get(instructions=item.instructions)
    assert (first.public_id, first.picture_sha256) == (item.public_id, item.picture_sha256)


# --- the plan page ----------------------------------------------------------------------


def test_the_therapist_uploads_a_picture_on_the_plan_page(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    client = client_for(therapist)
    item = _item(plan)
    prefix = f"pic-{item.public_id.hex[:12]}"
    page = client.get(reverse("care:plan", args=[plan.public_id])).content.decode()
    assert "Add a picture" in page
    assert f'name="{prefix}-picture"' in page
    response = client.post(
        _url("homecare_picture_attach", plan, item),
        {
            f"{prefix}-picture": SimpleUploadedFile("ball.png", picture(), "image/png"),
            f"{prefix}-picture_alt": ALT,
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("care:plan", args=[plan.public_id])).content.decode()
    assert f'alt="{ALT}"' in page
    assert _url("homecare_picture", plan, item) in page


def test_a_wrong_file_is_shown_next_to_its_field(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    item = _item(plan)
    prefix = f"pic-{item.public_id.hex[:12]}"
    response = client_for(therapist).post(
        _url("homecare_picture_attach", plan, item),
        {
            f"{prefix}-picture": SimpleUploadedFile("ball.png", b"plain text", "image/png"),
            f"{prefix}-picture_alt": ALT,
        },
    )
    assert response.status_code == 200
    assert "The picture is not a PNG, JPEG or WebP image." in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"), [("front_desk", 403), ("biller", 403), ("outsider", 404)]
)
def test_only_clinicians_upload_on_the_plan_page(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    plan: Plan,
    client_for: Callable[[User], Client],
) -> None:
    item = _item(plan)
    prefix = f"pic-{item.public_id.hex[:12]}"
    response = client_for(request.getfixturevalue(who)).post(
        _url("homecare_picture_attach", plan, item),
        {
            f"{prefix}-picture": SimpleUploadedFile("ball.png", picture(), "image/png"),
            f"{prefix}-picture_alt": ALT,
        },
    )
    assert response.status_code == status
    assert not HomeCareItem.objects.get(pk=item.pk).picture_sha256


def test_the_therapist_removes_the_picture_of_a_draft(
    therapist: User,
    plan: Plan,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    item = _attach(therapist, plan)
    name = str(HomeCareItem.objects.get(pk=item.pk).picture.name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(therapist).post(_url("homecare_picture_remove", plan, item))
    assert response.status_code == 302
    stored = HomeCareItem.objects.get(pk=item.pk)
    assert (stored.picture_sha256, stored.picture_alt, stored.picture.name) == ("", "", "")
    assert not stored.picture.storage.exists(name)


# --- serving ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["therapist", "other_therapist", "owner"])
def test_clinical_staff_see_the_picture_privately_and_the_read_is_audited(
    request: pytest.FixtureRequest,
    who: str,
    therapist: User,
    plan: Plan,
    client_for: Callable[[User], Client],
) -> None:
    item = _attach(therapist, plan)
    reader = request.getfixturevalue(who)
    response = client_for(reader).get(_url("homecare_picture", plan, item))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert response.content[:4] == b"\x89PNG"
    read = AuditEvent.objects.filter(actor=reader, action="read").latest("pk")
    assert read.detail["home_care_picture"] == str(item.public_id)


@pytest.mark.parametrize(
    ("who", "status"), [("front_desk", 403), ("biller", 403), ("outsider", 404)]
)
def test_others_do_not_see_the_picture(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    plan: Plan,
    client_for: Callable[[User], Client],
) -> None:
    item = _attach(therapist, plan)
    response = client_for(request.getfixturevalue(who)).get(_url("homecare_picture", plan, item))
    assert response.status_code == status


def test_an_item_without_a_picture_has_none_to_show(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    response = client_for(therapist).get(_url("homecare_picture", plan, _item(plan)))
    assert response.status_code == 404


def test_the_picture_is_not_a_public_file(therapist: User, plan: Plan) -> None:
    item = HomeCareItem.objects.get(pk=_attach(therapist, plan).pk)
    assert Client().get(f"/media/{item.picture.name}").status_code == 404
    assert Client().get(_url("homecare_picture", plan, item)).status_code == 302  # sign in
