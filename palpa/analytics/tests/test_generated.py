"""A generated organization: the planted episodes of ``synthetic.generate`` in the database,
with the locations, therapists, patients and signed-looking evaluations they need; the same
records for the same seed; never rebuilt from (absent) notes; refused a second time."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from palpa.accounts.models import Location, User
from palpa.analytics import synthetic
from palpa.analytics.episode_rules import age_band
from palpa.analytics.generated import (
    generate_organization,
    is_generated,
    planted_index,
    spec,
)
from palpa.analytics.models import Episode
from palpa.analytics.queries import episode_row
from palpa.analytics.services import rebuild_episodes
from palpa.audit.models import AuditEvent
from palpa.care.models import Evaluation
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner


class _Undo(Exception):
    pass


def _records(slug: str) -> list[tuple[Any, ...]]:
    return list(
        Episode.objects.filter(organization__slug=slug)
        .order_by("patient__mrn")
        .values_list(
            "public_id",
            "patient__mrn",
            "patient__given_name",
            "patient__date_of_birth",
            "practitioner__public_id",
            "location__name",
            "evaluation__onset_on",
            "intake_score",
            "last_score",
            "ending",
            "start",
        )
    )


def test_a_small_generated_organization_has_the_expected_counts(db: None) -> None:
    out = io.StringIO()
    call_command("outcomes", "generate", "--scale", "120", "--seed", "4", stdout=out)
    made = Episode.objects.values_list("organization", flat=True).distinct().get()
    organization = Location.objects.filter(organization_id=made).first()
    assert organization is not None
    org = organization.organization
    assert org.slug == "generated-s4-n120"
    assert is_generated(org)
    assert "not for clinical use" in org.name
    assert Location.objects.filter(organization=org).count() == 20
    assert Practitioner.objects.filter(organization=org).count() == 100
    assert User.objects.filter(organization=org, role="therapist").count() == 100
    assert Patient.objects.filter(organization=org).count() == 120
    signed = Evaluation.objects.filter(organization=org, status=Evaluation.Status.SIGNED)
    assert signed.count() == 120
    assert not signed.filter(signed_by=None).exists()
    assert Episode.objects.filter(organization=org).count() == 120
    assert "120 episodes" in out.getvalue()
    entry = AuditEvent.objects.filter(organization=org).get()
    assert (entry.action, entry.detail["seed"], entry.detail["scale"]) == ("create", 4, 120)


def test_its_episodes_round_trip_to_the_planted_rows(db: None) -> None:
    generate_organization(scale=300, seed=5)
    planted = synthetic.generate(spec(scale=300), seed=5)
    stored = Episode.objects.select_related("patient", "practitioner", "location")
    assert stored.count() == len(planted)
    responders = 0
    for episode in stored:
        row = episode_row(episode)
        truth = planted[planted_index(episode.patient.mrn)]
        assert row.improvement == truth.improvement
        assert row.responder == truth.responder
        responders += bool(row.responder)
        same = (
            "condition_group",
            "icd10",
            "measure",
            "intake_score",
            "last_score",
            "mcid",
            "mdc",
            "visits",
            "planned_visits",
            "technique_mix",
            "payer_type",
            "age_band",
            "sex",
            "chronicity",
            "comorbidity_count",
            "ending",
            "start",
            "end",
            "visits_to_meaningful_change",
            "technique_minutes",
        )
        assert [getattr(row, f) for f in same] == [getattr(truth, f) for f in same]
        assert episode.practitioner.family_name == truth.therapist
        assert episode.location.name == f"Generated location {truth.location}"
        assert age_band(episode.patient.date_of_birth, truth.start) == truth.age_band
    assert responders == sum(bool(r.responder) for r in planted) > 0


def test_the_same_seed_generates_the_same_records(db: None) -> None:
    first: list[tuple[Any, ...]] = []

    def generate_and_undo() -> None:
        with transaction.atomic():
            generate_organization(scale=60, seed=6)
            first.extend(_records("generated-s6-n60"))
            raise _Undo

    with pytest.raises(_Undo):
        generate_and_undo()
    assert not Episode.objects.exists()
    generate_organization(scale=60, seed=6)
    assert _records("generated-s6-n60") == first
    assert len(first) == 60


def test_the_null_organization_is_another_one_without_planted_effects(db: None) -> None:
    planted = generate_organization(scale=40, seed=6)
    null = generate_organization(scale=40, seed=6, null=True)
    assert null.organization.slug == "generated-s6-n40-null"
    assert "no planted effects" in null.organization.name
    assert planted.organization.pk != null.organization.pk


def test_a_second_generation_with_the_same_scale_and_seed_exits_2(db: None) -> None:
    generate_organization(scale=20, seed=7)
    with pytest.raises(CommandError, match=r"^--seed: the organization generated-s7-n20") as e:
        call_command("outcomes", "generate", "--scale", "20", "--seed", "7")
    assert e.value.returncode == 2
    with pytest.raises(CommandError, match=r"^--scale:") as e:
        call_command("outcomes", "generate", "--scale", "0", "--seed", "7")
    assert e.value.returncode == 2


def test_rebuilding_the_episode_table_leaves_a_generated_organization_alone(db: None) -> None:
    generate_organization(scale=30, seed=8)
    before = _records("generated-s8-n30")
    rebuild_episodes()
    assert _records("generated-s8-n30") == before
