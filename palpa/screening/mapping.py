"""From what a treatment note records to what a screening restricts (pure data).

A note records a technique on a region of Palpa's chart (``care/data/body_regions.json``,
paired regions with a side), with a pressure and a tool (``care/data/techniques.json``).
Screening rules restrict techniques (``all_techniques``, ``deep_pressure``, ``mld``, ...)
on the screening's regions (``data/rules.json``). Screening sits below care, so the care
codes appear here as plain strings; a test in ``care/tests`` checks that every region,
technique, pressure and tool of the catalog is mapped.

A chart region that spans two screening regions takes the restrictions of both (the wrist
and hand belong to the arm as well as to the hand; the mid back borders both the upper and
the low back). ``bilateral`` means both sides.
"""

from __future__ import annotations

# care region -> screening regions; "{side}" is replaced by left / right.
REGIONS: dict[str, tuple[str, ...]] = {
    "head": ("head",),
    "jaw": ("face",),
    "neck": ("neck",),
    "shoulder": ("{side}_shoulder",),
    "upper_back": ("upper_back",),
    "mid_back": ("upper_back", "low_back"),
    "low_back": ("low_back",),
    "chest": ("chest",),
    "abdomen": ("abdomen",),
    "upper_arm": ("{side}_upper_limb",),
    "elbow": ("{side}_upper_limb",),
    "forearm": ("{side}_upper_limb",),
    "hand": ("{side}_hand", "{side}_upper_limb"),
    "gluteal": ("pelvis",),
    "hip": ("{side}_hip",),
    "thigh": ("{side}_lower_limb",),
    "knee": ("{side}_lower_limb",),
    "lower_leg": ("{side}_lower_limb",),
    "foot": ("{side}_foot", "{side}_lower_limb"),
}

# What a recorded technique is, in the screening's terms (besides "massage of any kind").
TECHNIQUES: dict[str, tuple[str, ...]] = {
    "swedish": (),
    "deep_tissue": ("deep_pressure",),
    "myofascial_release": (),
    "trigger_point": (),
    "soft_tissue_mobilization": (),
    "manual_lymphatic_drainage": ("mld",),
    "reflexology": (),
    "acupressure": (),
    "stretching": (),
    "neuromuscular_reeducation": (),
    "therapeutic_exercise": (),
    "tool_assisted": ("tools",),
}

# Firm and deep pressure count as deep pressure; with stretching, as forced stretching.
PRESSURES: dict[str, tuple[str, ...]] = {
    "light": (),
    "moderate": (),
    "firm": ("deep_pressure",),
    "deep": ("deep_pressure",),
}
FORCED_STRETCH_PRESSURES = ("firm", "deep")

TOOLS: dict[str, tuple[str, ...]] = {
    "none": (),
    "massage_ball": ("tools",),
    "foam_roller": ("tools",),
    "other": ("tools",),
}


def screening_regions(region: str, side: str) -> tuple[str, ...]:
    """The screening regions a chart region (and side) lies in; unknown regions: none."""
    patterns = REGIONS.get(region, ())
    sides = ("left", "right") if side in ("bilateral", "") else (side,)
    out: list[str] = []
    for pattern in patterns:
        names = [pattern.format(side=s) for s in sides] if "{side}" in pattern else [pattern]
        out.extend(n for n in names if n not in out)
    return tuple(out)


def implied_techniques(technique: str, pressure: str, tool: str) -> dict[str, tuple[str, ...]]:
    """Screening technique codes a recorded entry amounts to, by the field that implies
    them (``technique``, ``pressure`` or ``tool``)."""
    by_field: dict[str, tuple[str, ...]] = {
        "technique": TECHNIQUES.get(technique, ()),
        "pressure": PRESSURES.get(pressure, ()),
        "tool": TOOLS.get(tool, ()),
    }
    if technique == "stretching" and pressure in FORCED_STRETCH_PRESSURES:
        by_field["pressure"] = (*by_field["pressure"], "forced_stretch")
    return {name: codes for name, codes in by_field.items() if codes}
