"""Text messages (SMS) through a pluggable backend, the way Django sends email.

The backend is named by a dotted path in ``PALPA_SMS_BACKEND``:

- ``palpa.core.sms.ConsoleBackend`` (the default): prints each message to stdout;
- ``palpa.core.sms.FileBackend``: writes each message as a file into
  ``PALPA_SMS_OUTBOX`` (default ``<PALPA_DATA_DIR>/sms-outbox``), for a test system or
  a gateway that picks files up;
- ``palpa.core.sms.MemoryBackend``: keeps messages in ``palpa.core.sms.outbox``
  (tests);
- a provider: any class with the ``BaseSmsBackend`` interface, e.g.
  ``myclinic.sms.TwilioBackend``. Its own credentials come from its own environment.

A backend raises ``SmsError`` when a message cannot be handed over; the caller decides
whether to try again.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import os
import re
import sys
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "palpa.core.sms.ConsoleBackend"

# A phone number as it is dialled: an optional +, then digits with spaces, dots, dashes
# or parentheses between them; 7 to 15 digits (E.164 allows at most 15).
_DIGITS = re.compile(r"\d")
_ALLOWED = re.compile(r"^\+?[\d\s().-]+$")


class SmsError(Exception):
    """A message could not be handed to the provider."""


def normalize_number(number: str) -> str:
    """The number as ``+`` and digits (US numbers without a country code get ``+1``);
    ``ValueError`` naming the rule when it is not a phone number."""
    text = (number or "").strip()
    digits = "".join(_DIGITS.findall(text))
    if not text or not _ALLOWED.match(text) or not 7 <= len(digits) <= 15:
        raise ValueError(
            f"{text!r} is not a phone number: use digits (7 to 15), optionally starting with +."
        )
    if text.startswith("+"):
        return "+" + digits
    if len(digits) == 10:
        return "+1" + digits
    return "+" + digits


@dataclass(frozen=True)
class SmsMessage:
    """One text message: the recipient's number and the text."""

    to: str
    body: str
    reference: str = ""  # the sender's own key (e.g. a reminder's id), for tracing
    created_at: dt.datetime = field(default_factory=timezone.now)


class BaseSmsBackend(abc.ABC):
    """What every SMS backend does: hand messages over, return how many were accepted."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    @abc.abstractmethod
    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        """Send the messages; return how many the provider accepted."""


class ConsoleBackend(BaseSmsBackend):
    """Prints each message (development)."""

    def __init__(self, stream: TextIO | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.stream = stream

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        stream = self.stream or sys.stdout
        for message in messages:
            stream.write(f"SMS to {message.to}\n{message.body}\n{'-' * 40}\n")
        stream.flush()
        return len(messages)


def outbox_dir() -> Path:
    configured = getattr(settings, "PALPA_SMS_OUTBOX", "")
    if configured:
        return Path(configured)
    return Path(settings.DATA_DIR) / "sms-outbox"


class FileBackend(BaseSmsBackend):
    """Writes each message as one JSON file (``to``, ``body``, ``reference``, ``created_at``)
    into the outbox directory. A file appears whole: it is written under a temporary
    name and renamed."""

    def __init__(self, directory: str | Path | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.directory = Path(directory) if directory else outbox_dir()

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SmsError(f"The SMS outbox {self.directory} cannot be created: {exc}") from exc
        for message in messages:
            stamp = message.created_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")
            name = f"{stamp}-{uuid.uuid4().hex[:12]}.json"
            content = json.dumps(
                {
                    "to": message.to,
                    "body": message.body,
                    "reference": message.reference,
                    "created_at": message.created_at.isoformat(),
                },
                ensure_ascii=False,
                indent=2,
            )
            temporary = self.directory / f".{name}.tmp"
            try:
                temporary.write_text(content, encoding="utf-8")
                os.replace(temporary, self.directory / name)
            except OSError as exc:
                raise SmsError(f"The SMS could not be written to {self.directory}: {exc}") from exc
        return len(messages)


def read_outbox(directory: str | Path | None = None) -> list[dict[str, str]]:
    """The messages in a file outbox, oldest first (for tests and for operators)."""
    folder = Path(directory) if directory else outbox_dir()
    if not folder.is_dir():
        return []
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]


outbox: list[SmsMessage] = []
_outbox_lock = threading.Lock()


class MemoryBackend(BaseSmsBackend):
    """Keeps messages in ``palpa.core.sms.outbox`` (tests)."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        with _outbox_lock:
            outbox.extend(messages)
        return len(messages)


def get_backend(path: str | None = None, **options: Any) -> BaseSmsBackend:
    """The configured backend (``PALPA_SMS_BACKEND``), or the one named by ``path``."""
    dotted = path or getattr(settings, "PALPA_SMS_BACKEND", "") or DEFAULT_BACKEND
    try:
        backend_class = import_string(dotted)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"PALPA_SMS_BACKEND names {dotted!r}, which cannot be imported: {exc}"
        ) from exc
    if not (isinstance(backend_class, type) and issubclass(backend_class, BaseSmsBackend)):
        raise ImproperlyConfigured(
            f"PALPA_SMS_BACKEND names {dotted!r}, which is not an SMS backend "
            "(a subclass of palpa.core.sms.BaseSmsBackend)."
        )
    backend: BaseSmsBackend = backend_class(**options)
    return backend


def send_sms(to: str, body: str, *, reference: str = "") -> SmsMessage:
    """Send one text message now through the configured backend; returns it as sent.
    ``ValueError`` for a number that is not one, ``SmsError`` when the provider fails."""
    message = SmsMessage(to=normalize_number(to), body=body, reference=reference)
    if get_backend().send_messages([message]) != 1:
        raise SmsError("The SMS backend did not accept the message.")
    return message
