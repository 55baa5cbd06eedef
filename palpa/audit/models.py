"""The append-only, hash-chained access and change log.

Each organization has its own chain: an entry's hash covers its own fields and the hash
of the entry before it in that organization's chain, and ``AuditChainHead`` holds the
chain's last sequence number and hash. Each entry also carries a MAC of its hash made with
a key that is not in the database, and signed checkpoints of the heads are kept outside
it (ADR 0008), so that someone who can write to the database cannot re-forge the chain.
Rows are refused on update and delete by the model, the queryset and database triggers.
"""

from __future__ import annotations

from typing import Any, ClassVar, Never

from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit entry."""


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> Never:
        raise AppendOnlyError("Audit entries cannot be changed.")

    def delete(self) -> Never:
        raise AppendOnlyError("Audit entries cannot be deleted.")


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        READ = "read", "Read"
        SEARCH = "search", "Search"
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Mark in error"
        EXPORT = "export", "Export"
        LOGIN = "login", "Sign in"
        LOGIN_FAILED = "login_failed", "Failed sign-in"
        LOGOUT = "logout", "Sign out"
        MFA = "mfa", "Two-factor"
        TOKEN = "token", "API token"
        SETTINGS = "settings", "Settings"
        LICENSE_CHECK = "license_check", "License check"

    # No database foreign-key constraints on the entry (ADR 0007): checking them took a
    # share lock on the organization's and the actor's rows for every entry. Entries are
    # never deleted, organizations and users are never deleted (PROTECT here keeps the ORM
    # from trying), and the entry names its actor in ``actor_label`` anyway.
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_constraint=False,
        db_index=False,  # every index of the table starts with the organization
    )
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.CharField(
        max_length=64, blank=True, help_text="public id of the patient concerned"
    )
    detail = models.JSONField(default=dict, blank=True)
    client_address = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    via = models.CharField(max_length=10, blank=True, help_text="web, api, cli, task")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # HMAC-SHA256 of ``hash`` with the audit key, which lives outside the database, and
    # the id of the key that made it (ADR 0008). Empty on entries made before MACs.
    mac = models.CharField(max_length=64, blank=True, default="")
    key_id = models.CharField(max_length=16, blank=True, default="")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-at", "-seq"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "seq"], name="audit_chain_seq_unique")
        ]
        indexes: ClassVar = [
            models.Index(fields=["organization", "-at"], name="audit_org_at"),
            models.Index(fields=["organization", "action", "-at"], name="audit_org_action_at"),
            # Who saw this patient: exact matches only (no LIKE index).
            models.Index(fields=["patient_id"], name="audit_patient"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_label} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Never:
        raise AppendOnlyError("Audit entries cannot be deleted.")


class AuditChainHead(models.Model):
    """The newest link of one organization's chain (organization NULL: system events)."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.PROTECT, null=True, related_name="+"
    )
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    # The newest entry's prev_hash, so that one UPDATE can move the head and hand the
    # link back (RETURNING sees only new values; ADR 0007). Empty until the next entry.
    prev_hash = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"chain head {self.organization_id}: #{self.last_seq}"
