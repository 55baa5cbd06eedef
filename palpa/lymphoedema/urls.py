from django.urls import path

from palpa.lymphoedema import views

app_name = "lymphoedema"
urlpatterns = [
    path(
        "patients/<uuid:patient_id>/limb-measurements/new/",
        views.measurement_new,
        name="measurement_new",
    ),
    path(
        "limb-measurements/<uuid:measurement_id>/",
        views.measurement_detail,
        name="measurement",
    ),
    path(
        "limb-measurements/<uuid:measurement_id>/entered-in-error/",
        views.measurement_in_error,
        name="measurement_in_error",
    ),
]
