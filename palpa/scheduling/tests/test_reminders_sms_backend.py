"""The pluggable SMS backend: configuration by dotted path, console, file and memory."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from palpa.scheduling import sms


def test_numbers_are_normalized_to_plus_and_digits() -> None:
    assert sms.normalize_number("+1 (813) 555-0101") == "+18135550101"
    assert sms.normalize_number("813.555.0101") == "+18135550101"
    assert sms.normalize_number("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize("bad", ["", "call me", "12345", "+1 813 555 0101 ext 4", "1" * 16])
def test_a_number_that_is_not_one_is_refused_with_the_rule(bad: str) -> None:
    with pytest.raises(ValueError, match="not a phone number"):
        sms.normalize_number(bad)


def test_the_console_backend_prints_the_recipient_and_the_text() -> None:
    stream = io.StringIO()
    backend = sms.ConsoleBackend(stream=stream)
    sent = backend.send_messages([sms.SmsMessage(to="+18135550101", body="See you Tuesday.")])
    assert sent == 1
    assert "SMS to +18135550101" in stream.getvalue()
    assert "See you Tuesday." in stream.getvalue()


def test_the_file_backend_writes_one_whole_file_per_message(tmp_path: Path) -> None:
    backend = sms.FileBackend(directory=tmp_path / "outbox")
    backend.send_messages(
        [
            sms.SmsMessage(to="+18135550101", body="First", reference="r1"),
            sms.SmsMessage(to="+18135550102", body="Second", reference="r2"),
        ]
    )
    files = sorted((tmp_path / "outbox").iterdir())
    assert len(files) == 2
    assert not [f for f in files if f.name.startswith(".")]  # no temporary file left
    messages = sms.read_outbox(tmp_path / "outbox")
    assert {(m["to"], m["body"], m["reference"]) for m in messages} == {
        ("+18135550101", "First", "r1"),
        ("+18135550102", "Second", "r2"),
    }


def test_the_file_backend_reports_an_outbox_it_cannot_create(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(sms.SmsError, match="cannot be created"):
        sms.FileBackend(directory=blocker / "outbox").send_messages(
            [sms.SmsMessage(to="+18135550101", body="x")]
        )


def test_send_sms_uses_the_configured_backend(settings: Any, tmp_path: Path) -> None:
    settings.PALPA_SMS_BACKEND = "palpa.scheduling.sms.FileBackend"
    settings.PALPA_SMS_OUTBOX = str(tmp_path)
    message = sms.send_sms("813 555 0101", "Your visit is booked.", reference="x1")
    assert message.to == "+18135550101"
    assert sms.read_outbox(tmp_path)[0]["body"] == "Your visit is booked."


def test_the_memory_backend_keeps_messages_for_tests(settings: Any) -> None:
    settings.PALPA_SMS_BACKEND = "palpa.scheduling.sms.MemoryBackend"
    sms.outbox.clear()
    sms.send_sms("+18135550101", "Hello")
    assert [m.body for m in sms.outbox] == ["Hello"]
    sms.outbox.clear()


@pytest.mark.parametrize(
    ("path", "problem"),
    [("palpa.scheduling.sms.NoSuchBackend", "cannot be imported"), ("os.path", "not an SMS")],
)
def test_a_misconfigured_backend_is_named_in_the_error(
    settings: Any, path: str, problem: str
) -> None:
    settings.PALPA_SMS_BACKEND = path
    with pytest.raises(ImproperlyConfigured, match=problem):
        sms.get_backend()
