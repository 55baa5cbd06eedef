"""The picture of a home-care item: checked by its content and re-encoded without metadata.

Pure (bytes in, bytes out; no database, no files): the service stores what this returns.
PNG, JPEG and WebP only, whatever the file's name says; at most ``MAX_BYTES`` and
``MAX_SIDE`` pixels a side. Re-encoding keeps the pixels and drops everything else (EXIF,
which may carry where a photo was taken, text chunks, comments); a photo's EXIF rotation
is applied to the pixels first, so the picture still stands the right way up.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 4000
FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
}
ALT_MAX = 200


class PictureError(ValueError):
    """What is wrong with the file, in words for the therapist."""


@dataclass(frozen=True)
class Picture:
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _opened(content: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(content))
            probe.verify()
            image = Image.open(io.BytesIO(content))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning) as exc:
        raise PictureError("The picture is not a PNG, JPEG or WebP image.") from exc
    if image.format not in FORMATS:
        raise PictureError("The picture is not a PNG, JPEG or WebP image.")
    return image


def checked_picture(content: bytes) -> Picture:
    """The picture re-encoded in its own format without metadata, or PictureError."""
    if not content:
        raise PictureError("The picture file is empty.")
    if len(content) > MAX_BYTES:
        raise PictureError(f"The picture is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    image = _opened(content)
    kind = str(image.format)
    width, height = image.size
    if width > MAX_SIDE or height > MAX_SIDE:
        raise PictureError(
            f"The picture is {width} x {height} pixels; at most {MAX_SIDE} x {MAX_SIDE} are taken."
        )
    try:
        image.load()
        upright = ImageOps.exif_transpose(image) or image
    except (OSError, SyntaxError, ValueError) as exc:
        raise PictureError("The picture is damaged and cannot be read.") from exc
    alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    mode = "RGBA" if alpha and kind != "JPEG" else "RGB"
    pixels = upright.convert(mode)
    # A fresh image from the pixels alone: no info, no EXIF, no ICC, no comments.
    clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if kind == "PNG":
        clean.save(out, "PNG", optimize=True)
    elif kind == "JPEG":
        clean.save(out, "JPEG", quality=90)
    else:
        clean.save(out, "WEBP", quality=90)
    content_type, extension = FORMATS[kind]
    return Picture(
        content=out.getvalue(),
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
    )


def checked_alt(alt: str) -> str:
    """The picture's short description, read out to someone who cannot see it."""
    text = " ".join(str(alt).split())
    if not text:
        raise PictureError(
            "Describe the picture in a few words (say, “Rolling the ball under the left "
            "shoulder blade against a wall”)."
        )
    if len(text) > ALT_MAX:
        raise PictureError(f"Keep the description to {ALT_MAX} characters.")
    return text
