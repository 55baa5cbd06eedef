from django.urls import include, path

from palpa.accounts.gates import public
from palpa.api import api
from palpa.core import views as core_views

urlpatterns = [
    path("healthz", public(core_views.healthz), name="healthz"),
    path("bench/baseline/<int:pk>", public(core_views.bench_baseline), name="bench_baseline"),
    path("api/v1/", api.urls),
    path("accounts/", include("palpa.accounts.urls")),
    path("patients/", include("palpa.patients.urls")),
    path("", include("palpa.lymphoedema.urls")),
    path("practitioners/", include("palpa.practitioners.urls")),
    path("audit/", include("palpa.audit.urls")),
    path("care/", include("palpa.care.urls")),
    path("screening/", include("palpa.screening.urls")),
    path("referrals/", include("palpa.referrals.urls")),
    path("schedule/", include("palpa.scheduling.urls")),
    path("intake/", include("palpa.screening.intake_urls")),
    path("outcomes/", include("palpa.outcomes.urls")),
    path("outcomes/", include("palpa.analytics.urls")),  # the Outcomes pages (issue 15)
    path("before-visit/", include("palpa.outcomes.link_urls")),
    path("reports/", include("palpa.reports.urls")),
    path("billing/", include("palpa.billing.urls")),
    path("business/", include("palpa.billing.business_urls")),
    path("report-link/", include("palpa.reports.link_urls")),
    path("my/", include("palpa.portal.urls")),
    path("fhir/R4/", include("palpa.fhir.urls")),
    path("", include("palpa.scheduling.online_urls")),  # book/, feeds/, online-booking/
    path("", include("palpa.core.urls")),
]
