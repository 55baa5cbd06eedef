"""The records that report pages and API operations act on, for their route gates
(``accounts.gates.Record``): a draft report is changed, signed and discarded by its own
practitioner only; a signed one is corrected (a new version) by any practitioner."""

from __future__ import annotations

from palpa.accounts.gates import Record
from palpa.patients.models import Patient
from palpa.reports.models import Report

PATIENT = Record("patient_id", Patient)
REPORT = Record("report_id", Report)
REPORT_DRAFT = Record("report_id", Report, "practitioner__user_id", what="the report")
