from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import AwareDatetime, ConfigDict, Field

from palpa.accounts import services
from palpa.accounts.gates import OWN_TOKEN_API, api_requires
from palpa.accounts.models import ApiToken
from palpa.accounts.permissions import Capability
from palpa.core.api import ERRORS, actor
from palpa.core.schemas import InputSchema, extended, public_id

router = Router()


class TokenIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    expires_at: AwareDatetime | None = Field(
        None, description="When the token stops working (with a time zone); none: never"
    )


class TokenOut(Schema):
    id: UUID = public_id()
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class IssuedTokenOut(TokenOut):
    token: str = Field(description="The secret. Shown only now; store it safely.")


@router.get("", response={200: list[TokenOut], **ERRORS}, summary="Your API tokens")
@api_requires(Capability.STAFF)
def list_tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=actor(request))


@router.post("", response={201: IssuedTokenOut, **ERRORS}, summary="Issue a token")
@api_requires(Capability.STAFF)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[IssuedTokenOut]:
    issued = services.issue_token(
        actor=actor(request), name=payload.name, expires_at=payload.expires_at
    )
    read = TokenOut.model_validate(issued.token)
    return Status(201, extended(IssuedTokenOut, read, token=issued.secret))


@router.delete("/{token_id}", response={200: TokenOut, **ERRORS}, summary="Revoke a token")
@api_requires(Capability.STAFF, record=OWN_TOKEN_API)
def revoke_token(request: HttpRequest, token_id: UUID) -> ApiToken:
    user = actor(request)
    token = get_object_or_404(ApiToken, public_id=token_id, organization_id=user.organization_id)
    return services.revoke_token(actor=user, token=token)
