"""Background work of the reports app (Django tasks, run by ``palpa db_worker``)."""

from __future__ import annotations

from django.tasks import task


@task()
def deliver_report_email(delivery_id: int, base_url: str) -> bool:
    """Send the physician the email with the report's single-use link."""
    from palpa.reports.services import deliver_email

    return deliver_email(delivery_id=delivery_id, base_url=base_url)
