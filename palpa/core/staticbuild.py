"""Static files are collected once, not at every start.

``palpa serve`` in production used to run ``collectstatic`` at every start, so a restart
refused connections for 7-15 s. Now the collected files carry a stamp: a fingerprint of
every source file the static finders see (path, size, modification time). A start whose
fingerprint matches the stamp serves at once; after an upgrade the fingerprint differs and
the files are collected again, once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command

STAMP = ".palpa-static-stamp"


def fingerprint() -> str:
    digest = hashlib.sha256()
    seen: set[str] = set()
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            if path in seen:  # the first finder's file wins, as collectstatic does
                continue
            seen.add(path)
            stat = Path(storage.path(path)).stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def stamp_path() -> Path:
    return Path(settings.STATIC_ROOT) / STAMP


def is_current() -> bool:
    stamp = stamp_path()
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == fingerprint()


def ensure_static() -> bool:
    """Collect static files if they changed since the last collection; True if it did."""
    current = fingerprint()
    stamp = stamp_path()
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == current:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(current + "\n", encoding="utf-8")
    return True
