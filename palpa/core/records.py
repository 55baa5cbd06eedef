"""Signed records: one mechanism for notes, evaluations, plans of care and reports.

A record is written as a draft, then signed (who, when, a SHA-256 of its content); from
then on its content never changes: a correction is a signed addendum or a new version of
the same lineage, and a record written in error is marked, never deleted. A record type
declares its ``Lifecycle`` (its content, sign checks and after-sign hook); the functions
here do the rest. One signing is one act (docs/architecture.md "Records kernel", ADR 9).
Core is on line 0: the audit and permission checks come in from the type's app.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from palpa.core.events import Event, publish
from palpa.core.models import TenantModel

if TYPE_CHECKING:
    from palpa.accounts.models import User

DRAFT = "draft"
ENTERED_IN_ERROR = "entered-in-error"
# What may still move on a signed record: its status (and the status's reason).
STATUS_FIELDS = frozenset({"status", "status_reason", "updated_at"})
SIGNATURE_FIELDS = ("status", "signed_at", "signed_by", "content_hash", "updated_at")
REASON_MAX_CHARS = 300
ADDENDUM_MAX_CHARS = 5000


_act: ContextVar[int | None] = ContextVar("palpa_record_act", default=None)


def current_act() -> int | None:
    """The audit sequence number of the act in progress (a signing, a marking in
    error), which the audit entries written as its consequences link to; else None."""
    return _act.get()


@contextmanager
def _part_of(entry: Any) -> Iterator[None]:
    token = _act.set(getattr(entry, "seq", None))
    try:
        yield
    finally:
        _act.reset(token)


class SignedRecordChanged(Exception):
    """Raised on any attempt to change a signed record's content or to delete a record."""


def content_hash(content: dict[str, Any]) -> str:
    """The SHA-256 of ``content`` as canonical JSON (sorted keys, no spaces)."""
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def signature_constraint(
    name: str, signed: Collection[str], also: Q | None = None
) -> models.CheckConstraint:
    """A record in a signed status carries its signature: time, signer and hash."""
    signature = Q(signed_at__isnull=False) & Q(signed_by__isnull=False) & ~Q(content_hash="")
    status = Q(status=next(iter(signed))) if len(signed) == 1 else Q(status__in=list(signed))
    return models.CheckConstraint(
        condition=~status | (signature & also if also is not None else signature), name=name
    )


def refuse_if_locked(model: type[models.Model], pk: int | None, message: str) -> None:
    """For a row that belongs to a record: refuse the write unless the record is a draft."""
    if pk is None:
        return
    status = model._default_manager.filter(pk=pk).values_list("status", flat=True).first()
    if status != DRAFT:
        raise SignedRecordChanged(message)


class SignedQuerySet[M: SignedRecord](models.QuerySet[M, M]):
    """Bulk changes go around ``save()``: refuse them where ``save()`` would refuse."""

    def update(self, **kwargs: Any) -> int:
        if set(kwargs) - STATUS_FIELDS and self.filter(status__in=self.model.SIGNED).exists():
            raise self.model.Changed(self.model.changed_message)
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise self.model.Changed(self.model.deleted_message)


class SignedRecord(TenantModel):
    """The fields every signed record shares. A type names its ``Status`` choices (with
    ``draft`` and ``entered-in-error``), its ``SIGNED`` statuses (content locked) and the
    signature constraint (``signature_constraint``)."""

    SIGNED: ClassVar[tuple[str, ...]] = ("signed",)
    Changed: ClassVar[type[SignedRecordChanged]] = SignedRecordChanged
    changed_message: ClassVar[str] = "A signed record never changes."
    deleted_message: ClassVar[str] = "Signed records are never deleted; mark them in error."

    status = models.CharField(max_length=20, default=DRAFT)
    status_reason = models.CharField(max_length=REASON_MAX_CHARS, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    content_hash = models.CharField(max_length=64, blank=True)

    objects = SignedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields: Iterable[str] | None = kwargs.get("update_fields")
        if self.pk is not None and (fields is None or not set(fields) <= STATUS_FIELDS):
            stored = type(self)._default_manager.filter(pk=self.pk)
            if stored.values_list("status", flat=True).first() in self.SIGNED:
                raise self.Changed(self.changed_message)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise self.Changed(self.deleted_message)

    @property
    def is_locked(self) -> bool:
        return self.status != DRAFT

    @property
    def is_signed(self) -> bool:
        return self.status in self.SIGNED


class Versioned(models.Model):
    """A record corrected by new versions: all versions share one ``lineage``; each
    names the version it ``supersedes`` (declared by the type, with its own name)."""

    lineage = models.UUIDField(default=uuid.uuid4, editable=False)
    version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        abstract = True


class Addendum(TenantModel):
    """A signed correction or addition to a signed record, which stays as signed.
    Written once, signed as it is written; it never changes."""

    text = models.TextField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64)

    class Meta:
        abstract = True
        ordering: ClassVar = ["signed_at"]

    def __str__(self) -> str:
        return f"Addendum {self.signed_at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise SignedRecordChanged("A signed addendum never changes; add another one.")
        super().save(*args, **kwargs)


def _nothing(*_args: Any) -> None:
    return None


@dataclass(frozen=True)
class Lifecycle[R: SignedRecord]:
    """What one record type declares: ``what`` it is called ("note"), its ``audit``
    (``audit(actor, action, record, **detail)`` writes and returns one entry), the
    refusal when it was ``locked`` a moment ago, its sign ``check`` (before the
    transaction; may prepare costly content such as a PDF), its ``seal`` (sets the
    ``sealed`` content fields, returns the hash), its ``after_sign`` hook (in the
    transaction), the event higher apps react to, and ``after_error`` (in the
    transaction that marks a signed record in error)."""

    model: type[R]
    what: str
    audit: Callable[..., Any]
    locked: type[Exception]
    check: Callable[[User, R], None]
    seal: Callable[[R], str]
    signed_status: str = "signed"
    sealed: tuple[str, ...] = ()
    sign_detail: Callable[[R], dict[str, Any]] = field(default=lambda record: {})
    after_sign: Callable[[User, R], None] = _nothing
    signed_event: Callable[[R], Event] | None = None
    after_error: Callable[[User, R, str], None] = _nothing
    addendum: type[Addendum] | None = None


def change_draft[R: SignedRecord](
    life: Lifecycle[R],
    *,
    actor: User,
    record: R,
    changes: dict[str, Any],
    validate: Callable[[R], None],
    stored: models.QuerySet[R] | None = None,
) -> R:
    """Change a draft's fields: read it afresh (``stored``: the queryset to read it from,
    e.g. with related rows the validation needs), set ``changes``, ``validate`` (raises
    ValidationError naming the field: nothing is saved), save with one audit entry naming
    the fields, and copy the changes onto ``record``. The caller has checked that the actor
    may change it and that it is still a draft."""
    rows = stored if stored is not None else life.model._default_manager.all()
    fresh = cast(R, rows.get(pk=record.pk))
    for name, value in changes.items():
        setattr(fresh, name, value)
    validate(fresh)
    with transaction.atomic():
        fresh.save()
        life.audit(actor, "update", fresh, changed=sorted(changes))
    for name in changes:
        setattr(record, name, getattr(fresh, name))
    return record


def sign[R: SignedRecord](life: Lifecycle[R], *, actor: User, record: R) -> R:
    """Sign a draft: checks, then one transaction for the act (see the module's doc)."""
    life.check(actor, record)
    with transaction.atomic():
        locked = life.model._default_manager.select_for_update().get(pk=record.pk)
        if locked.status != DRAFT:
            raise life.locked(f"This {life.what} was signed a moment ago.")
        record.status = life.signed_status
        record.signed_at = record.signed_at or timezone.now()
        record.signed_by = actor
        record.content_hash = life.seal(record)
        record.save(update_fields=[*SIGNATURE_FIELDS, *life.sealed])
        act = life.audit(
            actor,
            "update",
            record,
            signed=True,
            content_hash=record.content_hash,
            **life.sign_detail(record),
        )
        with _part_of(act):
            life.after_sign(actor, record)
        if life.signed_event is not None:
            publish(life.signed_event(record))
    return record


def checked_reason(reason: str, missing: str) -> str:
    """A status reason: required (``missing`` says what to write), at most 300
    characters; the same rule for every record type."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": missing})
    if len(reason) > REASON_MAX_CHARS:
        raise ValidationError({"reason": f"At most {REASON_MAX_CHARS} characters."})
    return reason


def enter_in_error[R: SignedRecord](
    life: Lifecycle[R], *, actor: User, record: R, reason: str
) -> R:
    """Mark a record entered in error: kept, with its reason; the caller has checked who
    may and from which status. Marking twice changes nothing."""
    reason = checked_reason(reason, f"Say why the {life.what} is in error.")
    if record.status == ENTERED_IN_ERROR:
        return record
    with transaction.atomic():
        previous = record.status
        record.status = ENTERED_IN_ERROR
        record.status_reason = reason
        record.save(update_fields=["status", "status_reason", "updated_at"])
        act = life.audit(actor, "delete", record, **{"from": previous, "reason": reason})
        if previous in record.SIGNED:
            with _part_of(act):
                life.after_error(actor, record, reason)
    return record


def add_addendum[R: SignedRecord](
    life: Lifecycle[R], *, actor: User, record: R, text: str, check_signer: Callable[[], Any]
) -> Addendum:
    """A signed addendum to a signed record (the caller has checked who may, and that
    the record is signed). Its hash covers the record's hash, the text, the signer and
    the time, so the record it amends stays exactly as it was signed."""
    assert life.addendum is not None, f"{life.what} takes no addenda"
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the correction or addition."})
    if len(text) > ADDENDUM_MAX_CHARS:
        raise ValidationError({"text": f"An addendum is at most {ADDENDUM_MAX_CHARS} characters."})
    check_signer()
    now = timezone.now()
    addendum = life.addendum(
        organization_id=record.organization_id,
        text=text,
        signed_by=actor,
        signed_at=now,
        content_hash=content_hash(
            {life.what: record.content_hash, "text": text, "by": actor.pk, "at": now}
        ),
        **{life.what: record},
    )
    with transaction.atomic():
        addendum.save()
        life.audit(
            actor,
            "create",
            record,
            addendum=str(addendum.public_id),
            content_hash=addendum.content_hash,
        )
    return addendum


# --- versions -----------------------------------------------------------------------------


def pending_version(record: Any) -> Any:
    """The drafted or signed version that replaces ``record`` (not one in error), if any."""
    versions = type(record)._default_manager.filter(supersedes=record)
    return versions.exclude(status=ENTERED_IN_ERROR).first()


def next_version(record: Any) -> int:
    """One above every version of the lineage (a discarded draft keeps its number)."""
    versions = type(record)._default_manager.filter(lineage=record.lineage)
    return int(max(versions.values_list("version", flat=True), default=record.version)) + 1


def new_version[R: SignedRecord](
    life: Lifecycle[R],
    *,
    actor: User,
    record: R,
    fields: dict[str, Any],
    taken: Exception,
    copy: Callable[[R], None] = _nothing,
    detail: dict[str, Any],
) -> R:
    """A new draft version of a signed record, carrying ``fields`` (and what ``copy``
    copies onto it); the signed one stays until the new one is signed. ``taken`` is
    raised when another new version was drafted a moment ago."""
    new = life.model(
        organization_id=record.organization_id,
        lineage=getattr(record, "lineage"),  # noqa: B009 (Versioned records only)
        version=next_version(record),
        supersedes=record,
        **fields,
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                new.save()
        except IntegrityError as exc:
            raise taken from exc
        copy(new)
        life.audit(actor, "create", new, **detail)
    return new


def supersede[R: SignedRecord](
    life: Lifecycle[R],
    *,
    actor: User,
    record: R,
    status: str,
    reason: str,
    refuse: Callable[[R], None] = _nothing,
) -> None:
    """In the signing of ``record``: the version it supersedes gets ``status`` and
    ``reason`` (after ``refuse`` had its say on the locked row); audited, naming the new
    version."""
    previous_id = getattr(record, "supersedes_id")  # noqa: B009 (Versioned records only)
    if previous_id is None:
        return
    previous = cast(R, life.model._default_manager.select_for_update().get(pk=previous_id))
    refuse(previous)
    previous.status = status
    previous.status_reason = reason
    previous.save(update_fields=["status", "status_reason", "updated_at"])
    life.audit(actor, "update", previous, superseded_by=str(record.public_id))
