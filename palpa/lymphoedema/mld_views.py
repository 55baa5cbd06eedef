"""Saving the MLD and bandaging section of a draft treatment note (POST from the note
page; the note page shows the section). The note's own practitioner only; writes go
through ``mld_section``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from palpa.accounts.gates import requires
from palpa.accounts.permissions import Capability
from palpa.care import gates as care_gates
from palpa.care.queries import notes_for
from palpa.core.errors import Refused
from palpa.core.views import staff_user
from palpa.lymphoedema import mld_section

LABELS = {
    "sequence": "Sequence of regions cleared",
    "bandaged_limb": "Limb bandaged",
    "bandage_layers": "Layers",
    "bandage_materials": "Materials",
    "short_stretch": "Short-stretch",
    "skin_check": "Skin check",
    "technique": "Techniques",
}


def _values(post: Any) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {
        name: post.get(name, "") for name in ("sequence", "bandaged_limb", "bandage_materials")
    }
    values["skin_check"] = post.get("skin_check", "")
    problems: dict[str, str] = {}
    layers = post.get("bandage_layers", "").strip()
    if layers == "":
        values["bandage_layers"] = None
    elif layers.isascii() and layers.isdigit():
        values["bandage_layers"] = int(layers)
    else:
        problems["bandage_layers"] = "Layers are a whole number."
    values["short_stretch"] = {"yes": True, "no": False}.get(post.get("short_stretch", ""))
    return values, problems


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.NOTE_DRAFT)
def mld_save(request: HttpRequest, note_id: str) -> HttpResponse:
    user = staff_user(request)
    note = get_object_or_404(notes_for(user), public_id=note_id)
    values, problems = _values(request.POST)
    try:
        if problems:
            raise ValidationError(problems)
        mld_section.save_mld_record(actor=user, note=note, values=values)
    except ValidationError as exc:
        parts = [
            f"{LABELS.get(name, name)}: {' '.join(texts)}"
            for name, texts in exc.message_dict.items()
        ]
        messages.error(request, "MLD section not saved. " + " ".join(parts))
    except Refused as exc:
        messages.error(request, f"MLD section not saved: {exc}")
    else:
        messages.success(request, "MLD and bandaging saved.")
    return redirect(reverse("care:note", args=[note.public_id]) + "#mld")
