"""Static files are collected once, and again only when they change (palpa.core.staticbuild),
so a production restart does not wait for collectstatic."""

from __future__ import annotations

import os
from pathlib import Path

from django.test import override_settings

from palpa.core.staticbuild import ensure_static, is_current
from palpa.settings import STATICFILES_DIRS


def test_static_files_are_collected_once_and_again_after_a_change(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    sheet = extra / "clinic.css"
    sheet.write_text("body { color: #222; }\n")
    root = tmp_path / "collected"
    with override_settings(STATIC_ROOT=root, STATICFILES_DIRS=[*STATICFILES_DIRS, extra]):
        assert not is_current()
        assert ensure_static() is True
        assert (root / "clinic.css").read_text() == "body { color: #222; }\n"
        assert (root / "palpa" / "calendar.js").is_file()
        assert is_current()

        assert ensure_static() is False  # a restart: nothing collected

        sheet.write_text("body { color: #111; }\n")
        stat = sheet.stat()
        os.utime(sheet, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert not is_current()
        assert ensure_static() is True  # an upgrade changed a file: collected again, once
        assert (root / "clinic.css").read_text() == "body { color: #111; }\n"
        assert ensure_static() is False
