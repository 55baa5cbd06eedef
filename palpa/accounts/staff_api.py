"""The staff accounts of an organization over the JSON API (owners): list them, invite
one by email with a role, resend an invitation, change a role, deactivate and reactivate.
The same services as the Staff page; each change is audited there."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from palpa.accounts import services
from palpa.accounts.gates import api_requires
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability
from palpa.accounts.queries import open_invitations_for, staff_for
from palpa.core.api import ERRORS, actor
from palpa.core.schemas import InputSchema

router = Router()


class StaffOut(Schema):
    id: UUID
    full_name: str
    email: str
    role: str = Field(description="owner, therapist, front_desk or biller")
    status: str = Field(description="active, invited (has not set a password) or deactivated")
    invitation_open: bool = Field(description="An invitation link is waiting to be accepted")


class InviteIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    full_name: str = Field(min_length=1, max_length=200)
    role: str = Field(description="owner, therapist, front_desk or biller")


class RoleIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    role: str = Field(description="owner, therapist, front_desk or biller")


def _status(member: User) -> str:
    if member.is_active:
        return "active"
    return "deactivated" if member.has_usable_password() else "invited"


def _out(member: User, invited: set[int]) -> dict[str, Any]:
    return {
        "id": member.public_id,
        "full_name": member.full_name,
        "email": member.email,
        "role": member.role,
        "status": _status(member),
        "invitation_open": member.pk in invited,
    }


def _invited(user: User) -> set[int]:
    return set(open_invitations_for(user).values_list("user_id", flat=True))


def _member(request: HttpRequest, staff_id: UUID) -> User:
    found: User = get_object_or_404(staff_for(actor(request)), public_id=staff_id)
    return found


def _send(request: HttpRequest, issued: services.IssuedInvitation) -> None:
    link = request.build_absolute_uri(reverse("accounts:invitation", args=[issued.secret]))
    services.send_invitation_email(issued, link)


@router.get("", response={200: list[StaffOut], **ERRORS}, summary="Staff accounts")
@api_requires(Capability.ORGANIZATION_MANAGE)
def list_staff(request: HttpRequest) -> list[dict[str, Any]]:
    user = actor(request)
    invited = _invited(user)
    return [_out(m, invited) for m in staff_for(user)]


@router.post("", response={201: StaffOut, **ERRORS}, summary="Invite a staff member by email")
@api_requires(Capability.ORGANIZATION_MANAGE)
def invite(request: HttpRequest, payload: InviteIn) -> Status[dict[str, Any]]:
    user = actor(request)
    issued = services.invite_staff(
        actor=user, email=payload.email, full_name=payload.full_name, role=payload.role
    )
    _send(request, issued)
    return Status(201, _out(issued.invitation.user, _invited(user)))


@router.post(
    "/{staff_id}/invitation",
    response={200: StaffOut, **ERRORS},
    summary="Send a new invitation link (the earlier one stops working)",
)
@api_requires(Capability.ORGANIZATION_MANAGE)
def resend(request: HttpRequest, staff_id: UUID) -> dict[str, Any]:
    user = actor(request)
    issued = services.resend_invitation(actor=user, member=_member(request, staff_id))
    _send(request, issued)
    return _out(issued.invitation.user, _invited(user))


@router.patch("/{staff_id}", response={200: StaffOut, **ERRORS}, summary="Change a role")
@api_requires(Capability.ORGANIZATION_MANAGE)
def set_role(request: HttpRequest, staff_id: UUID, payload: RoleIn) -> dict[str, Any]:
    user = actor(request)
    member = services.change_role(actor=user, member=_member(request, staff_id), role=payload.role)
    return _out(member, _invited(user))


@router.post(
    "/{staff_id}/deactivate",
    response={200: StaffOut, **ERRORS},
    summary="Deactivate: no sign-in, no API tokens; the records stay",
)
@api_requires(Capability.ORGANIZATION_MANAGE)
def deactivate(request: HttpRequest, staff_id: UUID) -> dict[str, Any]:
    user = actor(request)
    member = services.deactivate_staff(actor=user, member=_member(request, staff_id))
    return _out(member, _invited(user))


@router.post(
    "/{staff_id}/reactivate",
    response={200: StaffOut, **ERRORS},
    summary="Reactivate a deactivated account (its earlier API tokens stay revoked)",
)
@api_requires(Capability.ORGANIZATION_MANAGE)
def reactivate(request: HttpRequest, staff_id: UUID) -> dict[str, Any]:
    user = actor(request)
    member = services.reactivate_staff(actor=user, member=_member(request, staff_id))
    return _out(member, _invited(user))
