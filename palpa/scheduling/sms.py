"""The SMS backend moved down to ``palpa.core.sms`` (the patient message ledger on line 2
sends text messages too). This name stays so that ``PALPA_SMS_BACKEND`` values such as
``palpa.scheduling.sms.FileBackend`` keep working."""

from palpa.core.sms import (
    DEFAULT_BACKEND,
    BaseSmsBackend,
    ConsoleBackend,
    FileBackend,
    MemoryBackend,
    SmsError,
    SmsMessage,
    get_backend,
    normalize_number,
    outbox,
    outbox_dir,
    read_outbox,
    send_sms,
)

__all__ = [
    "DEFAULT_BACKEND",
    "BaseSmsBackend",
    "ConsoleBackend",
    "FileBackend",
    "MemoryBackend",
    "SmsError",
    "SmsMessage",
    "get_backend",
    "normalize_number",
    "outbox",
    "outbox_dir",
    "read_outbox",
    "send_sms",
]
