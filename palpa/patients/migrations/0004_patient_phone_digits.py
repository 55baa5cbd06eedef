"""Patients are found by phone: the last ten digits of the number, however it was typed,
in an indexed column (filled here for existing records)."""

from typing import Any

from django.db import migrations, models


def fill(apps: Any, schema_editor: Any) -> None:
    patient_model = apps.get_model("patients", "Patient")
    for patient in patient_model.objects.exclude(phone="").only("pk", "phone").iterator():
        digits = "".join(ch for ch in patient.phone if ch.isascii() and ch.isdigit())[-10:]
        patient_model.objects.filter(pk=patient.pk).update(phone_digits=digits)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("patients", "0003_patient_name_trigram_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="phone_digits",
            field=models.CharField(blank=True, default="", editable=False, max_length=10),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["organization", "phone_digits"], name="pt_org_phone"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
