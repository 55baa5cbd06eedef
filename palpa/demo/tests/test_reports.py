"""The demo clinic has signed, sent progress reports and a discharge report."""

from __future__ import annotations

import hashlib

from palpa.accounts.models import Organization
from palpa.reports.models import Report
from palpa.reports.queries import delivery_status


def test_the_demo_has_sent_progress_reports_and_a_discharge_report(demo: Organization) -> None:
    org = demo
    reports = list(Report.objects.filter(organization=org))
    kinds = sorted(r.kind for r in reports)
    assert kinds == ["discharge", "progress", "progress", "progress"]
    for report in reports:
        assert report.status == "signed"
        assert report.content_hash == hashlib.sha256(bytes(report.pdf or b"")).hexdigest()
        assert report.assessment
        assert delivery_status(report) == "sent"
    (discharge,) = [r for r in reports if r.kind == "discharge"]
    assert discharge.content["discharge"]["reason"] == "goals_met"
    assert discharge.recommendation == "discharge"
