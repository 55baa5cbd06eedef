"""Writes to organizations, locations, rooms, staff and API tokens (audited)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from palpa.accounts.models import (
    ApiToken,
    Location,
    Organization,
    Role,
    Room,
    StaffInvitation,
    User,
    hash_token,
)
from palpa.accounts.permissions import (
    Capability,
    has_capability,
    require,
    role_has,
    roles_with,
    tenant_id,
)
from palpa.audit.services import Action, record
from palpa.core.db import fetchone_checking_connection
from palpa.core.rows import columns_of, instance_from_row
from palpa.core.tenancy import require_same_organization

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
    require_same_organization(
        actor, location, message="This location belongs to another organization."
    )
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
    require_same_organization(actor, token, message="This token belongs to another organization.")
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


# --- first run: the organization, its first location and its owner ------------------------


class SetupClosed(PermissionDenied):
    """The first-run set-up is over: an organization exists."""


def first_run_open() -> bool:
    """The first-run page is offered only while the database holds no organization."""
    return not Organization.objects.exists()


def _checked_password(password: str, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def set_up_clinic(
    *,
    actor: None = None,
    organization_name: str,
    time_zone: str,
    location: Location,
    owner_email: str,
    owner_name: str,
    password: str,
) -> User:
    """Create the organization, its first location and its owner on an empty database,
    all or nothing, with one audit entry. Refused (``SetupClosed``) once any organization
    exists, so replaying the first-run form cannot make a second one."""
    errors: dict[str, Any] = {}
    slug = slugify(organization_name)[:60] or "clinic"
    org = Organization(name=organization_name.strip(), slug=slug, time_zone=time_zone)
    try:
        org.full_clean()
    except ValidationError as exc:
        errors.update(
            {f"organization_{k}" if k == "name" else k: v for k, v in exc.message_dict.items()}
        )
    location.organization = org
    location.region = location.region.upper()
    location.time_zone = time_zone
    try:
        location.full_clean(exclude=["organization"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    email = owner_email.strip().lower()
    owner = User(
        username=email,
        email=email,
        full_name=owner_name.strip(),
        role=Role.OWNER,
        is_staff=False,
    )
    if not owner.full_name:
        errors["owner_name"] = ["Give the owner's full name."]
    if not email:
        errors["owner_email"] = ["Give the owner's email address: it is the sign-in name."]
    try:
        _checked_password(password, owner)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if connection.vendor == "postgresql":  # two first runs at once: one waits, then fails
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(20201)")
        if not first_run_open():
            raise SetupClosed("This Palpa is already set up: sign in instead.")
        org.save()
        location.organization = org
        location.save()
        owner.organization = org
        owner.set_password(password)
        owner.save()
        record(
            actor=owner,
            action=Action.CREATE,
            organization=org,
            obj=org,
            detail={
                "by": "first run",
                "location": str(location.public_id),
                "owner": str(owner.public_id),
            },
        )
    return owner


# --- staff: invitations, roles, deactivation ---------------------------------------------

INVITATION_DAYS = 7


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: StaffInvitation
    secret: str  # in the emailed link only; the database keeps its hash


def _same_organization(actor: User, member: User) -> None:
    require(actor, Capability.ORGANIZATION_MANAGE)
    require_same_organization(
        actor, member, message="This staff member belongs to another organization."
    )


def _issue_invitation(actor: User, member: User) -> IssuedInvitation:
    secret = secrets.token_urlsafe(32)
    invitation = StaffInvitation(
        organization_id=tenant_id(member),
        user=member,
        token_hash=hash_token(secret),
        invited_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS),
    )
    invitation.save()
    return IssuedInvitation(invitation, secret)


def _void_open_invitations(member: User) -> int:
    return StaffInvitation.objects.filter(
        user=member, accepted_at__isnull=True, voided_at__isnull=True
    ).update(voided_at=timezone.now())


def invite_staff(*, actor: User, email: str, full_name: str, role: str) -> IssuedInvitation:
    """Add a staff account that its owner completes from an emailed link (own password,
    then their second factor). The account cannot sign in until then."""
    require(actor, Capability.ORGANIZATION_MANAGE)
    email = email.strip().lower()
    errors: dict[str, str] = {}
    if role not in Role.values:
        errors["role"] = "Choose a role: " + ", ".join(label for _, label in Role.choices) + "."
    if not full_name.strip():
        errors["full_name"] = "Give the staff member's full name."
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "Enter an email address such as name@clinic.example."
    if "email" not in errors and User.objects.filter(username=email).exists():
        errors["email"] = "A staff account with this email address already exists."
    if errors:
        raise ValidationError(errors)
    member = User(
        username=email,
        email=email,
        full_name=full_name.strip(),
        organization=actor.organization,
        role=role,
        is_active=False,
    )
    member.set_unusable_password()
    member.full_clean(exclude=["password"])
    with transaction.atomic():
        member.save()
        issued = _issue_invitation(actor, member)
        record(
            actor=actor,
            action=Action.CREATE,
            obj=member,
            object_type="Staff",
            detail={"role": role, "event": "invited"},
        )
    return issued


def resend_invitation(*, actor: User, member: User) -> IssuedInvitation:
    """A fresh link for someone who has not accepted yet; earlier links stop working."""
    _same_organization(actor, member)
    if member.has_usable_password():
        raise ValidationError("This staff member has already accepted the invitation.")
    with transaction.atomic():
        voided = _void_open_invitations(member)
        issued = _issue_invitation(actor, member)
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=member,
            object_type="Staff",
            detail={"event": "invitation resent", "voided": voided},
        )
    return issued


def invitation_for(secret: str) -> StaffInvitation | None:
    """The open invitation behind an emailed link, or None (unknown, used, voided or
    expired: all told the same)."""
    invitation = (
        StaffInvitation.objects.select_related("user", "organization")
        .filter(token_hash=hash_token(secret))
        .first()
    )
    return invitation if invitation is not None and invitation.is_open else None


def accept_invitation(*, actor: None = None, secret: str, password: str) -> User:
    """The invitee sets their password: the account becomes usable, the link spent."""
    invitation = invitation_for(secret)
    if invitation is None:
        raise ValidationError("This invitation link has expired or was replaced by a newer one.")
    member = invitation.user
    _checked_password(password, member, "new_password1")
    with transaction.atomic():
        spent = StaffInvitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, voided_at__isnull=True
        ).update(accepted_at=timezone.now())
        if not spent:
            raise ValidationError("This invitation link has already been used.")
        member.set_password(password)
        member.is_active = True
        member.save(update_fields=["password", "is_active"])
        record(
            actor=member,
            action=Action.SETTINGS,
            obj=member,
            object_type="Staff",
            detail={"event": "invitation accepted"},
        )
    return member


def _active_managers(member: User) -> int:
    """Active accounts of the member's organization whose role manages it (owners)."""
    return User.objects.filter(
        organization_id=tenant_id(member),
        role__in=roles_with(Capability.ORGANIZATION_MANAGE),
        is_active=True,
    ).count()


def _guard_owner_change(actor: User, member: User, what: str, new_role: str = "") -> None:
    """Never your own account; never the last account that manages the organization."""
    if member.pk == actor.pk:
        raise ValidationError(f"You cannot {what} your own account; ask another owner.")
    still_manages = bool(new_role) and role_has(new_role, Capability.ORGANIZATION_MANAGE)
    if (
        not still_manages
        and has_capability(member, Capability.ORGANIZATION_MANAGE)
        and _active_managers(member) <= 1
    ):
        raise ValidationError(f"You cannot {what} the last owner: make someone else owner first.")


def deactivate_staff(*, actor: User, member: User) -> User:
    """The account can no longer sign in or use its API tokens; its records stay."""
    _same_organization(actor, member)
    _guard_owner_change(actor, member, "deactivate")
    with transaction.atomic():
        member.is_active = False
        member.save(update_fields=["is_active"])
        voided = _void_open_invitations(member)
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=member,
            object_type="Staff",
            detail={"event": "deactivated", "invitations_voided": voided},
        )
    return member


def reactivate_staff(*, actor: User, member: User) -> User:
    """A deactivated account may sign in again (an owner's decision), with its own password
    and second factor. API tokens issued before the deactivation stay revoked (they are
    revoked here, so none wakes up with the account). An account that never set its
    password is not reactivated: resend its invitation instead."""
    _same_organization(actor, member)
    if member.is_active:
        raise ValidationError(f"{member} is active already.")
    if not member.has_usable_password():
        raise ValidationError(
            f"{member} never accepted the invitation: resend the invitation instead."
        )
    with transaction.atomic():
        member.is_active = True
        member.save(update_fields=["is_active"])
        revoked = ApiToken.objects.filter(user=member, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=member,
            object_type="Staff",
            detail={"event": "reactivated", "tokens_revoked": revoked},
        )
    return member


def change_role(*, actor: User, member: User, role: str) -> User:
    _same_organization(actor, member)
    if role not in Role.values:
        raise ValidationError(
            {"role": "Choose a role: " + ", ".join(label for _, label in Role.choices) + "."}
        )
    before = member.role
    if before == role:
        return member
    _guard_owner_change(actor, member, "change the role of", new_role=role)
    with transaction.atomic():
        member.role = role
        member.save(update_fields=["role"])
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=member,
            object_type="Staff",
            detail={"role": [before, role]},
        )
    return member


def send_invitation_email(issued: IssuedInvitation, link: str) -> None:
    """Email the invitee their link (``link``: the absolute address of the accept page)."""
    member = issued.invitation.user
    org = member.organization
    body = (
        f"Hello {member.full_name},\n\n"
        f"You have been invited to {org} on Palpa as {member.get_role_display()}.\n"
        f"Open this link to choose your password"
        f"{' and set up two-factor sign-in' if member.mfa_required else ''}:\n\n"
        f"{link}\n\n"
        f"The link works once and expires in {INVITATION_DAYS} days.\n"
    )
    EmailMessage(subject=f"Your Palpa account at {org}", body=body, to=[member.email]).send()
