"""Base models shared by every Palpa app.

Integer primary keys stay inside; ``public_id`` (a UUID) is what URLs, the API and FHIR
show. Every clinical row carries ``organization``: the tenant key.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models


class TimestampedModel(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantModel(TimestampedModel):
    """A row that belongs to one organization (the tenant)."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True


class RateWindow(models.Model):
    """Requests per scope (e.g. "intake"), client address and fixed time window: the rate
    limit of the public one-time links (``palpa.core.ratelimit``)."""

    scope = models.CharField(max_length=30)
    client_address = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["scope", "client_address", "window_start"], name="rate_window_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.client_address} {self.window_start:%H:%M} x{self.count}"
