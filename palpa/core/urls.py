from django.urls import path

from palpa.accounts.gates import requires
from palpa.accounts.permissions import Capability
from palpa.core import views

app_name = "core"
urlpatterns = [
    path("", requires(Capability.STAFF)(views.dashboard), name="dashboard"),
]
