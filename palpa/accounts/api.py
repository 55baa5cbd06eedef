from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import AwareDatetime, ConfigDict, Field

from palpa.accounts import services
from palpa.accounts.gates import OWN_TOKEN_API, api_requires
from palpa.accounts.models import ApiToken
from palpa.accounts.permissions import Capability
from palpa.core.api import ERRORS, actor
from palpa.core.schemas import InputSchema

router = Router()


class TokenIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    expires_at: AwareDatetime | None = Field(
        None, description="When the token stops working (with a time zone); none: never"
    )


class TokenOut(Schema):
    id: UUID
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class IssuedTokenOut(TokenOut):
    token: str = Field(description="The secret. Shown only now; store it safely.")


def _out(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.public_id,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "revoked_at": t.revoked_at,
        "last_used_at": t.last_used_at,
    }


@router.get("", response={200: list[TokenOut], **ERRORS}, summary="Your API tokens")
@api_requires(Capability.STAFF)
def list_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    return [_out(t) for t in ApiToken.objects.filter(user=actor(request))]


@router.post("", response={201: IssuedTokenOut, **ERRORS}, summary="Issue a token")
@api_requires(Capability.STAFF)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    issued = services.issue_token(
        actor=actor(request), name=payload.name, expires_at=payload.expires_at
    )
    return Status(201, {**_out(issued.token), "token": issued.secret})


@router.delete("/{token_id}", response={200: TokenOut, **ERRORS}, summary="Revoke a token")
@api_requires(Capability.STAFF, record=OWN_TOKEN_API)
def revoke_token(request: HttpRequest, token_id: UUID) -> dict[str, Any]:
    user = actor(request)
    token = get_object_or_404(ApiToken, public_id=token_id, organization_id=user.organization_id)
    return _out(services.revoke_token(actor=user, token=token))
