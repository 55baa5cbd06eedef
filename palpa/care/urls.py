from django.urls import path

from palpa.care import views

app_name = "care"
urlpatterns = [
    path("patients/<uuid:patient_id>/notes/new/", views.note_new, name="note_new"),
    path("notes/<uuid:note_id>/", views.note_detail, name="note"),
    path("notes/<uuid:note_id>/techniques/", views.technique_add, name="technique_add"),
    path(
        "notes/<uuid:note_id>/techniques/<uuid:technique_id>/remove/",
        views.technique_remove,
        name="technique_remove",
    ),
    path("notes/<uuid:note_id>/sign/", views.note_sign, name="note_sign"),
    path("notes/<uuid:note_id>/addenda/", views.addendum_add, name="addendum_add"),
]
