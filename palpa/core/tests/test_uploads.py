"""Uploaded documents are checked by content: a PDF must parse as one (pypdf) and carry no
HTML where a browser would sniff it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from palpa.core.tests.support import one_page_pdf
from palpa.core.uploads import checked_document

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _refusal(content: bytes) -> str:
    with pytest.raises(ValidationError) as info:
        checked_document(content, field="prescription", label="The prescription")
    return " ".join(info.value.message_dict["prescription"])


def test_a_real_pdf_and_an_image_are_accepted() -> None:
    assert checked_document(one_page_pdf(), field="f", label="F") == ("application/pdf", "pdf")
    assert checked_document(PNG, field="f", label="F") == ("image/png", "png")


def test_a_pdf_header_followed_by_html_is_refused() -> None:
    polyglot = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>"
    message = _refusal(polyglot)
    assert message == (
        "The prescription starts like a PDF but is not a valid PDF: "
        "it holds HTML markup, not only a PDF."
    )


def test_html_after_a_valid_pdf_is_refused() -> None:
    message = _refusal(one_page_pdf() + b"\n<!DOCTYPE html><script>alert(1)</script>")
    assert "it holds HTML markup" in message


def test_a_pdf_header_on_anything_else_is_refused() -> None:
    message = _refusal(b"%PDF-1.7\n" + b"not a pdf at all " * 50)
    assert message.startswith("The prescription starts like a PDF but is not a valid PDF: ")
    assert "cannot be read as a PDF" in message or "no pages" in message


def test_a_pdf_with_no_pages_is_refused() -> None:
    empty = b"%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n"
    assert "not a valid PDF" in _refusal(empty)


def test_neither_pdf_nor_image_is_refused_as_before() -> None:
    assert _refusal(b"<html>") == (
        "The prescription must be a PDF, PNG or JPEG file (its content is checked)."
    )
