from django.urls import path

from palpa.lymphoedema import cdt_views, mld_views, views
from palpa.lymphoedema.garments import views as garments

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
    path(
        "patients/<uuid:patient_id>/garments/new/",
        garments.garment_new,
        name="garment_new",
    ),
    path("garments/<uuid:prescription_id>/", garments.garment_detail, name="garment"),
    path(
        "garments/<uuid:prescription_id>/fitting/",
        garments.garment_fitting,
        name="garment_fitting",
    ),
    path(
        "garments/<uuid:prescription_id>/order-form.pdf",
        garments.garment_order_form,
        name="garment_order_form",
    ),
    path(
        "garments/<uuid:prescription_id>/entered-in-error/",
        garments.garment_in_error,
        name="garment_in_error",
    ),
    path("settings/garments/", garments.garment_settings, name="garment_settings"),
    path("patients/<uuid:patient_id>/cdt/phase-1/", cdt_views.start_phase_1, name="cdt_phase_1"),
    path(
        "patients/<uuid:patient_id>/cdt/phase-2/", cdt_views.switch_to_phase_2, name="cdt_phase_2"
    ),
    path("care/notes/<uuid:note_id>/mld/", mld_views.mld_save, name="mld_save"),
]
