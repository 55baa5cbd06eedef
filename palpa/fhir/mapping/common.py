"""What every mapping shares: code systems, references, meta and small builders.

Palpa's own code systems are named by URNs under ``urn:palpa:`` (Palpa has no web domain
of its own to publish them under); each is listed in docs/fhir-mapping.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

JSON = dict[str, Any]

# External systems (verified in the clinical reference, section F, or FHIR core).
LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
NPI = "http://hl7.org/fhir/sid/us-npi"
UCUM = "http://unitsofmeasure.org"
BCP47 = "urn:ietf:bcp:47"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
GOAL_PRIORITY = "http://terminology.hl7.org/CodeSystem/goal-priority"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
US_CORE_CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
CONTACT_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/v2-0131"
NUCC = "http://nucc.org/provider-taxonomy"
US_CORE_DOCREF_CATEGORY = (
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
)
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
PROVENANCE_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
SIGNATURE_TYPE = "urn:iso-astm:E1762-95:2013"

# Palpa's own systems.
PALPA = "urn:palpa"
MRN_SYSTEM_PREFIX = f"{PALPA}:mrn:"  # + the organization's public id
ORGANIZATION_SYSTEM = f"{PALPA}:organization"
LICENSE_SYSTEM_PREFIX = f"{PALPA}:license:"  # + jurisdiction, e.g. urn:palpa:license:FL
LICENSE_TYPE = f"{PALPA}:license-type"
LOCATION_KIND = f"{PALPA}:location-kind"
INSTRUMENT = f"{PALPA}:instrument"
ROM_MOTION = f"{PALPA}:rom-motion"
FINDING = f"{PALPA}:finding"
BODY_REGION = f"{PALPA}:body-region"
PAIN_QUALITY = f"{PALPA}:pain-quality"
TECHNIQUE = f"{PALPA}:technique"
GOAL_STATUS = f"{PALPA}:goal-status"
GOAL_MEASURE = f"{PALPA}:goal-measure"
ENCOUNTER_TYPE = f"{PALPA}:encounter-type"
PLAN_LINEAGE = f"{PALPA}:plan-lineage"
EXT_MINUTES = f"{PALPA}:extension:minutes"
EXT_PRESSURE = f"{PALPA}:extension:pressure"
REPORT_KIND = f"{PALPA}:report-kind"
REPORT_LINEAGE = f"{PALPA}:report-lineage"
CONSENT_KIND = f"{PALPA}:consent-kind"
CONSENT_POLICY_PREFIX = f"{PALPA}:consent-policy:"  # + kind:version
APPOINTMENT_TYPE = f"{PALPA}:appointment-type"


@dataclass
class Context:
    """What a mapping needs beyond the row: the server's base URL and today."""

    base_url: str
    today: dt.date = field(default_factory=timezone.localdate)
    cache: dict[str, Any] = field(default_factory=dict)


def ref(resource_type: str, public_id: object, display: str = "") -> JSON:
    found: JSON = {"reference": f"{resource_type}/{public_id}"}
    if display:
        found["display"] = display
    return found


def coding(system: str, code: str, display: str = "") -> JSON:
    found: JSON = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(codings: Iterable[JSON], text: str = "") -> JSON:
    found: JSON = {}
    listed = list(codings)
    if listed:
        found["coding"] = listed
    if text:
        found["text"] = text
    return found


def label(code: str) -> str:
    """``thoracolumbar_spine`` -> ``Thoracolumbar spine``."""
    words = code.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def instant(value: dt.datetime) -> str:
    """An instant in UTC with milliseconds, as FHIR writes it."""
    utc = value.astimezone(dt.UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def narrative(lines: Iterable[str]) -> JSON:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body or "<p>-</p>"}</div>',
    }


def version_of(resource: JSON) -> str:
    """The version id: a digest of the resource's content (meta excluded), so it changes
    exactly when what a client sees changes, computed parts (goal status) included."""
    body = {k: v for k, v in resource.items() if k != "meta"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def with_meta(resource: JSON, *updated: dt.datetime | None) -> JSON:
    """Set meta.versionId and meta.lastUpdated (the newest row the resource comes from)."""
    stamps = [u for u in updated if u is not None]
    meta: JSON = {"versionId": version_of(resource)}
    if stamps:
        meta["lastUpdated"] = instant(max(stamps))
    head = {"resourceType": resource["resourceType"], "id": resource["id"], "meta": meta}
    return head | {k: v for k, v in resource.items() if k not in head}


def compact(data: JSON) -> JSON:
    """Drop empty values (FHIR forbids empty strings, lists and objects)."""
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}
