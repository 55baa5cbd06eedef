"""The only code that writes instrument administrations and instrument links.

Scoring is ``palpa.outcomes.scoring.score``: answers that cannot be scored are refused
with a ValidationError naming the item and the rule (the API answers 422), and nothing is
saved. Every verb runs in one transaction and leaves an audit entry.

Instrument links: a therapist or owner sends the patient a one-time link to fill chosen
instruments on their phone before a visit (``create_instrument_link``). Only instruments
whose item text Palpa may show can be sent. The patient's answers are scored like answers
entered at the clinic and stored with ``source = patient_link`` (``submit_instrument_link``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action, record
from palpa.core import ratelimit
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.events import publish
from palpa.core.tenancy import ANOTHER_ORGANIZATIONS_PATIENT, require_same_organization
from palpa.outcomes.events import AdministrationEnteredInError, InstrumentAdministered
from palpa.outcomes.library import Instrument, UnknownInstrument, get_instrument, load_library
from palpa.outcomes.models import (
    DEFAULT_INSTRUMENT_LINK_DAYS,
    InstrumentAdministration,
    InstrumentLink,
)
from palpa.outcomes.scoring import AnswerError, ScoreResult, score
from palpa.patients import messages as ledger
from palpa.patients.models import MessageKind, Patient, PatientMessage

MAX_LABEL = 120


def _labels(
    instrument_id: str, patient_names_items: bool, answers: object, labels: Sequence[str]
) -> list[str]:
    if not patient_names_items:
        if labels:
            raise ValidationError(
                {"item_labels": f"{instrument_id} has fixed items; leave item_labels empty."}
            )
        return []
    count = len(answers) if isinstance(answers, list | tuple) else 0
    cleaned = [label.strip() if isinstance(label, str) else "" for label in labels]
    if len(cleaned) != count:
        raise ValidationError(
            {
                "item_labels": f"{instrument_id}: name each activity the patient rated "
                f"({count} ratings, {len(cleaned)} activities)."
            }
        )
    for number, label in enumerate(cleaned, start=1):
        if not label or len(label) > MAX_LABEL:
            raise ValidationError(
                {"item_labels": f"Activity {number} needs a name of 1 to {MAX_LABEL} characters."}
            )
    return cleaned


def _sentence(exc: AnswerError) -> str:
    return f"{exc.message[:1].upper()}{exc.message[1:]} Rule: {exc.rule}"


def _administration(
    patient: Patient,
    result: ScoreResult,
    labels: list[str],
    *,
    administered_on: dt.date,
    context: str,
    entered_by: User,
    source: str = InstrumentAdministration.Source.CLINIC,
    link: InstrumentLink | None = None,
) -> InstrumentAdministration:
    return InstrumentAdministration(
        organization_id=patient.organization_id,
        patient=patient,
        instrument=result.instrument,
        instrument_version=result.instrument_version,
        library_version=result.library_version,
        answers=list(result.answers),
        item_labels=labels,
        score=float(result.score),
        percent=None if result.percent is None else float(result.percent),
        unit=result.unit,
        band=result.band or "",
        items_answered=result.items_answered,
        items_total=result.items_total,
        calculation=result.calculation[:300],
        administered_on=administered_on,
        context=context,
        entered_by=entered_by,
        source=source,
        instrument_link=link,
    )


def administer_instrument(
    *,
    actor: User,
    patient: Patient,
    instrument: str,
    answers: object,
    administered_on: dt.date,
    context: str,
    item_labels: Sequence[str] = (),
) -> InstrumentAdministration:
    """Score the answers with the outcome library and record them, with both versions."""
    require(actor, Capability.CLINICAL_WRITE)
    require_same_organization(actor, patient, message=ANOTHER_ORGANIZATIONS_PATIENT)
    errors: dict[str, list[str]] = {}
    if patient.status != Patient.Status.ACTIVE:
        errors["patient"] = [f"The patient's record is {patient.get_status_display().lower()}."]
    if administered_on > local_today(patient):
        errors["administered_on"] = ["An administration is recorded once it has taken place."]
    if context not in InstrumentAdministration.Context.values:
        errors["context"] = [
            f"Context is one of {', '.join(InstrumentAdministration.Context.values)}."
        ]
    try:
        definition = get_instrument(instrument)
    except UnknownInstrument as exc:
        errors["instrument"] = [str(exc)]
        raise ValidationError(errors) from None
    try:
        result = score(definition, answers)
    except AnswerError as exc:
        errors["answers"] = [_sentence(exc)]
    if errors:
        raise ValidationError(errors)
    labels = _labels(definition.id, definition.items.count is None, answers, item_labels)
    administration = _administration(
        patient,
        result,
        labels,
        administered_on=administered_on,
        context=context,
        entered_by=actor,
    )
    with transaction.atomic():
        administration.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=administration,
            patient_id=str(patient.public_id),
            detail={
                "instrument": result.instrument,
                "score": result.score,
                "administered_on": administered_on.isoformat(),
                "context": context,
                "library_version": result.library_version,
            },
        )
        publish(_administered(administration))
    return administration


def _administered(administration: InstrumentAdministration) -> InstrumentAdministered:
    return InstrumentAdministered(
        administration_id=administration.pk,
        organization_id=administration.organization_id,
        patient_id=administration.patient_id,
    )


def mark_administration_entered_in_error(
    *, actor: User, administration: InstrumentAdministration, reason: str
) -> InstrumentAdministration:
    """Kept, but out of every series and progress calculation."""
    require(actor, Capability.CLINICAL_WRITE)
    require_same_organization(actor, administration.patient, message=ANOTHER_ORGANIZATIONS_PATIENT)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the administration is in error."})
    if administration.status == InstrumentAdministration.Status.ENTERED_IN_ERROR:
        return administration
    with transaction.atomic():
        administration.status = InstrumentAdministration.Status.ENTERED_IN_ERROR
        administration.status_reason = reason.strip()[:300]
        administration.save(update_fields=["status", "status_reason", "updated_at"])
        record(
            actor=actor,
            action=Action.DELETE,
            obj=administration,
            patient_id=str(administration.patient.public_id),
            detail={"from": "final", "reason": reason.strip()},
        )
        publish(
            AdministrationEnteredInError(
                administration_id=administration.pk,
                organization_id=administration.organization_id,
                patient_id=administration.patient_id,
            )
        )
    return administration


def audit_administration_read(*, actor: User, administration: InstrumentAdministration) -> None:
    record(
        actor=actor,
        action=Action.READ,
        obj=administration,
        patient_id=str(administration.patient.public_id),
    )


# --- instrument links ----------------------------------------------------------------

PATIENT_LABEL = "patient (instrument link)"
MAX_PSFS_ACTIVITIES = 5  # rows the patient may fill in all (activities on file first)


def instrument_link_days() -> int:
    """How long a new link works: ``PALPA_INSTRUMENT_LINK_DAYS`` (default 7 days)."""
    days = int(getattr(settings, "PALPA_INSTRUMENT_LINK_DAYS", DEFAULT_INSTRUMENT_LINK_DAYS))
    return max(1, days)


def link_refusal(instrument: Instrument) -> str:
    """Why the instrument cannot be sent to the patient by link ("" when it can).

    The patient must read the items themselves, so an instrument goes by link only when its
    item text (or, for the PSFS, its instructions) may be shown: Palpa's own wording of a
    generic instrument. Palpa has no place yet for a clinic's licensed text, so licensed
    instruments are given at the clinic."""
    items = instrument.items
    if instrument.license.text_shipped and (
        items.text is not None or (items.count is None and instrument.instructions)
    ):
        return ""
    return (
        f"{instrument.id} ({instrument.name}) cannot be sent by link: its license does not "
        "let Palpa show the item text, and this clinic has no licensed text for it on file. "
        "Give it at the clinic."
    )


def linkable_instruments() -> list[Instrument]:
    return [i for i in load_library().instruments.values() if not link_refusal(i)]


def unlinkable_instruments() -> list[Instrument]:
    return [i for i in load_library().instruments.values() if link_refusal(i)]


def psfs_activities_on_file(patient: Patient) -> list[str]:
    """The activities of the patient's latest PSFS (the ones their goals are measured on).

    Re-rating them, in the same order, keeps the series comparable."""
    latest = (
        InstrumentAdministration.objects.filter(
            patient=patient, instrument="PSFS", status=InstrumentAdministration.Status.FINAL
        )
        .order_by("-administered_on", "-created_at")
        .first()
    )
    if latest is None:
        return []
    return [str(label) for label in latest.item_labels or []][:MAX_PSFS_ACTIVITIES]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_instrument_link(
    *,
    actor: User,
    patient: Patient,
    instruments: Sequence[str],
    context: str = InstrumentAdministration.Context.REASSESSMENT,
) -> tuple[InstrumentLink, str]:
    """A one-time link for the patient to fill the instruments; returns the link and its
    token (shown only now: only its hash is stored).

    Earlier unused links of the patient are revoked ("replaced by a newer link")."""
    require(actor, Capability.CLINICAL_WRITE)
    require_same_organization(actor, patient, message=ANOTHER_ORGANIZATIONS_PATIENT)
    errors: dict[str, list[str]] = {}
    if patient.status != Patient.Status.ACTIVE:
        errors["patient"] = [f"The patient's record is {patient.get_status_display().lower()}."]
    if context not in InstrumentAdministration.Context.values:
        errors["context"] = [
            f"Context is one of {', '.join(InstrumentAdministration.Context.values)}."
        ]
    chosen: list[str] = []
    problems: list[str] = []
    for name in instruments:
        try:
            definition = get_instrument(str(name))
        except UnknownInstrument as exc:
            problems.append(str(exc))
            continue
        refusal = link_refusal(definition)
        if refusal:
            problems.append(refusal)
        elif definition.id in chosen:
            problems.append(f"{definition.id} is chosen twice; choose each instrument once.")
        else:
            chosen.append(definition.id)
    if not instruments:
        problems.append("Choose at least one instrument for the patient to fill.")
    if problems:
        errors["instruments"] = problems
    if errors:
        raise ValidationError(errors)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    link = InstrumentLink(
        organization_id=patient.organization_id,
        patient=patient,
        token_hash=_token_hash(token),
        instruments=chosen,
        psfs_activities=psfs_activities_on_file(patient) if "PSFS" in chosen else [],
        context=context,
        expires_at=now + dt.timedelta(days=instrument_link_days()),
        created_by=actor,
    )
    with transaction.atomic():
        earlier = InstrumentLink.objects.select_for_update().filter(
            patient=patient, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        )
        replaced = [str(public_id) for public_id in earlier.values_list("public_id", flat=True)]
        earlier.update(revoked_at=now, revoked_by=actor, revoke_reason="Replaced by a newer link.")
        link.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=link,
            patient_id=str(patient.public_id),
            detail={
                "instruments": chosen,
                "context": context,
                "expires_at": link.expires_at.isoformat(),
                "replaced": replaced,
            },
        )
    return link, token


def reissue_instrument_link(
    *,
    actor_label: str,
    patient: Patient,
    public_id: uuid.UUID | str,
    detail: Mapping[str, str] | None = None,
) -> tuple[InstrumentLink, str]:
    """The patient, signed in to their portal (no staff account: ``actor_label`` names who
    acts), opens a questionnaire link the clinic sent them: a fresh one-time link for the
    same instruments, activities and context replaces it, and the old one is revoked as
    replaced. The new link keeps the old one's expiry and the member who sent it (who
    stands as the entering member of the answers, as for any link). Returns the link and
    its token. Raises ``InstrumentLink.DoesNotExist`` unless ``public_id`` names a pending
    link of this patient."""
    if patient.status != Patient.Status.ACTIVE:
        raise ValidationError(
            {"patient": f"The patient's record is {patient.get_status_display().lower()}."}
        )
    now = timezone.now()
    with transaction.atomic():
        old = (
            InstrumentLink.objects.select_for_update()
            .filter(
                organization_id=patient.organization_id,
                patient=patient,
                public_id=public_id,
                used_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now,
            )
            .first()
        )
        if old is None:
            raise InstrumentLink.DoesNotExist
        token = secrets.token_urlsafe(32)
        link = InstrumentLink(
            organization_id=patient.organization_id,
            patient=patient,
            token_hash=_token_hash(token),
            instruments=list(old.instruments),
            psfs_activities=list(old.psfs_activities or []),
            context=old.context,
            expires_at=old.expires_at,
            created_by_id=old.created_by_id,
        )
        old.revoked_at = now
        old.revoke_reason = "Replaced: the patient opened it from the portal."
        old.save(update_fields=["revoked_at", "revoke_reason", "updated_at"])
        link.save()
        record(
            actor=None,
            action=Action.CREATE,
            organization=patient.organization,
            obj=link,
            patient_id=str(patient.public_id),
            detail={
                "opened from": "portal",
                "replaced": str(old.public_id),
                "instruments": link.instruments,
                "expires_at": link.expires_at.isoformat(),
                **(detail or {}),
            },
            actor_label=actor_label,
        )
    return link, token


def send_instrument_link(
    *,
    actor: User,
    patient: Patient,
    instruments: Sequence[str],
    context: str = InstrumentAdministration.Context.REASSESSMENT,
    resend_of: PatientMessage | None = None,
) -> tuple[InstrumentLink, str, list[PatientMessage]]:
    """A new instrument link (as ``create_instrument_link``), sent to the patient through
    the message ledger; returns the link, its token (shown to staff once) and the
    messages recorded."""
    with transaction.atomic():
        link, token = create_instrument_link(
            actor=actor, patient=patient, instruments=instruments, context=context
        )
        url = ledger.site_url() + reverse("instrument_link:form", args=[token])
        sent = ledger.send_message(
            actor=actor,
            patient=patient,
            kind=MessageKind.INSTRUMENT_LINK,
            values={"expires": ledger.day_text(link.expires_at, patient)},
            link=url,
            about=f"instrument_link:{link.public_id}",
            resend_of=resend_of,
        )
    return link, token, sent


def resend_instrument_link(actor: User, message: PatientMessage) -> list[PatientMessage]:
    """The ledger's resend: a fresh link for the same instruments (the old one is
    revoked as replaced)."""
    what, public_id = ledger.parse_about(message.about)
    old = (
        InstrumentLink.objects.filter(
            organization_id=message.organization_id, public_id=public_id
        ).first()
        if what == "instrument_link" and public_id
        else None
    )
    if old is None:
        raise ValidationError({"message": "The questionnaire link of this message was not found."})
    _link, _token, sent = send_instrument_link(
        actor=actor,
        patient=message.patient,
        instruments=list(old.instruments),
        context=old.context,
        resend_of=message,
    )
    return sent


def _usable(token: str) -> InstrumentLink | None:
    if not token or len(token) > 100:
        return None
    return (
        InstrumentLink.objects.select_related("patient", "organization")
        .filter(
            token_hash=_token_hash(token),
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            patient__status=Patient.Status.ACTIVE,
        )
        .first()
    )


def find_instrument_link(token: str) -> InstrumentLink | None:
    """The link for a token if it can still be used (known, unused, not revoked, unexpired,
    and the patient's record active); None otherwise, whatever the reason."""
    return _usable(token)


def audit_instrument_link_opened(*, link: InstrumentLink) -> None:
    """The patient opened the form (it may show the activities on file)."""
    record(
        actor=None,
        action=Action.READ,
        organization=link.organization,
        obj=link,
        patient_id=str(link.patient.public_id),
        detail={"view": "instrument link form"},
        actor_label=PATIENT_LABEL,
    )


@dataclass(frozen=True)
class NewActivity:
    """A PSFS activity the patient adds on the form: its name and rating (None: unrated)."""

    name: str
    rating: object


def _item_key(instrument_id: str, number: int | None) -> str:
    """Where an error belongs: ``NPRS-1`` (item 1) or ``NPRS`` (the instrument)."""
    return instrument_id if number is None else f"{instrument_id}-{number}"


def _score_for_link(
    definition: Instrument,
    answers: list[object],
    numbers: list[int],
    errors: dict[str, list[str]],
) -> ScoreResult | None:
    try:
        return score(definition, answers)
    except AnswerError as exc:
        row = None if exc.item is None else numbers[exc.item - 1]
        errors.setdefault(_item_key(definition.id, row), []).append(
            f"{definition.name}: {_sentence(exc)}"
        )
        return None


def _psfs_answers(
    definition: Instrument,
    link: InstrumentLink,
    ratings: Sequence[object],
    added: Sequence[NewActivity],
    errors: dict[str, list[str]],
) -> tuple[list[object], list[str], list[int]]:
    """The PSFS ratings and activity names in order, with each one's row on the form.

    Activities on file come first (their rows are their positions, so the scorer's
    messages name the right one); an added activity's rating is checked here, by row."""
    low, high = definition.items.response.min, definition.items.response.max
    on_file = [str(a) for a in link.psfs_activities]
    answers: list[object] = list(ratings)[: len(on_file)]
    answers += [None] * (len(on_file) - len(answers))
    labels = list(on_file)
    numbers = list(range(1, len(on_file) + 1))
    seen = {label.casefold() for label in labels}
    for offset, activity in enumerate(added[: MAX_PSFS_ACTIVITIES - len(on_file)]):
        row = len(on_file) + offset + 1
        name = activity.name.strip()
        rated = activity.rating not in (None, "")
        if not name and not rated:
            continue
        if not name:
            errors.setdefault(f"PSFS-name-{row}", []).append(
                f"Activity {row}: name the activity you rated (1 to {MAX_LABEL} characters)."
            )
        elif len(name) > MAX_LABEL:
            errors.setdefault(f"PSFS-name-{row}", []).append(
                f"Activity {row}: the name is {len(name)} characters; at most {MAX_LABEL}."
            )
        elif name.casefold() in seen:
            errors.setdefault(f"PSFS-name-{row}", []).append(
                f"Activity {row}: {name!r} is already listed; name each activity once."
            )
        rating = activity.rating
        if name and not rated:
            errors.setdefault(f"PSFS-{row}", []).append(
                f"Activity {row}: rate {name!r} from {low} to {high}, or clear its name."
            )
        elif rated and (
            isinstance(rating, bool) or not isinstance(rating, int) or not low <= rating <= high
        ):
            errors.setdefault(f"PSFS-{row}", []).append(
                f"Activity {row}: the rating {rating!r} is not valid. Rule: each activity is "
                f"rated with a whole number from {low} to {high}."
            )
            rating = None
        seen.add(name.casefold())
        answers.append(rating if rated else None)
        labels.append(name)
        numbers.append(row)
    return answers, labels, numbers


def submit_instrument_link(
    *,
    token: str,
    answers: Mapping[str, Sequence[object]],
    psfs_added: Sequence[NewActivity] = (),
) -> list[InstrumentAdministration]:
    """The patient's answers through their link: every instrument is scored and stored in
    one transaction (or none is), and the link is used up.

    ``answers`` maps each instrument of the link to its answers in item order (None where
    unanswered); for the PSFS, the ratings of the activities on file. ``psfs_added`` are
    the activities the patient names themselves. Raises ``Refused`` if the link cannot be
    used and ``ValidationError`` keyed ``INSTRUMENT-ITEM`` (or ``INSTRUMENT``) for answers
    that cannot be scored; the link then stays usable."""
    with transaction.atomic():
        link = (
            InstrumentLink.objects.select_for_update()
            .filter(
                token_hash=_token_hash(token) if token and len(token) <= 100 else "-",
                used_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
        if link is None:
            raise Refused("This link cannot be used.")
        patient = Patient.objects.select_related("organization").get(pk=link.patient_id)
        today = local_today(patient)  # the patient's clinic's day (a public page: no zone)
        if patient.status != Patient.Status.ACTIVE:
            raise Refused("This link cannot be used.")
        errors: dict[str, list[str]] = {}
        scored: list[tuple[ScoreResult, list[str]]] = []
        for instrument_id in link.instruments:
            definition = get_instrument(instrument_id)
            given = list(answers.get(instrument_id, ()))
            if definition.items.count is None:
                values, labels, numbers = _psfs_answers(definition, link, given, psfs_added, errors)
                if all(value is None for value in values):
                    errors.setdefault(definition.id, []).append(
                        f"{definition.name}: name at least one activity and rate it from 0 "
                        "to 10. Rule: at least 1 activity must be rated."
                    )
                    continue
            else:
                count = definition.items.count
                values = (given + [None] * count)[:count]
                labels, numbers = [], list(range(1, count + 1))
            result = _score_for_link(definition, values, numbers, errors)
            if result is not None:
                scored.append((result, labels))
        if errors:
            raise ValidationError(errors)
        administrations = []
        for result, labels in scored:
            administration = _administration(
                patient,
                result,
                labels,
                administered_on=today,
                context=link.context,
                entered_by=link.created_by,
                source=InstrumentAdministration.Source.PATIENT_LINK,
                link=link,
            )
            administration.save()
            administrations.append(administration)
            record(
                actor=None,
                action=Action.CREATE,
                organization=patient.organization,
                obj=administration,
                patient_id=str(patient.public_id),
                detail={
                    "instrument": result.instrument,
                    "score": result.score,
                    "administered_on": today.isoformat(),
                    "context": link.context,
                    "library_version": result.library_version,
                    "source": InstrumentAdministration.Source.PATIENT_LINK,
                    "instrument_link": str(link.public_id),
                },
                actor_label=PATIENT_LABEL,
            )
            publish(_administered(administration))
        link.used_at = timezone.now()
        link.save(update_fields=["used_at", "updated_at"])
    return administrations


def revoke_instrument_link(
    *, actor: User, link: InstrumentLink, reason: str = ""
) -> InstrumentLink:
    """An unused link stops working at once; a used or expired one cannot be revoked."""
    require(actor, Capability.CLINICAL_WRITE)
    require_same_organization(actor, link.patient, message=ANOTHER_ORGANIZATIONS_PATIENT)
    with transaction.atomic():
        stored = InstrumentLink.objects.select_for_update().get(pk=link.pk)
        state = stored.state
        if state != InstrumentLink.State.PENDING:
            raise Refused(f"This link is {state.label.lower()}; only an unused link is revoked.")
        stored.revoked_at = timezone.now()
        stored.revoked_by = actor
        stored.revoke_reason = reason.strip()[:200]
        stored.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=stored,
            patient_id=str(link.patient.public_id),
            detail={"from": "pending", "to": "revoked", "reason": stored.revoke_reason},
        )
    return stored


def audit_instrument_links_read(*, actor: User, patient: Patient, what: str) -> None:
    record(
        actor=actor,
        action=Action.READ,
        obj=patient,
        patient_id=str(patient.public_id),
        detail={"view": what},
    )


def allow_instrument_link_request(client_address: str, link_id: object | None = None) -> bool:
    """Count a request to an instrument link; False once over the limit. A usable link
    (``link_id``) counts on its own, an unknown token against the address:
    ``PALPA_INSTRUMENT_LINK_RATE_LIMIT`` requests (default 20) per
    ``PALPA_INSTRUMENT_LINK_RATE_WINDOW_MINUTES`` (default 15)."""
    return ratelimit.allow(
        "instrument_link",
        ratelimit.key_for_link(client_address, link_id),
        limit=int(getattr(settings, "PALPA_INSTRUMENT_LINK_RATE_LIMIT", 20)),
        window_minutes=int(getattr(settings, "PALPA_INSTRUMENT_LINK_RATE_WINDOW_MINUTES", 15)),
    )
