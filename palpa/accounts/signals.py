"""Sign-ins, failed sign-ins and sign-outs go into the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from palpa.accounts.models import User
from palpa.audit.services import Action, record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    record(actor=user, action=Action.LOGIN, obj=user, object_type="Staff")


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record(actor=user, action=Action.LOGOUT, obj=user, object_type="Staff")


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    known = User.objects.filter(username=username.lower()).select_related("organization").first()
    record(
        actor=None,
        action=Action.LOGIN_FAILED,
        organization=known.organization if known else None,
        actor_label=username or "(blank)",
        object_type="Staff",
        object_id=str(known.public_id) if known else "",
    )
