"""Pictures made in the test with Pillow (no files in the repository)."""

from __future__ import annotations

import io

from PIL import Image

ALT = "Rolling the ball under the left shoulder blade against a wall"


def picture(kind: str = "PNG", size: tuple[int, int] = (40, 30), *, gps: bool = False) -> bytes:
    """A small picture; with ``gps``, EXIF that says where it was taken."""
    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (27.0, 57.0, 1.0), 3: "W", 4: (82.0, 27.0, 2.0)}  # GPSInfo
        image.save(out, kind, exif=exif)
    else:
        image.save(out, kind)
    return out.getvalue()
