"""The patient's one-time intake link (no sign-in)."""

from django.urls import path

from palpa.screening import views

app_name = "intake"
urlpatterns = [
    path("<str:token>/", views.intake, name="form"),
]
