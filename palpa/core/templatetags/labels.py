"""Labels people read in place of codes."""

from __future__ import annotations

from django import template
from django.conf.locale import LANG_INFO

register = template.Library()


@register.filter(name="language_label")
def language_label(code: object) -> str:
    """A language code (``es``, ``pt-BR``) as its English name ("Spanish", "Portuguese
    (Brazil)"), or the code itself when Django does not know it."""
    text = str(code or "")
    for key in (text.lower(), text.lower().split("-")[0]):
        info = LANG_INFO.get(key)
        if info and "name" in info:
            name = str(info["name"])
            if key != text.lower() and "-" in text:
                return f"{name} ({text.split('-', 1)[1]})"
            return name
    return text
