from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from palpa.accounts.models import Location, Organization, Room, User
from palpa.accounts.permissions import Capability, roles_with
from palpa.accounts.services import create_staff
from palpa.audit.services import Action, record
from palpa.core.dates import local_today
from palpa.core.npi import make_npi
from palpa.demo import billing, care, data, limbs, referrals, reports, scheduling
from palpa.patients.models import Patient
from palpa.patients.services import add_allergy, create_patient, record_consent
from palpa.practitioners.models import License, Practitioner
from palpa.practitioners.services import (
    add_license,
    create_practitioner,
    set_license_verification,
)
from palpa.referrals.services import add_physician
from palpa.screening.services import create_intake_link, record_screening, submit_intake


def demo_totp_key(email: str) -> str:
    """A fixed TOTP key per demo account, so the demo is the same on every machine."""
    return hashlib.sha256(f"palpa-demo-totp:{email}".encode()).hexdigest()[:40]


class Command(BaseCommand):
    help = "Create the demo clinic (deterministic and idempotent) and print its logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="do not print the logins")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=data.DEMO_SLUG).first()
        if org is None:
            with transaction.atomic():
                org = self._create()
            self.stdout.write(self.style.SUCCESS(f"Created the demo clinic {org.name}."))
        else:
            self.stdout.write(f"The demo clinic {org.name} is already here; nothing changed.")
        if not options["quiet"]:
            self._print_logins()

    def _create(self) -> Organization:
        org = Organization.objects.create(**data.ORGANIZATION)
        today = local_today(org)  # the clinic's day: in the evening in Tampa UTC's is tomorrow
        record(
            actor=None, action=Action.CREATE, organization=org, obj=org, detail={"by": "palpa demo"}
        )
        owner = create_staff(
            organization=org,
            email=data.STAFF[0][0],
            full_name=data.STAFF[0][1],
            role="owner",
            password=data.DEMO_PASSWORD,
        )
        locations = []
        for spec in data.LOCATIONS:
            fields = {k: v for k, v in spec.items() if k != "rooms"}
            loc = Location(organization=org, **fields)
            loc.full_clean()
            loc.save()
            record(actor=owner, action=Action.CREATE, obj=loc)
            for name, equipment in spec["rooms"]:
                room = Room.objects.create(
                    organization=org, location=loc, name=name, equipment=equipment
                )
                record(actor=owner, action=Action.CREATE, obj=room)
            locations.append(loc)

        for email, full_name, role, lic in data.STAFF[1:]:
            user = create_staff(
                organization=org,
                email=email,
                full_name=full_name,
                role=role,
                password=data.DEMO_PASSWORD,
                actor=owner,
            )
            if lic is None:
                continue
            given, family = full_name.split(" ", 1)
            npi9 = data.PRACTITIONER_NPI.get(full_name)
            practitioner = create_practitioner(
                actor=owner,
                user=user,
                given_name=given,
                family_name=family,
                credentials=data.CREDENTIALS[full_name],
                email=email,
                npi=make_npi(npi9) if npi9 else "",
            )
            kind, number, issued_ago, expires_in = lic
            license_ = add_license(
                actor=owner,
                practitioner=practitioner,
                jurisdiction="FL",
                license_type=kind,
                number=number,
                issued_on=today - dt.timedelta(days=issued_ago),
                expires_on=today + dt.timedelta(days=expires_in),
            )
            if full_name != "Sofia Ramirez":  # one license still awaiting board verification
                set_license_verification(
                    actor=owner, license=license_, status=License.Verification.VERIFIED
                )

        second_factor = roles_with(Capability.SECOND_FACTOR)  # who signs in with a code
        for user in User.objects.filter(organization=org, role__in=second_factor):
            TOTPDevice.objects.create(
                user=user, name="Demo authenticator", confirmed=True, key=demo_totp_key(user.email)
            )

        for spec in data.PHYSICIANS:
            fields = {k: v for k, v in spec.items() if k != "npi9"}
            add_physician(actor=owner, npi=make_npi(str(spec["npi9"])), **fields)

        self._patients(owner, locations, today)
        self._screenings_without_notes(org, today)
        care.treat(org, today)
        referrals.give_referrals(org, today)  # after the notes: it counts them
        reports.write_reports(org, today)  # last: it reports on the care and referrals
        billing.bill_visits(org, today)  # charges from the signed notes, payments
        scheduling.build_calendar(org, today)  # after care: it books the plans' courses
        billing.price_services(org)  # after the calendar made the appointment types
        limbs.add_lymphoedema_patients(org, today)  # after all else: their own stories
        return org

    def _screenings_without_notes(self, org: Organization, today: dt.date) -> None:
        """Screenings of patients who have no notes yet: each decision, a due re-screen,
        one answered through an intake link and one link still waiting for an answer."""
        therapist = User.objects.get(email="therapist@harbor.example")
        front_desk = User.objects.get(email="frontdesk@harbor.example")
        patients = list(Patient.objects.filter(organization=org).order_by("mrn"))
        for i, (days_ago, facts, by_link) in data.SCREENINGS_WITHOUT_NOTES.items():
            as_of = today - dt.timedelta(days=days_ago)
            doc = {"as_of": as_of.isoformat(), **care.dated(facts, as_of)}
            if by_link:
                _link, token = create_intake_link(actor=front_desk, patient=patients[i])
                submit_intake(token=token, facts=doc, questionnaire_version="palpa-intake-1")
            else:
                record_screening(actor=therapist, patient=patients[i], facts=doc)
        create_intake_link(actor=front_desk, patient=patients[data.INTAKE_LINK_PENDING])

    def _patients(self, owner: User, locations: list[Location], today: dt.date) -> None:
        therapist = Practitioner.objects.get(user__email="therapist@harbor.example").user
        assert therapist is not None
        for i in range(30):
            given, family = data.GIVEN[i], data.FAMILY[i]
            city, postal = data.CITIES[i % len(data.CITIES)]
            born = dt.date(1948 + (i * 7) % 55, 1 + (i * 5) % 12, 1 + (i * 11) % 28)
            patient = create_patient(
                actor=owner,
                given_name=given,
                family_name=family,
                preferred_name="Bea" if given == "Beatriz" else "",
                date_of_birth=born,
                sex="female" if i % 2 == 0 else "male",
                email=f"{given.lower()}.{family.lower().replace(chr(39), '')}@mail.example",
                phone=f"+1 813 555 {1000 + i * 37:04d}",
                address_line1=f"{100 + i * 13} {data.STREETS[i % len(data.STREETS)]}",
                city=city,
                region="FL",
                postal_code=postal,
                preferred_language=data.LANGUAGES[i % len(data.LANGUAGES)],
                emergency_contact_name=f"{data.GIVEN[(i + 7) % 30]} {family}",
                emergency_contact_relationship=data.RELATIONS[i % len(data.RELATIONS)],
                emergency_contact_phone=f"+1 727 555 {2000 + i * 41:04d}",
                primary_location=locations[0] if i % 3 else locations[1],
            )
            first_visit = today - dt.timedelta(days=10 + i * 9)
            record_consent(
                actor=owner,
                patient=patient,
                kind="treatment",
                version="2026.1",
                given_on=first_visit,
                granted=True,
            )
            record_consent(
                actor=owner,
                patient=patient,
                kind="privacy_notice",
                version="2026.1",
                given_on=first_visit,
                granted=True,
            )
            record_consent(
                actor=owner,
                patient=patient,
                kind="contact_sms",
                version="2026.1",
                given_on=first_visit,
                granted=i % 4 != 0,
            )
            if i % 8 == 3:
                substance, reaction, severity = data.ALLERGIES[(i // 8) % len(data.ALLERGIES)]
                add_allergy(
                    actor=therapist,
                    patient=patient,
                    substance=substance,
                    reaction=reaction,
                    severity=severity,
                )

    def _print_logins(self) -> None:
        self.stdout.write(f"\nDemo logins (password for all: {data.DEMO_PASSWORD})")
        for email, name, role, _lic in data.STAFF:
            self.stdout.write(f"  {role:<11} {email:<28} {name}")
        self.stdout.write(
            "\nOwners and therapists sign in with a second factor. Get the current code with\n"
            "  palpa demo_code EMAIL      (e.g. palpa demo_code therapist@harbor.example)\n"
            "or add the key it prints to an authenticator app.\n"
            "Daniel Brooks's license has expired: Palpa refuses to book him or let him sign."
        )
