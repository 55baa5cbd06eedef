"""The outcome instrument library: versioned data, validated on load.

The data lives in ``palpa/outcomes/data/instruments.json`` and ``rom_norms.json``. Every
fact there carries a ``source`` (an id in the file's ``sources``) and a ``tag``: ``V``
(verified) or ``P`` (partly verified), as in the Palpa clinical reference. Loading checks
the whole file and refuses it with a message naming the instrument and the field when
anything is wrong: a threshold without a source, a declared range the scoring rule cannot
produce, bands with gaps, item text shipped for an instrument whose license does not allow
it, a LOINC code not marked verified, and so on.

No Django and no database here: this module and ``scoring`` are pure and importable on
their own. ``load_library()`` and ``load_rom_norms()`` read the packaged files once and
cache them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, cast

Tag = Literal["V", "P"]
Direction = Literal["higher_is_worse", "higher_is_better"]
Method = Literal["value", "mean", "sum", "proportional", "mean_rescaled"]
MissingBasis = Literal["published", "palpa_decision", "structural"]
ThresholdKind = Literal["mcid", "mdc", "sem", "error_band", "recovery_cutoff"]
ThresholdUnit = Literal[
    "points", "percent_of_baseline", "percent_scale_points", "t_score_points", "score", "unverified"
]

TAGS: tuple[str, ...] = ("V", "P")
DIRECTIONS: tuple[str, ...] = ("higher_is_worse", "higher_is_better")
METHODS: tuple[str, ...] = ("value", "mean", "sum", "proportional", "mean_rescaled")
MISSING_BASES: tuple[str, ...] = ("published", "palpa_decision", "structural")
THRESHOLD_KINDS: tuple[str, ...] = ("mcid", "mdc", "sem", "error_band", "recovery_cutoff")
THRESHOLD_UNITS: tuple[str, ...] = (
    "points",
    "percent_of_baseline",
    "percent_scale_points",
    "t_score_points",
    "score",
    "unverified",
)
# Units a default MCID/MDC may use: they are compared with a change in the instrument's score.
# Percentage points are converted to score points where the instrument has a percent scale
# (the NDI: percent = raw x 2).
APPLICABLE_UNITS: tuple[str, ...] = ("points", "percent_scale_points")
ROM_SIDES: tuple[str, ...] = ("left", "right", "midline")


class LibraryError(ValueError):
    """The data file is not a valid instrument library; the message names the place."""


class UnknownInstrument(LookupError):
    """No instrument with that id."""

    def __init__(self, instrument_id: str, known: Sequence[str]) -> None:
        self.instrument_id = instrument_id
        self.known = tuple(known)
        super().__init__(
            f"Unknown instrument {instrument_id!r}; known instruments: {', '.join(known)}."
        )

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Source:
    id: str
    short: str
    citation: str
    section: str
    # Where the fact was taken from Palpa's internal clinical reference: for maintainers
    # only, never shown (the citation names the publication).
    note: str = ""


@dataclass(frozen=True)
class Response:
    """The answer options of every item: whole numbers from ``min`` to ``max``."""

    min: int
    max: int
    anchors: Mapping[int, str]
    accepts_booleans: bool = False
    not_applicable_scores_as: int | None = None
    not_applicable_source: Source | None = None
    not_applicable_tag: Tag | None = None


@dataclass(frozen=True)
class Items:
    count: int | None  # None: the patient names the items (PSFS)
    min_count: int
    label: str
    response: Response
    text: tuple[str, ...] | None
    topics: tuple[str, ...] | None
    text_origin: Literal["palpa", "licensee"] | None
    max_count: int | None = None  # the most items a patient may name (PSFS: 5)
    count_rule: str = ""
    count_source: Source | None = None


@dataclass(frozen=True)
class Scoring:
    method: Method
    formula: str
    source: Source
    tag: Tag
    scale_max: int | None = None
    percent_factor: int | None = None
    note: str = ""


@dataclass(frozen=True)
class MissingRule:
    max_missing: int | None  # None: no limit (PSFS), min_answered applies
    min_answered: int
    rule: str
    basis: MissingBasis
    reason: str
    source: Source | None = None
    tag: Tag | None = None


@dataclass(frozen=True)
class Band:
    min: int
    max: int
    label: str


@dataclass(frozen=True)
class Bands:
    bands: tuple[Band, ...]
    source: Source
    tag: Tag
    rounding: str

    def label_for(self, score: Fraction) -> str:
        # Bands are published on whole numbers: round half up, then match.
        whole = int(score + Fraction(1, 2)) if score >= 0 else -int(-score + Fraction(1, 2))
        for band in self.bands:
            if band.min <= whole <= band.max:
                return band.label
        raise ValueError(f"score {float(score)} is outside every band")  # pragma: no cover


@dataclass(frozen=True)
class Threshold:
    id: str
    kind: ThresholdKind
    value: float
    value_high: float | None
    unit: ThresholdUnit
    population: str
    source: Source
    tag: Tag
    note: str = ""

    @property
    def is_range(self) -> bool:
        return self.value_high is not None


@dataclass(frozen=True)
class ChangeDefaults:
    """The thresholds Palpa applies to a change: one MCID and one MDC in score points, and,
    where the MCID's source also gives one, a relative MCID in percent of the baseline
    (Ostelo 2008: "10 points or 30 %")."""

    mcid: Threshold | None
    mdc: Threshold | None
    reason: str
    relative: Threshold | None = None


@dataclass(frozen=True)
class LoincCode:
    code: str
    part: str
    source: Source
    tag: Tag


@dataclass(frozen=True)
class License:
    terms: str
    source: Source | None
    tag: Tag | None
    text_shipped: bool
    note: str


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    version: str
    library_version: str
    source: Source
    tag: Tag
    recall: str | None
    instructions: str | None
    items: Items
    scoring: Scoring
    missing: MissingRule
    range_min: int
    range_max: int
    unit: str
    direction: Direction
    bands: Bands | None
    thresholds: tuple[Threshold, ...]
    change_defaults: ChangeDefaults
    loinc: tuple[LoincCode, ...]
    license: License
    left_out: tuple[str, ...]
    # The thresholds for one item of a patient-named list (one PSFS activity), where the
    # source gives them apart from the whole score's.
    activity_defaults: ChangeDefaults | None = None

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher_is_better"

    def defaults_for(self, *, activity: bool = False) -> ChangeDefaults:
        """The thresholds for the whole score, or for one named activity (PSFS)."""
        if activity:
            if self.activity_defaults is None:
                raise ValueError(f"{self.id} has no single-activity thresholds.")
            return self.activity_defaults
        return self.change_defaults

    def threshold(self, threshold_id: str) -> Threshold:
        for threshold in self.thresholds:
            if threshold.id == threshold_id:
                return threshold
        raise KeyError(f"{self.id} has no threshold {threshold_id!r}")

    def with_licensed_text(
        self, item_texts: Sequence[str], *, instructions: str | None = None
    ) -> Instrument:
        """The same instrument with the item text a clinic is licensed to use.

        Scoring does not depend on text; this only attaches it for display. The count must
        match the instrument's items.
        """
        if self.items.count is None:
            raise ValueError(f"{self.id}: the patient names the items; there is no text to add.")
        if len(item_texts) != self.items.count:
            raise ValueError(
                f"{self.id}: expected text for {self.items.count} items, got {len(item_texts)}."
            )
        for number, text in enumerate(item_texts, start=1):
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{self.id} item {number}: the text is empty.")
        items = replace(
            self.items, text=tuple(t.strip() for t in item_texts), text_origin="licensee"
        )
        return replace(self, items=items, instructions=instructions or self.instructions)


@dataclass(frozen=True)
class Library:
    version: str
    instruments: Mapping[str, Instrument]
    sources: Mapping[str, Source]

    def ids(self) -> tuple[str, ...]:
        return tuple(self.instruments)

    def get(self, instrument_id: str) -> Instrument:
        """By id, ignoring case and punctuation: 'odi', 'PEG-3', 'promis-pi-6a' all work."""
        wanted = _squash(instrument_id)
        for key, instrument in self.instruments.items():
            if _squash(key) == wanted:
                return instrument
        raise UnknownInstrument(instrument_id, self.ids())


def _squash(name: str) -> str:
    return "".join(ch for ch in name.upper() if ch.isalnum())


# ---------------------------------------------------------------------------------------
# Reading JSON with clear errors


class _Obj:
    """A JSON object with its place in the file, for error messages."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise LibraryError(f"{where}: expected an object")
        self.data: dict[str, object] = data
        self.where = where

    def fail(self, message: str) -> LibraryError:
        return LibraryError(f"{self.where}: {message}")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> object:
        if key not in self.data:
            raise self.fail(f"'{key}' is missing")
        return self.data[key]

    def obj(self, key: str) -> _Obj:
        return _Obj(self.raw(key), f"{self.where}.{key}")

    def opt_obj(self, key: str) -> _Obj | None:
        return None if self.data.get(key) is None else self.obj(key)

    def string(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"'{key}' must be a non-empty string")
        return value

    def opt_string(self, key: str) -> str | None:
        return None if self.data.get(key) is None else self.string(key)

    def integer(self, key: str) -> int:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"'{key}' must be a whole number")
        return value

    def opt_integer(self, key: str) -> int | None:
        return None if self.data.get(key) is None else self.integer(key)

    def number(self, key: str) -> float:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"'{key}' must be a number")
        return float(value)

    def opt_number(self, key: str) -> float | None:
        return None if self.data.get(key) is None else self.number(key)

    def boolean(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self.fail(f"'{key}' must be true or false")
        return value

    def array(self, key: str) -> list[object]:
        value = self.raw(key)
        if not isinstance(value, list):
            raise self.fail(f"'{key}' must be a list")
        return value

    def opt_array(self, key: str) -> list[object] | None:
        return None if self.data.get(key) is None else self.array(key)

    def strings(self, key: str) -> tuple[str, ...]:
        values = self.array(key)
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise self.fail(f"'{key}' must be a list of non-empty strings")
        return tuple(cast(list[str], values))

    def opt_strings(self, key: str) -> tuple[str, ...] | None:
        return None if self.data.get(key) is None else self.strings(key)

    def choice(self, key: str, allowed: Sequence[str]) -> str:
        value = self.string(key)
        if value not in allowed:
            raise self.fail(f"'{key}' is {value!r}; allowed: {', '.join(allowed)}")
        return value

    def tag(self, key: str = "tag") -> Tag:
        value = self.raw(key)
        if value not in TAGS:
            raise self.fail(
                f"'{key}' is {value!r}; only facts tagged V (verified) or P (partly verified) "
                "may be shipped"
            )
        return cast(Tag, value)


def _sources(root: _Obj) -> dict[str, Source]:
    table = root.obj("sources")
    out: dict[str, Source] = {}
    for key in table.data:
        entry = table.obj(key)
        out[key] = Source(
            id=key,
            short=entry.string("short"),
            citation=entry.string("citation"),
            section=entry.string("section"),
            note=entry.opt_string("note") or "",
        )
        if "clinical reference" in out[key].citation.lower():
            raise entry.fail(
                "'citation' cites Palpa's clinical reference; cite the publication and keep "
                "the reference row in 'note'"
            )
    if not out:
        raise root.fail("'sources' is empty")
    return out


def _source(obj: _Obj, sources: Mapping[str, Source], key: str = "source") -> Source:
    if not obj.has(key):
        raise obj.fail(f"'{key}' is missing: every fact needs a source")
    name = obj.string(key)
    if name not in sources:
        raise obj.fail(f"'{key}' names {name!r}, which is not in 'sources'")
    return sources[name]


def _response(obj: _Obj, sources: Mapping[str, Source]) -> Response:
    low, high = obj.integer("min"), obj.integer("max")
    if low >= high:
        raise obj.fail(f"answer range {low}-{high} is empty: 'min' must be below 'max'")
    anchors: dict[int, str] = {}
    anchor_obj = obj.opt_obj("anchors")
    if anchor_obj is not None:
        for key in anchor_obj.data:
            try:
                value = int(key)
            except ValueError:
                raise anchor_obj.fail(f"anchor key {key!r} is not a whole number") from None
            if not low <= value <= high:
                raise anchor_obj.fail(f"anchor {value} is outside the answer range {low}-{high}")
            anchors[value] = anchor_obj.string(key)
    accepts_booleans = obj.boolean("accepts_booleans") if obj.has("accepts_booleans") else False
    if accepts_booleans and (low, high) != (0, 1):
        raise obj.fail("'accepts_booleans' needs answers 0-1")
    na = obj.opt_integer("not_applicable_scores_as")
    na_source = na_tag = None
    if na is not None:
        if not low <= na <= high:
            raise obj.fail(f"'not_applicable_scores_as' {na} is outside {low}-{high}")
        na_source = _source(obj, sources, "not_applicable_source")
        na_tag = obj.tag("not_applicable_tag")
    return Response(
        min=low,
        max=high,
        anchors=anchors,
        accepts_booleans=accepts_booleans,
        not_applicable_scores_as=na,
        not_applicable_source=na_source,
        not_applicable_tag=na_tag,
    )


def _items(obj: _Obj, sources: Mapping[str, Source]) -> Items:
    count = obj.opt_integer("count")
    if count is not None and count < 1:
        raise obj.fail("'count' must be at least 1")
    min_count = obj.integer("min_count") if obj.has("min_count") else (count or 1)
    max_count = obj.opt_integer("max_count")
    count_rule, count_source = "", None
    if max_count is not None:
        if count is not None or max_count < min_count:
            raise obj.fail("'max_count' is for patient-named items and is at least 'min_count'")
        count_rule = obj.string("count_rule")
        count_source = _source(obj, sources, "count_source")
        obj.tag("count_tag")
    text = obj.opt_strings("text")
    if text is not None and count is not None and len(text) != count:
        raise obj.fail(f"'text' has {len(text)} entries for {count} items")
    topics = obj.opt_strings("topics")
    if topics is not None and count is not None and len(topics) != count:
        raise obj.fail(f"'topics' has {len(topics)} entries for {count} items")
    return Items(
        count=count,
        min_count=min_count,
        label=obj.string("label"),
        response=_response(obj.obj("response"), sources),
        text=text,
        topics=topics,
        text_origin="palpa" if text is not None else None,
        max_count=max_count,
        count_rule=count_rule,
        count_source=count_source,
    )


def _scoring(obj: _Obj, sources: Mapping[str, Source], items: Items) -> Scoring:
    method = cast(Method, obj.choice("method", METHODS))
    scale_max = obj.opt_integer("scale_max")
    percent_factor = obj.opt_integer("percent_factor")
    if method == "proportional":
        if scale_max is None or scale_max <= 0:
            raise obj.fail("'proportional' scoring needs a positive 'scale_max'")
        if items.response.min != 0:
            raise obj.fail("'proportional' scoring needs items that start at 0")
    elif scale_max is not None:
        raise obj.fail(f"'scale_max' has no meaning for {method!r} scoring")
    if method == "value" and items.count != 1:
        raise obj.fail("'value' scoring is for single-item scales")
    if method == "sum" and items.count is None:
        raise obj.fail("'sum' scoring needs a fixed item count")
    return Scoring(
        method=method,
        formula=obj.string("formula"),
        source=_source(obj, sources),
        tag=obj.tag(),
        scale_max=scale_max,
        percent_factor=percent_factor,
        note=obj.opt_string("note") or "",
    )


def _missing(obj: _Obj, sources: Mapping[str, Source], items: Items, method: Method) -> MissingRule:
    basis = cast(MissingBasis, obj.choice("basis", MISSING_BASES))
    max_missing = obj.opt_integer("max_missing")
    if items.count is not None:
        if max_missing is None:
            raise obj.fail("'max_missing' is required for a fixed item count")
        if not 0 <= max_missing < items.count:
            raise obj.fail(f"'max_missing' {max_missing} must be 0-{items.count - 1}")
        min_answered = items.count - max_missing
    else:
        min_answered = obj.integer("min_answered")
        if min_answered < 1:
            raise obj.fail("'min_answered' must be at least 1")
    if method == "sum" and max_missing:
        raise obj.fail("a raw sum cannot be scored with missing items; 'max_missing' must be 0")
    source = tag = None
    if basis == "published":
        source, tag = _source(obj, sources), obj.tag()
    elif obj.has("source"):
        source = _source(obj, sources)
        tag = obj.tag() if obj.has("tag") else None
    return MissingRule(
        max_missing=max_missing,
        min_answered=min_answered,
        rule=obj.string("rule"),
        basis=basis,
        reason=obj.string("reason"),
        source=source,
        tag=tag,
    )


def _possible_range(items: Items, scoring: Scoring) -> tuple[int, int]:
    low, high = items.response.min, items.response.max
    if scoring.method in ("value", "mean"):
        return low, high
    if scoring.method == "sum":
        assert items.count is not None
        return items.count * low, items.count * high
    if scoring.method == "proportional":
        assert scoring.scale_max is not None
        return 0, scoring.scale_max
    return 0, 100  # mean_rescaled


def _bands(obj: _Obj, sources: Mapping[str, Source], low: int, high: int) -> Bands:
    bands: list[Band] = []
    for index, raw in enumerate(obj.array("bands")):
        entry = _Obj(raw, f"{obj.where}.bands[{index}]")
        band = Band(min=entry.integer("min"), max=entry.integer("max"), label=entry.string("label"))
        if band.min > band.max:
            raise entry.fail(f"band {band.min}-{band.max} is empty")
        expected = low if not bands else bands[-1].max + 1
        if band.min != expected:
            raise entry.fail(
                f"band starts at {band.min}; expected {expected} (no gaps, no overlap)"
            )
        bands.append(band)
    if not bands or bands[-1].max != high:
        raise obj.fail(f"bands must cover the whole range {low}-{high}")
    return Bands(
        bands=tuple(bands),
        source=_source(obj, sources),
        tag=obj.tag(),
        rounding=obj.string("rounding"),
    )


def _thresholds(obj: _Obj, sources: Mapping[str, Source]) -> tuple[Threshold, ...]:
    out: list[Threshold] = []
    seen: set[str] = set()
    for index, raw in enumerate(obj.array("thresholds")):
        entry = _Obj(raw, f"{obj.where}.thresholds[{index}]")
        threshold_id = entry.string("id")
        entry.where = f"{obj.where}.thresholds[{threshold_id}]"
        if threshold_id in seen:
            raise entry.fail("duplicate threshold id")
        seen.add(threshold_id)
        value = entry.number("value")
        value_high = entry.opt_number("value_high")
        if value < 0 or (value_high is not None and value_high <= value):
            raise entry.fail("'value' must be positive (a magnitude) and below 'value_high'")
        out.append(
            Threshold(
                id=threshold_id,
                kind=cast(ThresholdKind, entry.choice("kind", THRESHOLD_KINDS)),
                value=value,
                value_high=value_high,
                unit=cast(ThresholdUnit, entry.choice("unit", THRESHOLD_UNITS)),
                population=entry.string("population"),
                source=_source(entry, sources),
                tag=entry.tag(),
                note=entry.opt_string("note") or "",
            )
        )
    return tuple(out)


def _default(
    obj: _Obj,
    key: str,
    kind: str,
    thresholds: Sequence[Threshold],
    percent_factor: int | None = None,
) -> Threshold | None:
    name = obj.opt_string(key)
    if name is None:
        return None
    found = [t for t in thresholds if t.id == name]
    if not found:
        raise obj.fail(f"'{key}' names {name!r}, which is not among the thresholds")
    threshold = found[0]
    if threshold.kind != kind:
        raise obj.fail(f"'{key}' names {name!r}, which is a {threshold.kind}, not a {kind}")
    if threshold.unit not in APPLICABLE_UNITS:
        raise obj.fail(
            f"'{key}' names {name!r} in {threshold.unit!r}; a default must be in score points"
        )
    if threshold.is_range:
        raise obj.fail(f"'{key}' names {name!r}, a range; a default must be one value")
    if threshold.unit == "percent_scale_points":
        if percent_factor is None:
            raise obj.fail(f"'{key}' names {name!r} in percentage points; the score has none")
        return replace(
            threshold,
            value=threshold.value / percent_factor,
            unit="points",
            note=(
                f"{threshold.value:g} percentage points = {threshold.value / percent_factor:g} "
                f"score points (percent = score x {percent_factor}). {threshold.note}"
            ).strip(),
        )
    return threshold


def _relative(
    obj: _Obj, thresholds: Sequence[Threshold], mcid: Threshold | None
) -> Threshold | None:
    name = obj.opt_string("relative")
    if name is None:
        return None
    found = [t for t in thresholds if t.id == name]
    if not found:
        raise obj.fail(f"'relative' names {name!r}, which is not among the thresholds")
    threshold = found[0]
    if threshold.kind != "mcid" or threshold.unit != "percent_of_baseline":
        raise obj.fail(f"'relative' names {name!r}; it must be an MCID in percent of baseline")
    if not 0 < threshold.value < 100 or threshold.is_range:
        raise obj.fail(f"'relative' {name!r} must be one value between 0 and 100 %")
    if mcid is None or mcid.source.id != threshold.source.id:
        raise obj.fail(
            "'relative' applies only beside an absolute MCID from the same source (the source "
            "gives 'points or percent')"
        )
    return threshold


def _change_defaults(
    obj: _Obj, thresholds: Sequence[Threshold], percent_factor: int | None
) -> ChangeDefaults:
    mcid = _default(obj, "mcid", "mcid", thresholds, percent_factor)
    return ChangeDefaults(
        mcid=mcid,
        mdc=_default(obj, "mdc", "mdc", thresholds, percent_factor),
        reason=obj.string("reason"),
        relative=_relative(obj, thresholds, mcid),
    )


def _license(obj: _Obj, sources: Mapping[str, Source]) -> License:
    source = _source(obj, sources) if obj.has("source") else None
    tag = obj.tag() if source is not None else None
    if obj.has("tag") and source is None:
        raise obj.fail("a tagged license claim needs a 'source'")
    return License(
        terms=obj.string("terms"),
        source=source,
        tag=tag,
        text_shipped=obj.boolean("text_shipped"),
        note=obj.string("note"),
    )


def _instrument(obj: _Obj, sources: Mapping[str, Source], version: str) -> Instrument:
    instrument_id = obj.string("id")
    if instrument_id != instrument_id.upper() or " " in instrument_id:
        raise obj.fail(f"id {instrument_id!r} must be upper case without spaces")
    obj.where = f"instruments[{instrument_id}]"
    items = _items(obj.obj("items"), sources)
    scoring = _scoring(obj.obj("scoring"), sources, items)
    missing = _missing(obj.obj("missing"), sources, items, scoring.method)
    range_obj = obj.obj("range")
    range_min, range_max = range_obj.integer("min"), range_obj.integer("max")
    if (range_min, range_max) != _possible_range(items, scoring):
        low, high = _possible_range(items, scoring)
        raise range_obj.fail(
            f"declared range {range_min}-{range_max} does not match what the scoring rule "
            f"produces ({low}-{high})"
        )
    bands_obj = obj.opt_obj("bands")
    bands = _bands(bands_obj, sources, range_min, range_max) if bands_obj else None
    thresholds = _thresholds(obj, sources)
    defaults = _change_defaults(obj.obj("change_defaults"), thresholds, scoring.percent_factor)
    activity_obj = obj.opt_obj("activity_defaults")
    activity_defaults = None
    if activity_obj is not None:
        if items.count is not None:
            raise activity_obj.fail("single-activity thresholds are for patient-named items")
        activity_defaults = _change_defaults(activity_obj, thresholds, scoring.percent_factor)
    loinc: list[LoincCode] = []
    for index, raw in enumerate(obj.array("loinc")):
        entry = _Obj(raw, f"{obj.where}.loinc[{index}]")
        if entry.raw("tag") != "V":
            raise entry.fail("only LOINC codes the reference marks verified (V) may be shipped")
        loinc.append(
            LoincCode(
                code=entry.string("code"),
                part=entry.string("part"),
                source=_source(entry, sources),
                tag="V",
            )
        )
    license_ = _license(obj.obj("license"), sources)
    instructions = obj.opt_string("instructions")
    if license_.text_shipped:
        if items.count is not None and items.text is None:
            raise obj.fail("the license allows text but 'items.text' is empty")
    elif items.text is not None or instructions is not None:
        raise obj.fail("item text or instructions are present but the license does not allow text")
    return Instrument(
        id=instrument_id,
        name=obj.string("name"),
        version=obj.string("version"),
        library_version=version,
        source=_source(obj, sources),
        tag=obj.tag(),
        recall=obj.opt_string("recall"),
        instructions=instructions,
        items=items,
        scoring=scoring,
        missing=missing,
        range_min=range_min,
        range_max=range_max,
        unit=range_obj.string("unit"),
        direction=cast(Direction, obj.choice("direction", DIRECTIONS)),
        bands=bands,
        thresholds=thresholds,
        change_defaults=defaults,
        loinc=tuple(loinc),
        license=license_,
        left_out=obj.strings("left_out"),
        activity_defaults=activity_defaults,
    )


def parse_library(data: object) -> Library:
    """Validate an instrument library (parsed JSON) and build it. Raises LibraryError."""
    root = _Obj(data, "instruments.json")
    version = root.string("version")
    sources = _sources(root)
    instruments: dict[str, Instrument] = {}
    for index, raw in enumerate(root.array("instruments")):
        instrument = _instrument(_Obj(raw, f"instruments[{index}]"), sources, version)
        if any(_squash(key) == _squash(instrument.id) for key in instruments):
            raise LibraryError(f"instruments[{instrument.id}]: duplicate id")
        instruments[instrument.id] = instrument
    if not instruments:
        raise root.fail("no instruments")
    return Library(version=version, instruments=instruments, sources=sources)


def _read(name: str, path: Path | None) -> object:
    if path is not None:
        text = path.read_text(encoding="utf-8")
    else:
        text = resources.files("palpa.outcomes").joinpath("data", name).read_text(encoding="utf-8")
    try:
        return cast(object, json.loads(text))
    except json.JSONDecodeError as exc:
        raise LibraryError(f"{name}: not valid JSON ({exc})") from exc


def load_library(path: Path | None = None) -> Library:
    """The packaged library, validated and cached; or the file at ``path``, read afresh."""
    if path is not None:
        return parse_library(_read("instruments.json", path))
    return _packaged_library()


@lru_cache(maxsize=1)
def _packaged_library() -> Library:
    return parse_library(_read("instruments.json", None))


def get_instrument(instrument_id: str) -> Instrument:
    """An instrument of the packaged library by id (case-insensitive)."""
    return load_library().get(instrument_id)


# ---------------------------------------------------------------------------------------
# Range-of-motion norms


@dataclass(frozen=True)
class RomNorm:
    region: str
    joint: str
    motion: str
    side: str
    degrees: int
    source: Source
    tag: Tag
    position: str | None = None
    note: str = ""


@dataclass(frozen=True)
class RomAlternative:
    joint: str
    motion: str
    degrees: int
    source: Source
    tag: Tag


@dataclass(frozen=True)
class MeasurementErrorNote:
    finding: str
    instrument: str
    population: str
    source: Source
    tag: Tag


@dataclass(frozen=True)
class RomNorms:
    version: str
    norms: tuple[RomNorm, ...]
    alternatives: tuple[RomAlternative, ...]
    measurement_error: tuple[MeasurementErrorNote, ...]
    comparison_rule: str
    sources: Mapping[str, Source]

    def norm(self, joint: str, motion: str, side: str = "midline") -> RomNorm:
        key = (joint.lower(), motion.lower(), side.lower())
        for norm in self.norms:
            if (norm.joint, norm.motion, norm.side) == key:
                return norm
        raise LookupError(f"No ROM norm for {joint} {motion} ({side}).")

    def alternatives_for(self, joint: str, motion: str) -> tuple[RomAlternative, ...]:
        return tuple(a for a in self.alternatives if (a.joint, a.motion) == (joint, motion))


def parse_rom_norms(data: object) -> RomNorms:
    """Validate the ROM norms (parsed JSON) and build them. Raises LibraryError."""
    root = _Obj(data, "rom_norms.json")
    version = root.string("version")
    sources = _sources(root)
    norms: list[RomNorm] = []
    seen: set[tuple[str, str, str]] = set()
    for index, raw in enumerate(root.array("norms")):
        entry = _Obj(raw, f"rom_norms.json norms[{index}]")
        joint, motion = entry.string("joint"), entry.string("motion")
        entry.where = f"rom_norms.json norms[{joint} {motion}]"
        degrees = entry.integer("degrees")
        if not 0 <= degrees <= 360:
            raise entry.fail(f"{degrees} degrees is outside 0-360")
        sides = entry.strings("sides")
        for side in sides:
            if side not in ROM_SIDES:
                raise entry.fail(f"side {side!r}; allowed: {', '.join(ROM_SIDES)}")
            if (joint, motion, side) in seen:
                raise entry.fail(f"duplicate norm for side {side}")
            seen.add((joint, motion, side))
            norms.append(
                RomNorm(
                    region=entry.string("region"),
                    joint=joint,
                    motion=motion,
                    side=side,
                    degrees=degrees,
                    source=_source(entry, sources),
                    tag=entry.tag(),
                    position=entry.opt_string("position"),
                    note=entry.opt_string("note") or "",
                )
            )
    alternatives: list[RomAlternative] = []
    for index, raw in enumerate(root.array("alternatives")):
        entry = _Obj(raw, f"rom_norms.json alternatives[{index}]")
        alt = RomAlternative(
            joint=entry.string("joint"),
            motion=entry.string("motion"),
            degrees=entry.integer("degrees"),
            source=_source(entry, sources),
            tag=entry.tag(),
        )
        if not any((n.joint, n.motion) == (alt.joint, alt.motion) for n in norms):
            raise entry.fail(f"no primary norm for {alt.joint} {alt.motion}")
        alternatives.append(alt)
    notes: list[MeasurementErrorNote] = []
    for index, raw in enumerate(root.array("measurement_error")):
        entry = _Obj(raw, f"rom_norms.json measurement_error[{index}]")
        notes.append(
            MeasurementErrorNote(
                finding=entry.string("finding"),
                instrument=entry.string("instrument"),
                population=entry.string("population"),
                source=_source(entry, sources),
                tag=entry.tag(),
            )
        )
    return RomNorms(
        version=version,
        norms=tuple(norms),
        alternatives=tuple(alternatives),
        measurement_error=tuple(notes),
        comparison_rule=root.string("comparison_rule"),
        sources=sources,
    )


def load_rom_norms(path: Path | None = None) -> RomNorms:
    """The packaged ROM norms, validated and cached; or the file at ``path``, read afresh."""
    if path is not None:
        return parse_rom_norms(_read("rom_norms.json", path))
    return _packaged_rom_norms()


@lru_cache(maxsize=1)
def _packaged_rom_norms() -> RomNorms:
    return parse_rom_norms(_read("rom_norms.json", None))
