"""The ``palpa`` command: Django's management interface with Palpa's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palpa.settings")
    # Imported after the settings module is named: Django reads it on first use.
    from django.conf import settings
    from django.core.management import execute_from_command_line

    if not os.environ.get("DATABASE_URL"):
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    execute_from_command_line(["palpa", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    main()
