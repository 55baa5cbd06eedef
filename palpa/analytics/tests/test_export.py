"""The de-identified export: no identifier of the 18 leaves Palpa, dates are years, ages
over 89 are one band, small quasi-identifier groups are suppressed and counted, pseudonyms
are new for every export (the same only for the same seeded source), one audit entry, and a
bad argument exits 2 naming it."""

from __future__ import annotations

import csv
import io
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from palpa.accounts.models import Location, Organization
from palpa.analytics.export import (
    DICTIONARY_FILE,
    EPISODES_FILE,
    QUASI_IDENTIFIERS,
    RULES,
    ExportRefused,
    export_deidentified,
    safe_age_band,
)
from palpa.analytics.generated import generate_organization
from palpa.analytics.models import Episode
from palpa.analytics.tests.conftest import EVALUATED, ONSET, VISITS, Course
from palpa.audit.models import AuditEvent
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner

DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"\b\d{3}[ .-]?\d{3}[ .-]?\d{4}\b")


def _rows(directory: Path) -> list[dict[str, str]]:
    with (directory / EPISODES_FILE).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _generated(scale: int = 400, seed: int = 3) -> Organization:
    return generate_organization(scale=scale, seed=seed).organization


def test_a_real_course_is_exported_without_any_of_its_identifiers(
    course: Course, tmp_path: Path
) -> None:
    organization = Organization.objects.get(pk=course.patient.organization_id)
    export_deidentified(
        actor=None, organization=organization, out=tmp_path / "x", k=1, source=random.Random(1)
    )
    _header, text = (tmp_path / "x" / EPISODES_FILE).read_text(encoding="utf-8").split("\n", 1)
    text = text.lower()  # the values (the header names the columns, e.g. "therapist")
    patient, location = course.patient, course.location
    practitioner = Practitioner.objects.get(user=course.therapist)
    episode = Episode.objects.get()
    identifiers = [
        patient.given_name,
        patient.family_name,
        patient.mrn,
        patient.email,
        patient.phone_digits,
        patient.date_of_birth.isoformat(),
        EVALUATED.isoformat(),
        ONSET.isoformat(),
        *(on.isoformat() for on in VISITS),
        practitioner.given_name,
        practitioner.family_name,
        location.name,
        location.address_line1,
        location.city,
        location.postal_code,
        *(
            str(obj.public_id)
            for obj in (patient, practitioner, location, episode, course.evaluation, course.plan)
        ),
    ]
    for identifier in identifiers:
        assert identifier.lower() not in text, identifier
    assert not DATE.search(text)
    assert not EMAIL.search(text)
    (row,) = _rows(tmp_path / "x")
    assert (row["start_year"], row["age_band"], row["location_region"]) == ("2026", "50-59", "FL")
    assert (row["measure"], row["intake_score"], row["visits"]) == ("ODI", "40", "3")


def test_a_generated_export_holds_no_names_mrns_emails_phones_dates_or_ages_over_89(
    db: None, tmp_path: Path
) -> None:
    organization = _generated()
    export_deidentified(actor=None, organization=organization, out=tmp_path / "x", k=1)
    text = (tmp_path / "x" / EPISODES_FILE).read_text(encoding="utf-8")
    assert "Generated" not in text  # every patient's family name is Generated0000001...
    assert not re.search(r"G\d{7}", text)  # MRNs
    assert not EMAIL.search(text)
    assert not PHONE.search(text)
    assert not DATE.search(text)
    rows = _rows(tmp_path / "x")
    assert len(rows) == 400
    assert all(re.fullmatch(r"20\d\d", r["start_year"]) for r in rows)
    for band in {r["age_band"] for r in rows}:
        assert band == "90+" or all(int(n) <= 89 for n in re.findall(r"\d+", band)), band
    # the oldest generated patients are over 89 (they exist, and do not show)
    oldest = Patient.objects.filter(organization=organization).order_by("date_of_birth").first()
    assert oldest is not None
    assert (EVALUATED.year - oldest.date_of_birth.year) > 89


@pytest.mark.parametrize(
    ("band", "exported"),
    [
        ("90+", "90+"),
        ("90-94", "90+"),
        ("95-99", "90+"),
        ("85-94", "85+"),
        ("80-89", "80-89"),
        ("80+", "80+"),
        ("18-29", "18-29"),
        ("", "unknown"),
    ],
)
def test_every_age_over_89_is_exported_in_one_band(band: str, exported: str) -> None:
    assert safe_age_band(band) == exported


def test_groups_smaller_than_k_are_suppressed_and_counted(db: None, tmp_path: Path) -> None:
    organization = _generated(scale=2000)  # 200 groups: about 10 episodes each
    result = export_deidentified(actor=None, organization=organization, out=tmp_path / "x")
    rows = _rows(tmp_path / "x")
    groups = Counter(tuple(r[q] for q in QUASI_IDENTIFIERS) for r in rows)
    assert min(groups.values()) >= 11
    # the same groups counted from the table itself
    stored = Counter(
        (age, sex, group, region.upper())
        for age, sex, group, region in Episode.objects.filter(
            organization=organization
        ).values_list("age_band", "sex", "condition_group", "location__region")
    )
    small = {g: n for g, n in stored.items() if n < 11}
    assert result.suppressed == sum(small.values()) > 0
    assert result.groups_suppressed == len(small)
    assert result.rows == len(rows) == 2000 - result.suppressed > 0
    dictionary = (tmp_path / "x" / DICTIONARY_FILE).read_text(encoding="utf-8")
    assert f"{result.suppressed} episodes in {len(small)} groups" in dictionary
    everyone = export_deidentified(actor=None, organization=organization, out=tmp_path / "y", k=1)
    assert (everyone.rows, everyone.suppressed) == (2000, 0)


def test_the_same_seeded_source_writes_the_same_files(db: None, tmp_path: Path) -> None:
    organization = _generated(scale=200)
    for name in ("a", "b"):
        export_deidentified(
            actor=None, organization=organization, out=tmp_path / name, source=random.Random(42)
        )
    for file in (EPISODES_FILE, DICTIONARY_FILE):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_pseudonyms_differ_between_exports_and_are_not_the_records_ids(
    db: None, tmp_path: Path
) -> None:
    organization = _generated(scale=200)
    first = _rows(
        export_deidentified(
            actor=None, organization=organization, out=tmp_path / "a", k=1
        ).directory
    )
    second = _rows(
        export_deidentified(
            actor=None, organization=organization, out=tmp_path / "b", k=1
        ).directory
    )
    for column in ("episode", "patient", "therapist", "location"):
        assert not {r[column] for r in first} & {r[column] for r in second}, column
    assert all(re.fullmatch(r"E[0-9a-f]{12}", r["episode"]) for r in first)
    internal = {str(p) for p in Episode.objects.values_list("public_id", flat=True)}
    internal |= {str(p) for p in Location.objects.values_list("public_id", flat=True)}
    text = (tmp_path / "a" / EPISODES_FILE).read_text(encoding="utf-8")
    assert not any(public_id in text for public_id in internal)
    # the same episodes, whatever their names: the content (without pseudonyms) is equal
    strip = ("episode", "patient", "therapist", "location")

    def content(rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
        return sorted(tuple(v for k, v in r.items() if k not in strip) for r in rows)

    assert content(first) == content(second)


def test_an_export_writes_one_audit_entry_with_its_counts_and_rules(
    db: None, tmp_path: Path
) -> None:
    organization = _generated(scale=200)
    result = export_deidentified(
        actor=None, organization=organization, out=tmp_path / "x", actor_label="shell user ana"
    )
    entry = AuditEvent.objects.filter(
        organization=organization, action=AuditEvent.Action.EXPORT
    ).get()
    assert entry.actor_label == "shell user ana"
    assert entry.at is not None
    assert entry.detail["rows"] == result.rows
    assert entry.detail["suppressed"] == result.suppressed
    assert entry.detail["k"] == 11
    assert entry.detail["rules"] == RULES
    assert entry.detail["quasi_identifiers"] == list(QUASI_IDENTIFIERS)


def test_the_command_exports_and_reports_the_suppressed_count(db: None, tmp_path: Path) -> None:
    organization = _generated(scale=200)
    out = io.StringIO()
    call_command(
        "outcomes",
        "export",
        "--deidentified",
        "--out",
        str(tmp_path / "x"),
        "--organization",
        organization.slug,
        "--k",
        "5",
        stdout=out,
    )
    rows = _rows(tmp_path / "x")
    assert f"{len(rows)} episodes written" in out.getvalue()
    assert "suppressed in" in out.getvalue()
    entry = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).get()
    assert entry.actor_label.startswith("palpa outcomes export (shell user ")
    assert entry.detail["k"] == 5


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--out", "{tmp}/new"], "--deidentified"),
        (["--deidentified"], "--out"),
        (["--deidentified", "--out", "{tmp}/full"], "--out"),
        (["--deidentified", "--out", "{tmp}/new", "--k", "0"], "--k"),
        (["--deidentified", "--out", "{tmp}/new", "--organization", "nobody"], "--organization"),
    ],
)
def test_a_bad_argument_exits_2_naming_it(
    db: None, tmp_path: Path, arguments: list[str], named: str
) -> None:
    organization = _generated(scale=20)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.csv").write_text("x", encoding="utf-8")
    given = [a.format(tmp=tmp_path) for a in arguments]
    if "--organization" not in given:
        given += ["--organization", organization.slug]
    with pytest.raises(CommandError, match=rf"^{named}:") as refused:
        call_command("outcomes", "export", *given)
    assert refused.value.returncode == 2
    assert not (tmp_path / "new").exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_without_organization_the_command_exits_2_when_there_are_several(
    db: None, tmp_path: Path
) -> None:
    _generated(scale=20)
    _generated(scale=20, seed=4)
    with pytest.raises(CommandError, match=r"^--organization:") as refused:
        call_command("outcomes", "export", "--deidentified", "--out", str(tmp_path / "x"))
    assert refused.value.returncode == 2


def test_the_function_refuses_a_file_as_its_output(db: None, tmp_path: Path) -> None:
    organization = _generated(scale=20)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(ExportRefused, match=r"^--out:"):
        export_deidentified(actor=None, organization=organization, out=tmp_path / "file")
