"""One fixed-window rate limit for the public, token-guarded pages (the patient's intake
and instrument links, the physician's report link, online booking), counted in the
database so that every app server shares it.

Pages reached by a secret link count a known link on its own and an unknown one against
the client's address (``key_for_link``): patients who share an address (the clinic's
Wi-Fi, a waiting-room tablet) do not slow each other down, and guessing is bounded."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from palpa.core.models import RateWindow


def allow(scope: str, client_address: str, *, limit: int, window_minutes: int) -> bool:
    """Count one request from this address in this scope; False once over ``limit``
    requests in the current ``window_minutes`` window. Windows older than a day are
    cleared away when a new one opens."""
    minutes = max(1, window_minutes)
    now = timezone.now()
    epoch_minutes = int(now.timestamp() // 60)
    start = dt.datetime.fromtimestamp((epoch_minutes - epoch_minutes % minutes) * 60, tz=dt.UTC)
    address = (client_address or "unknown")[:64]
    window = RateWindow.objects.filter(scope=scope, client_address=address, window_start=start)
    with transaction.atomic():
        if not window.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateWindow.objects.create(
                        scope=scope, client_address=address, window_start=start, count=1
                    )
            except IntegrityError:  # another request opened the window first
                window.update(count=F("count") + 1)
            RateWindow.objects.filter(window_start__lt=now - dt.timedelta(days=1)).delete()
        count = window.values_list("count", flat=True).get()
    return count <= limit


def key_for_link(client_address: str, link_id: object | None) -> str:
    """What a link page counts against: the link when the token named a usable one,
    otherwise the client's address."""
    return f"link:{link_id}" if link_id else client_address
