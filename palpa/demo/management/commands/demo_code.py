from __future__ import annotations

import base64
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp

from palpa.accounts.models import User
from palpa.demo.data import DEMO_SLUG
from palpa.demo.management.commands.demo import demo_totp_key


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account (demo clinic only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].lower()
        user = User.objects.filter(email=email, organization__slug=DEMO_SLUG).first()
        if user is None:
            raise CommandError(
                f"EMAIL: {email!r} is not an account of the demo clinic.", returncode=2
            )
        key = bytes.fromhex(demo_totp_key(email))
        self.stdout.write(f"{totp(key):06d}")
        if options["verbosity"] > 1:
            self.stdout.write(f"key (base32): {base64.b32encode(key).decode()}")
