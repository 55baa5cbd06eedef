"""The episode table: one row per episode of care, kept up to date as care is recorded.

An episode opens with a signed evaluation and runs to the discharge of its plan of care
(or to the last contact, for a patient who stopped coming). Every field is derived from
the clinical records by ``services.refresh_episode``; nothing here is entered by hand, so
the row can be recomputed at any time and a replay gives the same row. See
docs/outcome-analytics.md ("The episode table") for each field's rule.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from palpa.analytics import rows
from palpa.core.models import TenantModel


class Episode(TenantModel):
    class Ending(models.TextChoices):
        GOALS_MET = rows.GOALS_MET, "Goals met"
        PLATEAU = rows.PLATEAU, "Plateau"
        REFERRED_OUT = rows.REFERRED_OUT, "Referred out"
        DROPPED_OUT = rows.DROPPED_OUT, "Dropped out"
        ONGOING = rows.ONGOING, "Ongoing"

    class Chronicity(models.TextChoices):
        ACUTE = rows.ACUTE, "Acute (under 6 weeks)"
        SUBACUTE = rows.SUBACUTE, "Subacute (6 to 12 weeks)"
        CHRONIC = rows.CHRONIC, "Chronic (over 12 weeks)"
        UNKNOWN = rows.UNKNOWN, "Unknown (no onset recorded)"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    evaluation = models.OneToOneField(
        "care.Evaluation", on_delete=models.PROTECT, related_name="episode"
    )
    plan = models.ForeignKey(
        "care.Plan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The newest signed version of the evaluation's plan of care.",
    )
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")

    # the condition
    icd10 = models.CharField("ICD-10-CM code", max_length=10, blank=True)
    condition_group = models.CharField(max_length=40)
    conditions_version = models.CharField(max_length=20)

    # the primary measure
    measure = models.CharField(max_length=40, blank=True, help_text="Instrument id, e.g. NDI")
    higher_is_better = models.BooleanField(default=False)
    intake_score = models.FloatField(null=True, blank=True)
    intake_on = models.DateField(null=True, blank=True)
    last_score = models.FloatField(null=True, blank=True)
    last_on = models.DateField(null=True, blank=True)
    mcid = models.FloatField("MCID", null=True, blank=True)
    mdc = models.FloatField("MDC", null=True, blank=True)
    scores = models.JSONField(
        default=list,
        blank=True,
        help_text="The measure's scores in the episode: [date, score] in date order.",
    )

    # the care given
    visits = models.PositiveIntegerField(default=0)
    planned_visits = models.PositiveIntegerField(null=True, blank=True)
    technique_minutes = models.JSONField(default=dict, blank=True)
    technique_mix = models.CharField(max_length=90, blank=True)
    visits_to_meaningful_change = models.PositiveIntegerField(null=True, blank=True)
    last_contact_on = models.DateField()

    # the patient at the evaluation
    payer_type = models.CharField(max_length=20)
    age_band = models.CharField(max_length=10)
    sex = models.CharField(max_length=10)
    chronicity = models.CharField(max_length=10, choices=Chronicity.choices)
    screening_decision = models.CharField(max_length=10, blank=True)
    comorbidity_count = models.PositiveSmallIntegerField(default=0)

    # how it ended
    ending = models.CharField(max_length=20, choices=Ending.choices, default=Ending.ONGOING)
    discharge_reason = models.CharField(max_length=20, blank=True)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-start", "-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["organization", "condition_group", "start"], name="ep_group"),
            models.Index(fields=["organization", "practitioner", "start"], name="ep_practitioner"),
            models.Index(fields=["organization", "location", "start"], name="ep_location"),
            models.Index(fields=["organization", "technique_mix"], name="ep_technique_mix"),
            models.Index(fields=["organization", "ending", "last_contact_on"], name="ep_open"),
            models.Index(fields=["organization", "patient"], name="ep_patient"),
        ]

    def __str__(self) -> str:
        return f"Episode {self.start} {self.condition_group} ({self.ending})"


class OutcomeSnapshot(TenantModel):
    """What the background worker computed from an organization's episodes at one time:
    the pages, the API and the goal form read the newest snapshot of a kind and never fit
    or aggregate on a web request. ``kind`` names the builder (``snapshots.register``);
    ``data`` is its JSON; ``version`` is the builder's own version (a new version makes
    the pages ignore older snapshots)."""

    kind = models.CharField(max_length=40)
    version = models.CharField(max_length=20)
    computed_at = models.DateTimeField()
    episodes = models.PositiveIntegerField(help_text="Episodes the snapshot rests on.")
    seconds = models.FloatField(help_text="How long the computation took.")
    data = models.JSONField()

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["organization", "kind", "-computed_at"], name="snapshot_latest")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.version} at {self.computed_at:%Y-%m-%d %H:%M}"
