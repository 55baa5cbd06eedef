"""The ``palpa`` command: Django's management interface with Palpa's settings."""

from __future__ import annotations

import os
import sys

# Commands spelled with a hyphen on the command line: their modules are named with an
# underscore, as a module with a hyphen cannot be imported by name (nor type-checked).
ALIASES = {"limb-volume": "limb_volume"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palpa.settings")
    # Imported after the settings module is named: Django reads it on first use.
    from django.conf import settings
    from django.core.management import execute_from_command_line

    if not os.environ.get("DATABASE_URL"):
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    args = list(argv if argv is not None else sys.argv[1:])
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    execute_from_command_line(["palpa", *args])


if __name__ == "__main__":
    main()
