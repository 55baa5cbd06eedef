"""Uploaded documents (a referral's scanned prescription, a clearance letter), checked by
their content: a PDF, PNG or JPEG by its leading bytes, and a PDF also parsed as one.

Leading bytes alone let through a file that starts ``%PDF-`` and is HTML after it (a
polyglot a browser could be talked into rendering as a page). A PDF is accepted only when
pypdf reads its structure (cross-reference, trailer, catalog) and finds at least one page,
and when no HTML markup stands where a browser sniffs (the first 1,024 bytes) or after
the file's last ``%%EOF``. Only the structure is read, not the page contents, so the check
is quick and bounded.
"""

from __future__ import annotations

import io
import logging
import re

from django.core.exceptions import ValidationError
from pypdf import PdfReader

DOCUMENT_TYPES = {  # content type: (extension, leading bytes)
    "application/pdf": ("pdf", (b"%PDF-",)),
    "image/png": ("png", (b"\x89PNG\r\n\x1a\n",)),
    "image/jpeg": ("jpg", (b"\xff\xd8\xff",)),
}
SNIFFED_BYTES = 1024
_MARKUP = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|script|iframe|svg|object|embed|meta|a\s|img\s|style)",
    re.IGNORECASE,
)


def _pdf_problem(content: bytes) -> str | None:
    """Why ``content`` is not a PDF Palpa keeps, or None."""
    end = content.rfind(b"%%EOF")
    if _MARKUP.search(content[:SNIFFED_BYTES]) or (end >= 0 and _MARKUP.search(content[end + 5 :])):
        return "it holds HTML markup, not only a PDF"

    quiet = logging.getLogger("pypdf")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        pages = len(reader.pages)
    except RecursionError:
        return "it cannot be read as a PDF (its structure nests too deeply)"
    except Exception as exc:  # pypdf raises many kinds for a broken file
        return f"it cannot be read as a PDF ({type(exc).__name__})"
    finally:
        quiet.setLevel(level)
    if pages < 1:
        return "it has no pages"
    return None


def checked_document(content: bytes, *, field: str, label: str) -> tuple[str, str]:
    """The content type and extension of an uploaded document, or ValidationError on
    ``field``; ``label`` names the document in the message (e.g. "The prescription")."""
    for content_type, (extension, magics) in DOCUMENT_TYPES.items():
        if any(content.startswith(m) for m in magics):
            if content_type == "application/pdf":
                problem = _pdf_problem(content)
                if problem is not None:
                    raise ValidationError(
                        {field: f"{label} starts like a PDF but is not a valid PDF: {problem}."}
                    )
            return content_type, extension
    raise ValidationError(
        {field: f"{label} must be a PDF, PNG or JPEG file (its content is checked)."}
    )
