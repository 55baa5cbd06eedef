from django.urls import path

from palpa.screening import views

app_name = "screening"
urlpatterns = [
    path("patients/<uuid:public_id>/", views.review, name="review"),
    path("patients/<uuid:public_id>/intake/", views.intake_staff, name="intake"),
    path("patients/<uuid:public_id>/intake-link/", views.intake_link_create, name="intake_link"),
    path("patients/<uuid:public_id>/confirm/", views.confirm, name="confirm"),
    path("patients/<uuid:public_id>/blood-pressure/", views.blood_pressure, name="blood_pressure"),
    path("screenings/<uuid:public_id>/clearance/", views.clearance_add, name="clearance"),
    path("screenings/<uuid:public_id>/override/", views.override_add, name="override"),
    path("clearances/<uuid:public_id>/letter/", views.letter, name="letter"),
    path("rules/", views.rules, name="rules"),
]
