from django.urls import include, path

from palpa.api import api
from palpa.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("bench/baseline/<int:pk>", core_views.bench_baseline, name="bench_baseline"),
    path("api/v1/", api.urls),
    path("accounts/", include("palpa.accounts.urls")),
    path("patients/", include("palpa.patients.urls")),
    path("practitioners/", include("palpa.practitioners.urls")),
    path("audit/", include("palpa.audit.urls")),
    path("care/", include("palpa.care.urls")),
    path("screening/", include("palpa.screening.urls")),
    path("intake/", include("palpa.screening.intake_urls")),
    path("", include("palpa.core.urls")),
]
