from django.urls import path

from palpa.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_new, name="new"),
    path("message-templates/", views.message_templates, name="message_templates"),
    path("message-templates/edit/", views.message_template_edit, name="message_template_edit"),
    path("<uuid:public_id>/", views.patient_detail, name="detail"),
    path("<uuid:public_id>/edit/", views.patient_edit, name="edit"),
    path("<uuid:public_id>/status/", views.patient_status, name="status"),
    path("<uuid:public_id>/consents/", views.consent_add, name="consent_add"),
    path("<uuid:public_id>/allergies/", views.allergy_add, name="allergy_add"),
    path("<uuid:public_id>/guardians/", views.guardian_add, name="guardian_add"),
    path(
        "<uuid:public_id>/guardians/<uuid:guardian_id>/end/",
        views.guardian_end,
        name="guardian_end",
    ),
    path(
        "<uuid:public_id>/messages/<uuid:message_id>/resend/",
        views.message_resend,
        name="message_resend",
    ),
]
