"""Domain events: a lower app announces what happened; higher apps subscribe.

Handlers run after the surrounding transaction commits (``transaction.on_commit``), so a
rolled-back change never triggers work elsewhere. Events are listed in
docs/architecture.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

Handler = Callable[[Any], None]
_handlers: dict[type, list[Handler]] = defaultdict(list)


@dataclass(frozen=True)
class Event:
    """Base class for domain events (name them in the past tense)."""


def subscribe(event_type: type, handler: Handler) -> None:
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def unsubscribe(event_type: type, handler: Handler) -> None:
    if handler in _handlers[event_type]:
        _handlers[event_type].remove(handler)


def publish(event: Event) -> None:
    for handler in list(_handlers[type(event)]):
        transaction.on_commit(lambda h=handler: h(event))  # type: ignore[misc]
