"""``palpa outcomes report``: the period's responder analysis from the episode table, as
text or JSON, small cells without figures; bad dates exit 2 naming the argument. And the
registered "responders" builder computes from the real episode table."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from palpa.accounts.models import Organization
from palpa.analytics import responders, snapshots
from palpa.analytics.responders import ALL
from palpa.analytics.tests.conftest import Course


def report(*args: str) -> str:
    out = io.StringIO()
    call_command("outcomes", "report", *args, stdout=out)
    return out.getvalue()


def test_the_report_counts_the_periods_episodes_and_hides_a_small_cell(
    course: Course, org: Organization
) -> None:
    text = report("--from", "2026-02-01", "--to", "2026-02-28", "--organization", org.slug)
    assert f"{org.slug}: episodes starting 2026-02-01 to 2026-02-28: 1 episodes" in text
    assert "Low back pain: 1 episodes (fewer than 10: not shown)" in text
    assert "Benjamini-Hochberg at a false discovery rate of 5%" in text
    assert "associated with" in text


def test_the_report_as_json_and_an_empty_period(course: Course, org: Organization) -> None:
    found = json.loads(
        report("--from", "2025-01-01", "--to", "2025-12-31", "--organization", org.slug, "--json")
    )
    assert found["episodes"] == 0
    assert found["by_condition"] == []
    found = json.loads(
        report("--from", "2026-02-01", "--to", "2026-02-28", "--organization", org.slug, "--json")
    )
    assert found["episodes"] == 1
    assert found["by_condition"][0] == {
        "key": ["low-back-pain"],
        "label": "Low back pain",
        "n": 1,
        "suppressed": True,
    }


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--from", "2026-13-01", "--to", "2026-03-01"), "--from"),
        (("--from", "2026-01-01", "--to", "March"), "--to"),
        (("--from", "2026-03-01", "--to", "2026-01-01"), "--to"),
    ],
)
def test_a_bad_date_exits_2_naming_the_argument(
    org: Organization, args: tuple[str, ...], named: str
) -> None:
    with pytest.raises(CommandError, match=f"^{named}:") as refused:
        report(*args)
    assert refused.value.returncode == 2


def test_the_registered_builder_computes_from_the_episode_table(
    course: Course, org: Organization
) -> None:
    (stored,) = snapshots.recompute(org, only=responders.KIND)
    assert stored.episodes == 1
    data = stored.data
    assert data["condition_groups"] == ["low-back-pain"]
    assert data["condition_labels"] == {"low-back-pain": "Low back pain"}
    assert data["therapists"] == [
        {"id": str(course.plan.practitioner.public_id), "name": "Tess Therapist, LMT"}
    ]
    whole = data["slices"][f"{ALL}|{ALL}"]
    assert whole["by_condition"][0]["suppressed"] is True
    assert data["model"] == {"fitted": False, "episodes": 0}
    assert snapshots.latest(org.pk, responders.KIND) == stored
