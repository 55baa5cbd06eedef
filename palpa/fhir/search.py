"""Reads and searches over the registry, for one principal.

A search runs in two steps: first the sort keys and ids of every matching row of every
source (one query per source), merged and sorted; then the rows of the requested page
only, mapped to FHIR. ``total`` is exact. Paging is by offset (``_offset``), carried in
the Bundle's ``next`` and ``previous`` links.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q, QuerySet

from palpa.fhir.auth import Principal
from palpa.fhir.errors import FhirError, issue, operation_outcome
from palpa.fhir.mapping.common import JSON, Context
from palpa.fhir.params import (
    MAX_OFFSET,
    clean_param,
    date_q,
    instant_in,
    parse_date,
    parse_reference,
    parse_uuid,
    parse_whole,
    period_q,
    split_values,
)
from palpa.fhir.registry import (
    Param,
    ResourceType,
    Source,
    get_type,
    last_updated_field,
    with_last_updated,
)

# Parameters every search understands, besides each type's own.
CONTROL = {"_count", "_offset", "_sort", "_include", "_format", "_summary", "_elements"}
COMMON = {"_id", "_lastUpdated"}
IGNORED_SILENTLY = {"_pretty"}
STRING_MODIFIERS = ("exact", "contains")
SUMMARY_VALUES = ("count", "false")
_ELEMENT = re.compile(r"[a-z][A-Za-z0-9]*(\[x\])?")
# meta.tag on a resource of which only some elements are sent (_elements).
SUBSETTED: JSON = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "Resource encoded in summary mode",
}
ALWAYS_SENT = ("resourceType", "id", "meta")


def _modifier_message(key: str, name: str, modifier: str, param: Param | None) -> str:
    if param is not None and param.type == "string":
        accepted = "accepted: " + ", ".join(f":{m}" for m in STRING_MODIFIERS)
    else:
        accepted = "no modifier is accepted on it"
    return f"{key}: the :{modifier} modifier is not supported on {name} ({accepted})."


@dataclass
class Criterion:
    name: str
    modifier: str
    values: list[str]
    raw_key: str
    raw_value: str


@dataclass
class SearchRequest:
    criteria: list[Criterion] = field(default_factory=list)
    count: int = 20
    offset: int = 0
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (name, descending)
    includes: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    summary: str = ""  # "count": the total only
    elements: list[str] = field(default_factory=list)  # _elements: the elements sent


def parse_summary(raw: str) -> str:
    """_summary: ``count`` (the total only) or ``false`` (everything); others are 400."""
    if raw not in SUMMARY_VALUES:
        raise FhirError(
            400,
            f"_summary={raw!r} is not supported: use _summary=count (the total only) or "
            "_summary=false (whole resources); _elements=a,b returns chosen elements.",
        )
    return "" if raw == "false" else raw


def parse_elements(raw: str) -> list[str]:
    """_elements: top-level element names (``name,birthDate``)."""
    names = [part.strip() for part in split_values(raw)]
    bad = [n for n in names if not _ELEMENT.fullmatch(n)]
    if bad or not names:
        raise FhirError(
            400,
            f"_elements={raw!r}: give top-level element names separated by commas "
            "(such as name,birthDate); paths into an element are not supported.",
        )
    return list(dict.fromkeys(names))


def subset(resource: JSON, elements: list[str]) -> JSON:
    """Only ``elements`` (with resourceType, id and meta) of the resource, tagged
    SUBSETTED as the spec asks."""
    kept = {k: v for k, v in resource.items() if k in elements or k in ALWAYS_SENT}
    meta = dict(kept.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    kept["meta"] = meta
    return kept


@dataclass
class SearchResult:
    matches: list[JSON]
    included: list[JSON]
    total: int
    request: SearchRequest


def parse_search(
    rtype: ResourceType, items: list[tuple[str, str]], *, strict: bool
) -> SearchRequest:
    """The search a query string asks for. Unknown parameters: 400 when ``strict``,
    otherwise ignored and listed (``ignored``)."""
    if not rtype.searchable:
        raise FhirError(
            405,
            f"{rtype.name} is read only here: GET /{rtype.name}/[id] (no search).",
            headers={"Allow": "GET, HEAD"},
        )
    found = SearchRequest(count=settings.PALPA_FHIR_DEFAULT_COUNT)
    names = {p.name for p in rtype.params} | COMMON
    if rtype.compartment and rtype.name != "Patient":
        names |= {"patient", "subject"}
    for raw_key, raw_value in items:
        key = clean_param("", raw_key)
        raw = clean_param(key, raw_value)
        name, _, modifier = key.partition(":")
        if key in IGNORED_SILENTLY:
            continue
        if modifier and name in CONTROL:  # _include:iterate and the like are not supported
            raise FhirError(400, f"{key}: the :{modifier} modifier is not supported on {name}.")
        if name == "_count":
            found.count = min(
                parse_whole("_count", raw, low=0, high=MAX_OFFSET), settings.PALPA_FHIR_MAX_COUNT
            )
        elif name == "_offset":
            found.offset = parse_whole("_offset", raw, low=0, high=MAX_OFFSET)
        elif name == "_format":
            continue
        elif name == "_summary":
            found.summary = parse_summary(raw)
        elif name == "_elements":
            found.elements = parse_elements(raw)
        elif name == "_sort":
            for part in split_values(raw):
                descending = part.startswith("-")
                sort_name = part.lstrip("-")
                if sort_name not in rtype.sort_names:
                    message = (
                        f"_sort={part!r}: {rtype.name} sorts by "
                        f"{', '.join(rtype.sort_names)} (prefix - for descending)."
                    )
                    if strict:
                        raise FhirError(400, message)
                    found.ignored.append(message)
                    continue
                found.sort.append((sort_name, descending))
        elif name == "_include":
            if raw not in rtype.includes:
                known = ", ".join(sorted(rtype.includes)) or "none"
                message = f"_include={raw!r} is not supported (supported: {known})."
                if strict:
                    raise FhirError(400, message)
                found.ignored.append(message)
                continue
            found.includes.append(raw)
        elif name in names:
            param = rtype.param(name)
            if modifier and (
                modifier not in STRING_MODIFIERS or param is None or param.type != "string"
            ):
                # The spec: servers SHALL reject a modifier they do not support.
                raise FhirError(400, _modifier_message(key, name, modifier, param))
            values = split_values(raw)
            if not values:
                raise FhirError(400, f"{key}: give a value.")
            found.criteria.append(Criterion(name, modifier, values, key, raw))
        else:
            known = ", ".join(sorted(names | CONTROL))
            message = f"Unknown search parameter {key!r} for {rtype.name} (known: {known})."
            if strict:
                raise FhirError(400, message)
            found.ignored.append(message)
    if found.summary == "count":
        found.count = 0  # the total only: no page is read
        if found.elements:
            raise FhirError(400, "_summary=count and _elements cannot be combined.")
    return found


def _apply(source: Source, qs: QuerySet[Any], criterion: Criterion) -> QuerySet[Any]:
    name, values = criterion.name, criterion.values
    if name == "_id":
        ids = [u for u in (parse_uuid(v) for v in values) if u is not None]
        return qs.filter(public_id__in=ids)
    if name == "_lastUpdated":
        found = Q()
        for value in values:
            found |= date_q(last_updated_field(source), parse_date(name, value), date_only=False)
        return qs.filter(found)
    if name in ("patient", "subject"):
        ids = [u for u in (parse_reference(name, v, "Patient") for v in values) if u is not None]
        return qs.filter(**{f"{source.patient}__public_id__in": ids})
    if name in source.periods:
        start, end = source.periods[name]
        found = Q(pk__in=[])
        for value in values:
            found |= period_q(start, end, parse_date(name, value))
        return qs.filter(found)
    if name in source.dates:
        found = Q(pk__in=[])
        date_only = name not in source.instants
        for value in values:
            found |= date_q(source.dates[name], parse_date(name, value), date_only=date_only)
        return qs.filter(found)
    handler = source.filters.get(name)
    if handler is None:  # a parameter of the type this source cannot match
        return qs.none()
    return handler(qs, values, criterion.modifier)


def _scoped(principal: Principal, source: Source) -> QuerySet[Any]:
    qs = source.queryset(principal.actor)
    if principal.patient_id is not None:
        lookup = "pk" if source.patient == "" else f"{source.patient}_id"
        qs = qs.filter(**{lookup: principal.patient_id})
    return qs


def _sort_field(source: Source, name: str) -> str:
    if name == "_lastUpdated":
        return last_updated_field(source)
    if name == "_id":
        return "public_id"
    return source.dates.get(name) or source.sorts.get(name) or "updated_at"


def _key(value: Any) -> tuple[int, Any]:
    if isinstance(value, dt.datetime):
        return (0, value.timestamp())
    if isinstance(value, dt.date):
        return (0, dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC).timestamp())
    if isinstance(value, uuid.UUID):
        return (0, str(value))
    if isinstance(value, str):
        return (0, value.casefold())
    return (1, 0) if value is None else (0, value)


def _static_match(rtype: ResourceType, resource: JSON, criterion: Criterion) -> bool:
    name, values = criterion.name, criterion.values
    if name == "_id":
        return str(resource["id"]) in values
    if name == "_lastUpdated":
        stamp = resource.get("meta", {}).get("lastUpdated")
        if stamp is None:
            return False
        when = dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        for value in values:
            wanted = parse_date(name, value)
            if instant_in(when, wanted):
                return True
        return False
    handler = rtype.static_filters.get(name)
    return handler is not None and handler(resource, values, criterion.modifier)


def _static_sort_key(resource: JSON, name: str) -> tuple[int, Any]:
    if name == "_id":
        return _key(str(resource["id"]))
    if name == "_lastUpdated":
        return _key(resource.get("meta", {}).get("lastUpdated"))
    return _key(resource.get(name))


def _static_search(
    rtype: ResourceType,
    request: SearchRequest,
    order: list[tuple[str, bool]],
    candidates: list[JSON],
    criteria: list[Criterion],
) -> SearchResult:
    """A type served from definitions (Questionnaire) or computed (Slot): filtered by
    ``criteria``, sorted and paged in memory."""
    found = [
        r for r in candidates if all(_static_match(rtype, r, criterion) for criterion in criteria)
    ]
    found.sort(key=lambda r: str(r["id"]))
    for name, descending in reversed(order):
        found.sort(key=lambda r, n=name: _static_sort_key(r, n), reverse=descending)  # type: ignore[misc]
    page = found[request.offset : request.offset + request.count] if request.count else []
    return SearchResult(matches=page, included=[], total=len(found), request=request)


def search(
    principal: Principal, rtype: ResourceType, request: SearchRequest, ctx: Context
) -> SearchResult:
    principal.require(rtype.name, rtype.capability, compartment=rtype.compartment)
    order = request.sort or [(n.lstrip("-"), n.startswith("-")) for n in rtype.default_sort]
    if rtype.static is not None:
        return _static_search(rtype, request, order, rtype.static(ctx), request.criteria)
    if rtype.computed is not None:
        common = [c for c in request.criteria if c.name in COMMON]
        computed = rtype.computed(principal.actor, request.criteria, ctx)
        found = _static_search(rtype, request, order, computed, common)
        found.included = _includes(principal, rtype, request.includes, found.matches, ctx)
        return found
    rows: list[tuple[list[Any], str, Source]] = []
    for source in rtype.sources:
        qs = with_last_updated(source, _scoped(principal, source), ctx.today)
        for criterion in request.criteria:
            qs = _apply(source, qs, criterion)
        fields = [_sort_field(source, name) for name, _ in order]
        for values in qs.order_by().values_list(*fields, "public_id").distinct():
            rows.append((list(values[:-1]), str(values[-1]), source))
    rows.sort(key=lambda row: row[1])  # a stable tie-breaker
    for index in reversed(range(len(order))):
        descending = order[index][1]
        present = [r for r in rows if r[0][index] is not None]
        missing = [r for r in rows if r[0][index] is None]
        present.sort(key=lambda row, i=index: _key(row[0][i]), reverse=descending)  # type: ignore[misc]
        rows = present + missing
    total = len(rows)
    page = rows[request.offset : request.offset + request.count] if request.count else []
    matches = _load(principal, page, ctx)
    included = _includes(principal, rtype, request.includes, matches, ctx)
    return SearchResult(matches=matches, included=included, total=total, request=request)


def _load(
    principal: Principal, page: list[tuple[list[Any], str, Source]], ctx: Context
) -> list[JSON]:
    """The page's rows, loaded through the same scoped querysets, mapped in page order."""
    by_source: dict[str, tuple[Source, list[str]]] = {}
    for _, public_id, source in page:
        by_source.setdefault(source.key, (source, []))[1].append(public_id)
    loaded: dict[str, Any] = {}
    for key, (source, ids) in by_source.items():
        qs = _scoped(principal, source).filter(public_id__in=ids)
        if source.prefetch:
            qs = qs.prefetch_related(*source.prefetch)
        for obj in qs:
            loaded[f"{key}:{obj.public_id}"] = obj
    out: list[JSON] = []
    for _, public_id, source in page:
        obj = loaded.get(f"{source.key}:{public_id}")
        if obj is not None:
            out.append(source.to_fhir(obj, ctx))
    return out


def read(principal: Principal, type_name: str, resource_id: str, ctx: Context) -> JSON:
    rtype = get_type(type_name)
    if rtype is None:
        raise FhirError(404, f"This server does not serve {type_name} resources.")
    principal.require(rtype.name, rtype.capability, compartment=rtype.compartment)
    if "read" not in rtype.interactions:
        raise FhirError(
            405,
            f"{type_name} resources are searched, not read by id: GET /{type_name}?…",
            headers={"Allow": "GET"},
        )
    found = find(principal, rtype, resource_id, ctx)
    if found is None:
        raise FhirError(404, f"{type_name}/{resource_id} is not known to this server.")
    return found


def find(principal: Principal, rtype: ResourceType, resource_id: str, ctx: Context) -> JSON | None:
    if rtype.static is not None:
        return next((r for r in rtype.static(ctx) if r["id"] == resource_id), None)
    public_id = parse_uuid(resource_id)
    if public_id is None:
        return None
    for source in rtype.sources:
        qs = _scoped(principal, source).filter(public_id=public_id)
        if source.prefetch:
            qs = qs.prefetch_related(*source.prefetch)
        obj = qs.first()
        if obj is not None:
            return source.to_fhir(obj, ctx)
    return None


def _references(resource: JSON, element: str) -> list[str]:
    """The references at ``element`` (a dotted path such as ``agent.who``; lists are
    followed at every step)."""
    items: list[Any] = [resource]
    for step in element.split("."):
        found: list[Any] = []
        for item in items:
            value = item.get(step) if isinstance(item, dict) else None
            found.extend(value if isinstance(value, list) else [value] if value else [])
        items = found
    return [item["reference"] for item in items if isinstance(item, dict) and "reference" in item]


def _includes(
    principal: Principal, rtype: ResourceType, wanted: list[str], matches: list[JSON], ctx: Context
) -> list[JSON]:
    seen = {f"{r['resourceType']}/{r['id']}" for r in matches}
    included: list[JSON] = []
    for name in wanted:
        element, targets = rtype.includes[name]
        for target in targets.split("|"):
            target_type = get_type(target)
            if target_type is None:
                continue
            try:
                principal.require(
                    target, target_type.capability, compartment=target_type.compartment
                )
            except FhirError:
                continue  # what the token may not read is left out, not refused
            for resource in matches:
                for reference in _references(resource, element):
                    if reference in seen or not reference.startswith(f"{target}/"):
                        continue
                    seen.add(reference)
                    found = find(principal, target_type, reference.split("/", 1)[1], ctx)
                    if found is not None:
                        included.append(found)
    return included


def bundle(result: SearchResult, rtype: ResourceType, base_url: str) -> JSON:
    request = result.request
    used = [(c.raw_key, c.raw_value) for c in request.criteria]
    used += (
        [("_sort", ",".join(("-" if d else "") + n for n, d in request.sort))]
        if request.sort
        else []
    )
    used += [("_include", name) for name in request.includes]
    used += [("_elements", ",".join(request.elements))] if request.elements else []
    used += [("_summary", request.summary)] if request.summary else []

    def link(relation: str, offset: int) -> JSON:
        query = urlencode([*used, ("_count", str(request.count)), ("_offset", str(offset))])
        return {"relation": relation, "url": f"{base_url}/{rtype.name}?{query}"}

    links = [link("self", request.offset)]
    if request.count and request.offset + request.count < result.total:
        links.append(link("next", request.offset + request.count))
    if request.count and request.offset > 0:
        links.append(link("previous", max(0, request.offset - request.count)))
    entries: list[JSON] = [
        {
            "fullUrl": f"{base_url}/{r['resourceType']}/{r['id']}",
            "resource": subset(r, request.elements) if request.elements else r,
            "search": {"mode": "match"},
        }
        for r in result.matches
    ]
    entries += [
        {
            "fullUrl": f"{base_url}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "include"},
        }
        for r in result.included
    ]
    if request.ignored and request.summary != "count":
        entries.append(
            {
                "resource": operation_outcome(
                    [issue("warning", "not-supported", text) for text in request.ignored]
                ),
                "search": {"mode": "outcome"},
            }
        )
    found: JSON = {"resourceType": "Bundle", "type": "searchset", "total": result.total}
    found["link"] = links
    if entries:  # an empty list is not valid FHIR JSON: the key is left out
        found["entry"] = entries
    return found
