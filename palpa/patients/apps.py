from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "palpa.patients"
    label = "patients"
    verbose_name = "Patients"
