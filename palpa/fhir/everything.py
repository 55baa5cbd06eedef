"""GET /fhir/R4/Patient/[id]/$everything: the patient and every served resource of the
patient's compartment, as one searchset Bundle paged by ``_count``/``_offset``.

The order is fixed: the Patient first, then each compartment type in the registry's
order (each in its default sort). Parameters: ``_type`` (comma-separated types),
``_since`` (an instant: resources whose record changed at or after it), ``_count``
(default and cap as for searches) and ``_offset`` (carried in the links). Types the
token may not read are left out, as for ``_include``. Every page is one audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings

from palpa.audit.services import Action, record
from palpa.fhir import search
from palpa.fhir.auth import Principal
from palpa.fhir.errors import FhirError
from palpa.fhir.mapping.common import JSON, Context
from palpa.fhir.params import MAX_OFFSET, parse_date, parse_uuid, parse_whole, split_values
from palpa.fhir.registry import ResourceType, get_type, registry

PARAMS = ("_type", "_since", "_count", "_offset", "_format")


@dataclass
class EverythingRequest:
    types: list[str]
    since: str
    count: int
    offset: int


def compartment_types() -> list[ResourceType]:
    """Patient, then every served type in the patient compartment (registry order)."""
    found = [get_type("Patient")]
    found += [
        t
        for t in registry().values()
        if t.compartment and t.name != "Patient" and "search-type" in t.interactions
    ]
    return [t for t in found if t is not None]


def _int(name: str, raw: str) -> int:
    return parse_whole(name, raw, low=0, high=MAX_OFFSET)


def parse(items: list[tuple[str, str]]) -> EverythingRequest:
    served = [t.name for t in compartment_types()]
    wanted = EverythingRequest(
        types=[], since="", count=settings.PALPA_FHIR_DEFAULT_COUNT, offset=0
    )
    for key, raw in items:
        if key not in PARAMS:
            raise FhirError(
                400,
                f"$everything does not take {key!r} (it takes {', '.join(PARAMS[:4])}).",
                expression=key,
            )
        if key == "_type":
            for name in split_values(raw):
                if name not in served:
                    raise FhirError(
                        400,
                        f"_type={name!r}: $everything returns {', '.join(served)}.",
                        expression="_type",
                    )
                wanted.types.append(name)
        elif key == "_since":
            if "T" not in raw:
                raise FhirError(400, f"_since={raw!r}: give an instant (YYYY-MM-DDThh:mm:ssZ).")
            parse_date("_since", raw)  # 400 when it is not a dateTime
            wanted.since = raw
        elif key == "_count":
            wanted.count = min(_int("_count", raw), settings.PALPA_FHIR_MAX_COUNT)
        elif key == "_offset":
            wanted.offset = _int("_offset", raw)
    return wanted


def _request(
    rtype: ResourceType, patient_id: str, since: str, count: int, offset: int
) -> search.SearchRequest:
    if rtype.name == "Patient":
        criteria = [search.Criterion("_id", "", [patient_id], "_id", patient_id)]
    else:
        ref = f"Patient/{patient_id}"
        criteria = [search.Criterion("patient", "", [ref], "patient", ref)]
    if since:
        value = f"ge{since}"
        criteria.append(search.Criterion("_lastUpdated", "", [value], "_lastUpdated", value))
    return search.SearchRequest(criteria=criteria, count=count, offset=offset)


@dataclass
class Everything:
    bundle: JSON
    matches: list[JSON]
    total: int


def everything(
    principal: Principal, patient_id: str, wanted: EverythingRequest, ctx: Context
) -> Everything:
    patient_type = get_type("Patient")
    assert patient_type is not None
    principal.require("Patient", patient_type.capability, compartment=True)
    if (
        parse_uuid(patient_id) is None
        or search.find(principal, patient_type, patient_id, ctx) is None
    ):
        raise FhirError(404, f"Patient/{patient_id} is not known to this server.")
    readable: list[ResourceType] = []
    for rtype in compartment_types():
        if wanted.types and rtype.name not in wanted.types:
            continue
        try:
            principal.require(rtype.name, rtype.capability, compartment=True)
        except FhirError:
            continue  # what the token may not read is left out, not refused
        readable.append(rtype)
    # Totals first (ids only), then the page's rows of the types the page spans.
    totals = [
        search.search(principal, t, _request(t, patient_id, wanted.since, 0, 0), ctx).total
        for t in readable
    ]
    total = sum(totals)
    matches: list[JSON] = []
    start, end, before = wanted.offset, wanted.offset + wanted.count, 0
    for rtype, count in zip(readable, totals, strict=True):
        low, high = max(start - before, 0), min(end - before, count)
        if high > low:
            page = _request(rtype, patient_id, wanted.since, high - low, low)
            matches += search.search(principal, rtype, page, ctx).matches
        before += count
    base = f"{ctx.base_url}/Patient/{patient_id}/$everything"
    return Everything(bundle=_bundle(base, wanted, matches, total), matches=matches, total=total)


def _bundle(base: str, wanted: EverythingRequest, matches: list[JSON], total: int) -> JSON:
    root = base.rsplit("/Patient/", 1)[0]
    fixed: list[tuple[str, str]] = []
    if wanted.types:
        fixed.append(("_type", ",".join(wanted.types)))
    if wanted.since:
        fixed.append(("_since", wanted.since))

    def link(relation: str, offset: int) -> JSON:
        query = urlencode([*fixed, ("_count", str(wanted.count)), ("_offset", str(offset))])
        return {"relation": relation, "url": f"{base}?{query}"}

    links = [link("self", wanted.offset)]
    if wanted.count and wanted.offset + wanted.count < total:
        links.append(link("next", wanted.offset + wanted.count))
    if wanted.count and wanted.offset > 0:
        links.append(link("previous", max(0, wanted.offset - wanted.count)))
    found: JSON = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if matches:  # an empty list is not valid FHIR JSON: the key is left out
        found["entry"] = [
            {
                "fullUrl": f"{root}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in matches
        ]
    return found


def audit_everything(
    *, principal: Principal, patient_id: str, query: list[tuple[str, str]], found: Everything
) -> None:
    detail = {
        "via": "fhir",
        "scopes": principal.scope_text,
        "interaction": "operation",
        "operation": "$everything",
        "query": [list(item) for item in query],
        "total": found.total,
        "results": [f"{r['resourceType']}/{r['id']}" for r in found.matches],
    }
    if principal.client is not None:
        detail["client"] = principal.client.application.client_id
    record(
        actor=principal.actor,
        action=Action.READ,
        object_type="Patient",
        object_id=patient_id,
        patient_id=patient_id,
        detail=detail,
        actor_label=principal.label if principal.client is not None else "",
    )
