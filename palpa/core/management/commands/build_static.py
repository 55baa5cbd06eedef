from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from palpa.core.staticbuild import ensure_static


class Command(BaseCommand):
    help = (
        "Collect static files for production once (at install or upgrade); `palpa serve` "
        "then starts without collecting them again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if ensure_static():
            self.stdout.write("Static files collected.")
        else:
            self.stdout.write("Static files are current: nothing to do.")
