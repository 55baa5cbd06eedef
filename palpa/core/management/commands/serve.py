from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.core.wsgi import get_wsgi_application
from django.db import connections
from gunicorn.app.base import BaseApplication

from palpa.core.staticbuild import ensure_static


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn serving the application this process has already loaded: Django is set up
    once, in the master, and the workers fork with it (a restart serves within a second or
    two instead of importing Palpa again in every worker after the master)."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self.application = get_wsgi_application()
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


def _bounded(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (else exit 2 naming it)."""

    def parse(text: str) -> int:
        if not text.strip().isascii() or not text.strip().lstrip("-").isdigit():
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return parse


class Command(BaseCommand):
    help = (
        "Serve Palpa. Development: Django's server with static files. Production "
        "(PALPA_ENV=production): gunicorn with N workers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=_bounded(1, 65535), default=8000)
        parser.add_argument("--workers", type=_bounded(1, 64), default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        address = f"{options['host']}:{options['port']}"
        if settings.PRODUCTION:
            if ensure_static():
                self.stdout.write("Static files collected (they changed since the last start).")
            connections.close_all()  # no connection may be shared by forked workers
            _Gunicorn(
                {
                    "bind": address,
                    "workers": options["workers"],
                    "accesslog": "-",
                    "preload_app": True,
                }
            ).run()
            return
        self.stdout.write(f"Palpa is at http://{address}/  (Ctrl-C stops it)")
        mailer: dict[str, Any] = dict(settings.MAILERS.get("default") or {})
        outbox = dict(mailer.get("OPTIONS") or {}).get("file_path")
        if outbox:
            self.stdout.write(f"Emails to patients and staff are written to {outbox}/")
        call_command("runserver", address, use_reloader=False)
