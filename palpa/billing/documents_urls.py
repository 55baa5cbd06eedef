"""URLs of the billing documents, included into ``billing.urls`` (names in the ``billing``
namespace)."""

from django.urls import path

from palpa.billing import documents_views as views

urlpatterns = [
    path("patients/<uuid:patient_id>/documents/", views.patient_documents, name="documents"),
    path(
        "patients/<uuid:patient_id>/superbill.pdf",
        views.superbill_period,
        name="superbill_period",
    ),
    path("patients/<uuid:patient_id>/statement.pdf", views.statement, name="statement"),
    path("charges/<uuid:charge_id>/superbill.pdf", views.superbill_visit, name="superbill_visit"),
    path("payments/<uuid:payment_id>/receipt.pdf", views.receipt, name="receipt"),
    path("claims/export/", views.claims_export, name="claims_export"),
]
