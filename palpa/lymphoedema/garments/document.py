"""The printable garment order form (PDF, WeasyPrint), from one template: the clinic,
the patient, the prescriber and license, the garment, the class with its standard, the
measurements per point and a signature line. WeasyPrint fetches nothing (as in the
reports and billing documents): the stylesheet is read from disk and every URL that is
not a ``data:`` URL is refused. Printing is audited (an export of patient data)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from palpa.accounts.models import User
from palpa.audit.services import Action
from palpa.core.dates import local, local_today
from palpa.lymphoedema.garments import services
from palpa.lymphoedema.garments.catalogue import load_garments
from palpa.lymphoedema.garments.rows import measurement_rows
from palpa.lymphoedema.models import GarmentPrescription
from palpa.practitioners.services import check_license

STYLESHEET = (
    Path(__file__).resolve().parents[1] / "templates" / "lymphoedema" / "pdf" / "garment.css"
)


def _no_network_fetcher() -> Any:
    """A WeasyPrint URL fetcher for ``data:`` URLs only; imported when a PDF is made."""
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class NoNetworkFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"The order form loads nothing from outside: refused {url[:80]}")
            return super().fetch(url, headers)

    return NoNetworkFetcher()


@lru_cache(maxsize=1)
def _stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


def content(p: GarmentPrescription) -> dict[str, Any]:
    """What the order form shows."""
    data = load_garments()
    location = p.location
    decision = check_license(p.practitioner, jurisdiction=location.jurisdiction, on=p.prescribed_on)
    lic = decision.license
    how, rows = measurement_rows(p)
    standard = data.standard(p.standard)
    klass = standard.klass(p.compression_class) if standard else None
    fitting = getattr(p, "fitting", None)
    return {
        "clinic": {
            "organization": location.organization.name,
            "location": location.name,
            "address": ", ".join(
                part
                for part in (
                    location.address_line1,
                    location.address_line2,
                    f"{location.city}, {location.region} {location.postal_code}",
                )
                if part
            ),
            "phone": location.phone,
        },
        "issued_on": local_today(location),
        "patient": {
            "name": p.patient.full_name,
            "date_of_birth": p.patient.date_of_birth,
            "mrn": p.patient.mrn,
        },
        "prescriber": {
            "name": p.practitioner.display_name,
            "license": f"{lic.license_type} {lic.jurisdiction} #{lic.number}" if lic else "",
            "license_expires": getattr(lic, "expires_on", None),
        },
        "prescribed_on": p.prescribed_on,
        "signed_at": local(p.signed_at, location) if p.signed_at else None,
        "garment": data.label("garment_types", p.garment_type),
        "limb": p.get_limb_display().lower(),
        "side": p.get_side_display().lower(),
        "knit": data.label("knits", p.knit),
        "compression": data.class_line(p.standard, p.compression_class),
        "standard": standard.label if standard else p.standard,
        "standard_source": standard.source.citation if standard else "",
        "class": klass.code if klass else p.compression_class,
        "range": klass.range if klass else "",
        "product": p.product,
        "quantity": p.quantity,
        "notes": p.notes,
        "how": how,
        "rows": rows,
        "both": p.side == "both",
        "side_key": p.side,
        "fitted_on": fitting.fitted_on if fitting else None,
        "replacement_due_on": fitting.replacement_due_on if fitting else None,
        "in_error": p.status == GarmentPrescription.Status.ENTERED_IN_ERROR,
    }


def render_pdf(c: dict[str, Any]) -> bytes:
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    html = render_to_string("lymphoedema/pdf/garment_order.html", {"d": c})
    rendered: bytes = HTML(string=html, url_fetcher=_no_network_fetcher()).write_pdf(
        stylesheets=[CSS(string=_stylesheet())]
    )
    return rendered


def filename(c: dict[str, Any], p: GarmentPrescription) -> str:
    return f"garment-order-{p.patient.mrn}-{p.prescribed_on:%Y-%m-%d}.pdf"


def order_form(*, actor: User, prescription: GarmentPrescription) -> tuple[str, bytes]:
    """The order form's file name and PDF; the printing is audited."""
    c = content(prescription)
    pdf = render_pdf(c)
    services.audit(actor, Action.EXPORT, prescription, document="garment order form")
    return filename(c, prescription), pdf
