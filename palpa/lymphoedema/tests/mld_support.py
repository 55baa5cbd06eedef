"""The MLD section's tests' shared values (the fixtures ``screened`` and ``mld_note``
are in conftest.py)."""

from __future__ import annotations

from typing import Any

BANDAGING: dict[str, Any] = {
    "sequence": "neck, right axilla, anterior trunk, left arm proximal to distal",
    "bandaged_limb": "left_arm",
    "bandage_layers": 4,
    "bandage_materials": "stockinette, foam padding, short-stretch bandages",
    "short_stretch": True,
    "skin_check": "intact",
}
