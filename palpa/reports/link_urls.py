"""The physician's single-use report link (no sign-in)."""

from django.urls import path

from palpa.reports import views

app_name = "report_link"
urlpatterns = [
    path("<str:token>/", views.link_open, name="open"),
]
