"""``local``: an aware datetime shown at a location's or organization's wall-clock time.

Registered as a template builtin (settings.TEMPLATES), so every template may write
``{{ note.signed_at|local:note.location|date:"Y-m-d H:i T" }}``. Without an argument the
zone is the one active for the request (the staff member's organization). Dates and
naive values pass through unchanged; ``T`` in the date format prints the zone's
abbreviation (EST, EDT).
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from palpa.core.dates import Place, local

register = template.Library()


@register.filter(name="local", expects_localtime=False)
def local_filter(value: object, place: Place = None) -> object:
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        return value
    return local(value, place or None)
