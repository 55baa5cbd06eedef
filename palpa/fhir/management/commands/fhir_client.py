from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from palpa.accounts.models import Organization
from palpa.core.cli_input import InputError, text_argument
from palpa.fhir.services import create_fhir_client
from palpa.patients.models import Patient


class Command(BaseCommand):
    help = (
        "Register a FHIR client (OAuth2 client credentials) of an organization and print its "
        "client id and secret. The secret is shown this once; Palpa keeps only its hash."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organization", help="the organization's slug")
        parser.add_argument("name", help="a name for the client, e.g. 'Referral hub'")
        parser.add_argument(
            "--scopes",
            default="system/*.read",
            help="space-separated SMART scopes (default: system/*.read)",
        )
        parser.add_argument(
            "--patient",
            default="",
            help="MRN of the one patient a patient/*.read client acts for",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            name = text_argument(options["name"], argument="NAME", max_length=100)
            scopes = text_argument(options["scopes"], argument="--scopes", max_length=500)
        except InputError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(
                f"ORGANIZATION: no organization has the slug {options['organization']!r}.",
                returncode=2,
            )
        patient = None
        if options["patient"]:
            patient = Patient.objects.filter(
                organization=organization, mrn=options["patient"]
            ).first()
            if patient is None:
                raise CommandError(
                    f"--patient: no patient of {organization} has MRN {options['patient']!r}.",
                    returncode=2,
                )
        try:
            issued = create_fhir_client(
                actor=None,
                organization=organization,
                name=name,
                scopes=scopes.split(),
                patient=patient,
            )
        except ValidationError as exc:
            problems = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
            )
            raise CommandError(problems, returncode=2) from exc
        self.stdout.write(f"client_id:     {issued.client_id}")
        self.stdout.write(f"client_secret: {issued.client_secret}")
        self.stdout.write(f"scopes:        {issued.client.scopes}")
        self.stdout.write("Keep the secret now: it is not shown again.")
