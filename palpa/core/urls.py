from django.urls import path

from palpa.core import views

app_name = "core"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
