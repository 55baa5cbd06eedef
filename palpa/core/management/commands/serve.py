from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Serve Palpa. Development: Django's server with static files. Production "
        "(PALPA_ENV=production): gunicorn with N workers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        address = f"{options['host']}:{options['port']}"
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
            gunicorn = [
                sys.executable,
                "-m",
                "gunicorn",
                "palpa.wsgi:application",
                "--bind",
                address,
                "--workers",
                str(options["workers"]),
                "--access-logfile",
                "-",
            ]
            os.execv(sys.executable, gunicorn)  # noqa: S606
        self.stdout.write(f"Palpa is at http://{address}/  (Ctrl-C stops it)")
        call_command("runserver", address, use_reloader=False)
