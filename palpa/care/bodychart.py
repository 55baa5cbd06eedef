"""The tappable body chart of the pain map: shapes for each coded region (pure, no I/O).

Each view (front, back) is drawn in a 200 x 460 box. A paired region is given once, on the
viewer's left; its mirror image is the other side. On the front view the viewer's left is
the patient's right; on the back view it is the patient's left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from palpa.care.catalog import catalog

WIDTH = 200
HEIGHT = 460

# (x, y, width, height, corner radius) on the viewer's left for paired regions.
Box = tuple[int, int, int, int, int]
_COMMON: dict[str, Box] = {
    "head": (76, 6, 48, 54, 22),
    "neck": (88, 60, 24, 20, 4),
    "shoulder": (40, 80, 28, 26, 10),
    "upper_arm": (38, 106, 24, 48, 8),
    "elbow": (36, 154, 24, 18, 8),
    "forearm": (32, 172, 24, 50, 8),
    "hand": (26, 222, 26, 34, 10),
    "thigh": (70, 240, 28, 80, 10),
    "knee": (72, 320, 24, 22, 8),
    "lower_leg": (73, 342, 22, 70, 8),
    "foot": (68, 412, 28, 24, 8),
}
SHAPES: dict[str, dict[str, Box]] = {
    "front": {
        **_COMMON,
        "jaw": (80, 44, 18, 14, 6),
        "chest": (68, 80, 64, 60, 6),
        "abdomen": (68, 140, 64, 60, 6),
        "hip": (68, 200, 31, 40, 8),
    },
    "back": {
        **_COMMON,
        "upper_back": (68, 80, 64, 40, 6),
        "mid_back": (68, 120, 64, 40, 6),
        "low_back": (68, 160, 64, 40, 6),
        "hip": (60, 200, 14, 40, 6),
        "gluteal": (74, 200, 25, 40, 8),
    },
}
# Which side of the patient the viewer's left is, per view.
VIEWER_LEFT = {"front": "right", "back": "left"}
OTHER = {"right": "left", "left": "right"}


@dataclass(frozen=True)
class Shape:
    view: str
    region: str
    side: str  # "" for an unpaired region
    label: str  # e.g. "Shoulder, left (front)"
    x: int
    y: int
    width: int
    height: int
    radius: int
    marked: bool  # a pain-map entry covers it


def shapes(view: str, painful: Iterable[tuple[str, str]] = ()) -> list[Shape]:
    """The clickable shapes of one view; ``painful`` (region, side) pairs are marked
    (a bilateral entry marks both sides)."""
    marks = set(painful)
    cat = catalog()
    out: list[Shape] = []
    for region_id, (x, y, w, h, r) in SHAPES[view].items():
        region = cat.regions.get(region_id)
        if region is None or view not in region.views:
            continue
        if not region.paired:
            out.append(
                Shape(
                    view,
                    region_id,
                    "",
                    f"{region.label} ({view})",
                    x,
                    y,
                    w,
                    h,
                    r,
                    (region_id, "") in marks,
                )
            )
            continue
        near = VIEWER_LEFT[view]
        for side, left in ((near, x), (OTHER[near], WIDTH - x - w)):
            marked = (region_id, side) in marks or (region_id, "bilateral") in marks
            label = f"{region.label}, {side} ({view})"
            out.append(Shape(view, region_id, side, label, left, y, w, h, r, marked))
    return out


def views(painful: Iterable[tuple[str, str]] = ()) -> list[tuple[str, list[Shape]]]:
    marks = list(painful)
    return [(view, shapes(view, marks)) for view in ("front", "back")]
