"""Writes to organizations, locations, rooms, staff and API tokens (audited)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from palpa.accounts.models import ApiToken, Location, Organization, Role, Room, User, hash_token
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action, record
from palpa.core.db import fetchone_checking_connection
from palpa.core.rows import columns_of, instance_from_row

TOKEN_PREFIX = "palpa_"


def create_staff(
    *,
    organization: Organization,
    email: str,
    full_name: str,
    role: str,
    password: str | None,
    actor: User | None = None,
) -> User:
    """Create a staff account. ``actor`` None is for set-up commands (the demo, the first owner)."""
    if actor is not None:
        require(actor, Capability.ORGANIZATION_MANAGE)
        if actor.organization_id != organization.pk:
            raise PermissionDenied("You can only add staff to your own organization.")
    if role not in Role.values:
        raise ValidationError({"role": f"Role must be one of {', '.join(Role.values)}."})
    user = User(
        username=email.lower(),
        email=email.lower(),
        full_name=full_name,
        organization=organization,
        role=role,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    with transaction.atomic():
        user.save()
        record(
            actor=actor,
            action=Action.CREATE,
            organization=organization,
            obj=user,
            object_type="Staff",
            detail={"role": role},
        )
    return user


def update_organization(*, actor: User, changes: dict[str, Any]) -> Organization:
    require(actor, Capability.ORGANIZATION_MANAGE)
    org = actor.organization
    assert org is not None
    allowed = {"name", "time_zone", "require_mfa", "session_idle_minutes", "license_warning_days"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    stored = Organization.objects.get(pk=org.pk)  # a bound form may have changed ``org``
    before = {k: getattr(stored, k) for k in changes}
    for key, value in changes.items():
        setattr(org, key, value)
    org.full_clean(exclude=["slug"])
    with transaction.atomic():
        org.save()
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=org,
            detail={k: [str(before[k]), str(v)] for k, v in changes.items() if before[k] != v},
        )
    return org


def save_location(*, actor: User, location: Location) -> Location:
    require(actor, Capability.ORGANIZATION_MANAGE)
    if location.organization_id not in (None, actor.organization_id):
        raise PermissionDenied("This location belongs to another organization.")
    location.organization = actor.organization  # type: ignore[assignment]
    location.region = location.region.upper()
    location.full_clean()
    adding = location._state.adding
    with transaction.atomic():
        location.save()
        record(actor=actor, action=Action.CREATE if adding else Action.SETTINGS, obj=location)
    return location


def add_room(*, actor: User, location: Location, name: str, equipment: str = "") -> Room:
    require(actor, Capability.ORGANIZATION_MANAGE)
    if location.organization_id != actor.organization_id:
        raise PermissionDenied("This location belongs to another organization.")
    room = Room(
        organization_id=location.organization_id, location=location, name=name, equipment=equipment
    )
    room.full_clean()
    with transaction.atomic():
        room.save()
        record(actor=actor, action=Action.CREATE, obj=room)
    return room


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once; only its hash is stored


def issue_token(*, actor: User, name: str, expires_at: Any = None) -> IssuedToken:
    if actor.organization is None:
        raise PermissionDenied("Only staff of an organization can hold API tokens.")
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the token a name, e.g. 'reporting script'."
    if expires_at is not None and (timezone.is_naive(expires_at) or expires_at <= timezone.now()):
        errors["expires_at"] = "The expiry must be a future date and time with a time zone."
    if errors:
        raise ValidationError(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organization=actor.organization,
        user=actor,
        name=name.strip()[:100],
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(secret),
        expires_at=expires_at,
    )
    with transaction.atomic():
        token.save()
        record(actor=actor, action=Action.TOKEN, obj=token, detail={"event": "issued"})
    return IssuedToken(token=token, secret=secret)


def revoke_token(*, actor: User, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk:
        require(actor, Capability.ORGANIZATION_MANAGE)
    if token.organization_id != actor.organization_id:
        raise PermissionDenied("This token belongs to another organization.")
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        record(actor=actor, action=Action.TOKEN, obj=token, detail={"event": "revoked"})
    return token


def _token_user_sql() -> str:
    """Token, its user and the checks that make it usable, as one statement.

    Every API request runs this; a queryset would be compiled afresh each time, which
    cost several times the query itself. Columns come from the models; values are
    parameters.
    """
    quote = connection.ops.quote_name
    columns = columns_of(User, connection.alias, "u")
    return (
        f"SELECT {columns}, t.id AS token_id, t.last_used_at AS token_last_used_at"  # noqa: S608
        f" FROM {quote(ApiToken._meta.db_table)} t"
        f" JOIN {quote(User._meta.db_table)} u ON u.id = t.user_id"
        " WHERE t.token_hash = %s AND t.revoked_at IS NULL"
        " AND (t.expires_at IS NULL OR t.expires_at > %s)"
        " AND u.is_active AND u.organization_id = t.organization_id"
    )


_TOKEN_USER_SQL: list[str] = []


def user_for_token(secret: str) -> User | None:
    """The active user behind a usable bearer token, or None.

    Usable: not revoked, not expired, its user active and still in the token's
    organization. Marks the token's use at most every 5 minutes.
    """
    if not secret.startswith(TOKEN_PREFIX):
        return None
    if not _TOKEN_USER_SQL:
        _TOKEN_USER_SQL.append(_token_user_sql())
    now = timezone.now()
    params = [hash_token(secret), connection.ops.adapt_datetimefield_value(now)]
    # An API request's first statement: it doubles as the connection's health check.
    row = fetchone_checking_connection(_TOKEN_USER_SQL[0], params)
    if row is None:
        return None
    user = cast("User", instance_from_row(User, connection.alias, row))
    token_id, last_used = row[-2], row[-1]
    if isinstance(last_used, str):  # SQLite hands extra columns back as text, naive UTC
        last_used = parse_datetime(last_used)
    if last_used is not None and timezone.is_naive(last_used):
        last_used = timezone.make_aware(last_used, dt.UTC)
    if last_used is None or (now - last_used).total_seconds() > 300:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user
