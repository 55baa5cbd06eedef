"""Base models shared by every Palpa app.

Integer primary keys stay inside; ``public_id`` (a UUID) is what URLs, the API and FHIR
show. Every clinical row carries ``organization``: the tenant key.
"""

from __future__ import annotations

import uuid

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
