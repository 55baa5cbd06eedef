"""A generated organization whose truth is known, stored in the database.

``palpa outcomes generate --scale N --seed S [--null]`` writes the episodes of
``synthetic.generate`` (planted effects, or none with ``--null``) into a new organization
of its own: 20 locations in four states, five therapists each, one patient, one signed-
looking evaluation and one episode per generated episode, over five years (2021-2025).
The same seed and scale give the same records (names, dates, scores and public ids).

This is generated data for tests and benchmarks, not a clinic's record: the rows go in with
``bulk_create`` (no services, no domain events, one audit entry for the whole organization),
the evaluations carry a placeholder signature, and the organization's slug starts with
``generated-`` and its name says "not for clinical use". ``palpa episodes rebuild`` leaves
such organizations alone: their episodes are the planted ones, not derived from notes and
scores (there are none). See docs/outcome-analytics.md ("A generated organization").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connection, models, transaction

from palpa.accounts.models import Location, Organization, User
from palpa.analytics import episode_rules as rules
from palpa.analytics import synthetic
from palpa.analytics.models import Episode
from palpa.analytics.rows import (
    ACUTE,
    CHRONIC,
    GOALS_MET,
    PLATEAU,
    REFERRED_OUT,
    SUBACUTE,
    EpisodeRow,
)
from palpa.audit.services import Action, record
from palpa.care.models import Evaluation
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner

GENERATED_PREFIX = "generated-"
LOCATIONS = 20
THERAPISTS_PER_LOCATION = 5
YEARS = 5
FIRST_YEAR = 2021
BATCH = 5000
# (state, city, time zone): four US time zones, five locations each
STATES = (
    ("FL", "Tampa", "America/New_York"),
    ("IL", "Chicago", "America/Chicago"),
    ("CO", "Denver", "America/Denver"),
    ("CA", "San Diego", "America/Los_Angeles"),
)
GIVEN = ("Avery", "Jordan", "Riley", "Morgan", "Casey", "Quinn", "Rowan", "Sage", "Emery", "Blake")
# days from onset to the evaluation for each chronicity (acute < 42, chronic > 84)
ONSET_DAYS = {ACUTE: 20, SUBACUTE: 60, CHRONIC: 150}
# an age band's ages (episode_rules.AGE_BANDS): the oldest band reaches past 89 (the export
# must group them), to 99
AGES = {label: (low, high if high is not None else 99) for low, high, label in rules.AGE_BANDS}


# a planted ending as the discharge would give it (a drop-out has no discharge)
DISCHARGE_REASONS = {
    GOALS_MET: "goals_met",
    PLATEAU: "plateau",
    REFERRED_OUT: "referred_out",
}


def is_generated(organization: Organization) -> bool:
    return organization.slug.startswith(GENERATED_PREFIX)


def slug_for(*, scale: int, seed: int, null: bool) -> str:
    return f"{GENERATED_PREFIX}s{seed}-n{scale}{'-null' if null else ''}"


def spec(*, scale: int, null: bool = False) -> synthetic.Organization:
    """The synthetic organization a scale stands for (the planted rows come from it)."""
    return synthetic.Organization(
        locations=LOCATIONS,
        therapists_per_location=THERAPISTS_PER_LOCATION,
        years=YEARS,
        episodes=scale,
        first_year=FIRST_YEAR,
        effects=synthetic.NULL_EFFECTS if null else synthetic.PlantedEffects(),
    )


@dataclass(frozen=True)
class Generated:
    organization: Organization
    locations: int
    therapists: int
    patients: int
    evaluations: int
    episodes: int


class AlreadyGenerated(Exception):
    pass


def mrn(index: int) -> str:
    """The patient of planted episode ``index`` (0-based): MRN G0000001 is episode 0."""
    return f"G{index + 1:07d}"


def planted_index(patient_mrn: str) -> int:
    return int(patient_mrn[1:]) - 1


def generate_organization(*, scale: int, seed: int, null: bool = False) -> Generated:
    """Create the generated organization for ``scale`` episodes and ``seed``; refuse when it
    exists already (``AlreadyGenerated``)."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    slug = slug_for(scale=scale, seed=seed, null=null)
    if Organization.objects.filter(slug=slug).exists():
        raise AlreadyGenerated(slug)
    rows = synthetic.generate(spec(scale=scale, null=null), seed=seed)
    ids = random.Random(slug)  # noqa: S311 - public ids of generated rows, not secrets

    def public_id() -> uuid.UUID:
        return uuid.UUID(int=ids.getrandbits(128), version=4)

    with transaction.atomic():
        organization = Organization.objects.create(
            public_id=public_id(),
            name=(
                f"Generated outcomes data (seed {seed}, {scale} episodes"
                f"{', no planted effects' if null else ''}) - not for clinical use"
            ),
            slug=slug,
        )
        User.objects.create(
            username=f"owner@{slug}.generated.example",
            email=f"owner@{slug}.generated.example",
            full_name="Generated owner",
            role="owner",
            organization=organization,
            password="!generated",  # unusable: nobody signs in as a generated account
            public_id=public_id(),
        )
        locations = _locations(organization, public_id)
        therapists = _therapists(organization, locations, public_id)
        record(
            actor=None,
            action=Action.CREATE,
            organization=organization,
            obj=organization,
            actor_label="palpa outcomes generate",
            detail={"generated": True, "seed": seed, "scale": scale, "null": null},
        )
    for start in range(0, len(rows), BATCH):
        with transaction.atomic():
            _episodes(
                organization,
                rows[start : start + BATCH],
                start,
                locations,
                therapists,
                public_id,
                slug,
            )
    return Generated(organization, len(locations), len(therapists), len(rows), len(rows), len(rows))


def _locations(
    organization: Organization, public_id: Callable[[], uuid.UUID]
) -> dict[str, Location]:
    made = []
    for i in range(LOCATIONS):
        state, city, zone = STATES[i % len(STATES)]
        made.append(
            Location(
                public_id=public_id(),
                organization=organization,
                name=f"Generated location {synthetic.location_label(i)}",
                address_line1=f"{100 + i} Generated Way",
                city=city,
                region=state,
                postal_code="00000",
                time_zone=zone,
            )
        )
    Location.objects.bulk_create(made)
    return {synthetic.location_label(i): loc for i, loc in enumerate(made)}


def _therapists(
    organization: Organization, locations: dict[str, Location], public_id: Callable[[], uuid.UUID]
) -> dict[str, Practitioner]:
    labels = [
        synthetic.therapist_label(loc, t)
        for loc in range(len(locations))
        for t in range(THERAPISTS_PER_LOCATION)
    ]
    users = [
        User(
            public_id=public_id(),
            username=f"{label.lower()}@{organization.slug}.generated.example",
            email=f"{label.lower()}@{organization.slug}.generated.example",
            full_name=f"Therapist {label}",
            role="therapist",
            organization=organization,
            password="!generated",
        )
        for label in labels
    ]
    User.objects.bulk_create(users)
    practitioners = [
        Practitioner(
            public_id=public_id(),
            organization=organization,
            user=user,
            given_name="Therapist",
            family_name=label,
            credentials="LMT",
        )
        for label, user in zip(labels, users, strict=True)
    ]
    Practitioner.objects.bulk_create(practitioners)
    return dict(zip(labels, practitioners, strict=True))


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (28 February for a 29th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _episodes(
    organization: Organization,
    rows: Sequence[EpisodeRow],
    offset: int,
    locations: dict[str, Location],
    therapists: dict[str, Practitioner],
    public_id: Callable[[], uuid.UUID],
    slug: str,
) -> None:
    new_id = public_id
    people = random.Random(f"{slug}:{offset}")  # noqa: S311 - generated demographics
    patients = []
    for j, row in enumerate(rows):
        i = offset + j
        low, high = AGES.get(row.age_band, (40, 59))
        born = _years_before(row.start, people.randint(low, high))
        born -= dt.timedelta(days=people.randint(0, 364))  # the age stays in its band
        given = GIVEN[i % len(GIVEN)]
        family = f"Generated{i + 1:07d}"
        patients.append(
            Patient(
                public_id=new_id(),
                organization=organization,
                mrn=mrn(i),
                given_name=given,
                family_name=family,
                date_of_birth=born,
                sex=row.sex,
                email=f"patient{i + 1:07d}@generated.example",
                phone=f"+1 555 {i // 10000:03d} {i % 10000:04d}",
                address_line1=f"{i + 1} Generated Street",
                city=locations[row.location].city,
                region=locations[row.location].region,
                postal_code="00000",
                primary_location=locations[row.location],
                search_name=f"{given.lower()} {family.lower()}",
                phone_digits=f"555{i // 10000:03d}{i % 10000:04d}"[-10:],
            )
        )
    _insert(Patient, patients)
    evaluations = []
    for row, patient in zip(rows, patients, strict=True):
        therapist = therapists[row.therapist]
        onset = ONSET_DAYS.get(row.chronicity)
        evaluations.append(
            Evaluation(
                public_id=new_id(),
                organization=organization,
                patient=patient,
                practitioner=therapist,
                location=locations[row.location],
                evaluated_on=row.start,
                onset_on=row.start - dt.timedelta(days=onset) if onset else None,
                chief_complaint=f"Generated record: {row.condition_group} (not clinical)",
                status=Evaluation.Status.SIGNED,
                signed_at=dt.datetime.combine(row.start, dt.time(18), tzinfo=dt.UTC),
                signed_by_id=therapist.user_id,
                content_hash=hashlib.sha256(f"{slug}:{patient.mrn}".encode()).hexdigest(),
            )
        )
    _insert(Evaluation, evaluations)
    episodes = []
    for row, patient, evaluation in zip(rows, patients, evaluations, strict=True):
        end = row.end
        scores: list[list[object]] = [[row.start.isoformat(), row.intake_score]]
        if row.last_score is not None and end is not None:
            scores.append([end.isoformat(), row.last_score])
        episodes.append(
            Episode(
                public_id=new_id(),
                organization=organization,
                patient=patient,
                evaluation=evaluation,
                practitioner=therapists[row.therapist],
                location=locations[row.location],
                icd10=row.icd10,
                condition_group=row.condition_group,
                conditions_version="synthetic",
                measure=row.measure,
                higher_is_better=row.higher_is_better,
                intake_score=row.intake_score,
                intake_on=row.start,
                last_score=row.last_score,
                last_on=end if row.last_score is not None else None,
                mcid=row.mcid,
                mdc=row.mdc,
                scores=scores,
                visits=row.visits,
                planned_visits=row.planned_visits,
                technique_minutes=dict(row.technique_minutes),
                technique_mix=row.technique_mix,
                visits_to_meaningful_change=row.visits_to_meaningful_change,
                last_contact_on=end or row.start,
                payer_type=row.payer_type,
                age_band=row.age_band,
                sex=row.sex,
                chronicity=row.chronicity,
                screening_decision=row.screening_decision,
                comorbidity_count=row.comorbidity_count,
                ending=row.ending,
                discharge_reason=DISCHARGE_REASONS.get(row.ending, ""),
                start=row.start,
                end=end,
            )
        )
    _insert(Episode, episodes)


# Column types whose Python value goes to the database as it is (both backends).
_PLAIN = frozenset(
    {
        "CharField",
        "TextField",
        "SlugField",
        "EmailField",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "BigIntegerField",
        "FloatField",
        "BooleanField",
        "ForeignKey",
        "OneToOneField",
    }
)


def _insert(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """Insert ``objects`` with one executemany and give each its primary key: the ORM's
    ``bulk_create`` spends most of its time compiling one parameter at a time, which at
    100,000 episodes is minutes. Values go through each field's own database preparation
    (``get_db_prep_save``) except plain strings, numbers, booleans and foreign keys."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plain = [f.get_internal_type() in _PLAIN and not getattr(f, "auto_now", False) for f in fields]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
        quote(model._meta.db_table),
        ", ".join(quote(f.column or f.name) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    params = [
        [
            getattr(obj, f.attname)
            if is_plain
            else f.get_db_prep_save(f.pre_save(obj, True), connection)
            for f, is_plain in zip(fields, plain, strict=True)
        ]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    by_public_id = {obj.public_id: obj for obj in objects}  # type: ignore[attr-defined]
    stored = model._default_manager.filter(public_id__in=list(by_public_id))
    for public_id, pk in stored.values_list("public_id", "pk"):
        by_public_id[public_id].pk = pk
