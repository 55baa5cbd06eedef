"""django-otp's middleware without its own read of the session's device.

``django_otp.middleware.OTPMiddleware`` reads the device named in the session on every
request to tell whether the account is verified (a confirmed device of that account). The
account's own read (``accounts.backends.StaffBackend``) also reads the ids of the
account's confirmed TOTP devices; when the session's device is one of them, the account
is verified without a further statement, and the device itself is read only if something
uses it (Palpa asks only ``is_verified()``). Any other case (no such id, another kind of
device, an account read elsewhere) goes through django-otp's own checks, which also drop
a device that no longer verifies from the session.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import CharField, OuterRef, StringAgg, Subquery, Value
from django.db.models.expressions import BaseExpression
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from palpa.accounts.backends import NOT_READ, annotated

#: The account's confirmed TOTP device ids ("3,7"; None without one), read with it.
CONFIRMED_DEVICES = "otp_confirmed_totp_ids"


def confirmed_devices() -> BaseExpression:
    """For ``also_annotate_user``: the ids of the account's confirmed TOTP devices."""
    devices = (
        TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        .order_by()
        .values("user")
        .annotate(ids=StringAgg(Cast("pk", CharField()), delimiter=Value(",")))
        .values("ids")
    )
    return Subquery(devices[:1])


def _known_confirmed(user: Any, persistent_id: str) -> bool:
    """Whether the account read with this request names ``persistent_id`` among its
    confirmed TOTP devices."""
    ids = annotated(user, CONFIRMED_DEVICES)
    if ids is NOT_READ or not ids:
        return False
    label, _, device_id = persistent_id.partition("/")
    return label == TOTPDevice.model_label() and device_id in str(ids).split(",")


class AccountOTPMiddleware(OTPMiddleware):  # type: ignore[misc]  # django-otp has no types
    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        if not user.is_authenticated:
            return super()._verify_user_sync(request, user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if not persistent_id:
            return super()._verify_user_sync(request, user)
        persistent_id = self._normalize_persistent_id(persistent_id)
        if not _known_confirmed(user, persistent_id):
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        # A confirmed device of this account, as read with the account: verified. The
        # device's row is read only if something uses it.
        user.otp_device = SimpleLazyObject(
            functools.partial(self._device_from_persistent_id, persistent_id)
        )
        return user
