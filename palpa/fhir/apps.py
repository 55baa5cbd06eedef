from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "palpa.fhir"
    label = "fhir"
    verbose_name = "FHIR R4 boundary"
