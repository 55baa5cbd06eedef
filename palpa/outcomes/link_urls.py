"""The patient's one-time instrument link (no sign-in)."""

from django.urls import path

from palpa.outcomes import views

app_name = "instrument_link"
urlpatterns = [
    path("<str:token>/", views.fill, name="form"),
]
