from django.urls import path, re_path
from oauth2_provider import views as oauth_views

from palpa.fhir import operations, views

app_name = "fhir"

_TYPE = r"(?P<resource_type>[A-Z][A-Za-z]+)"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path(".well-known/smart-configuration", views.smart_configuration, name="smart"),
    path("auth/token", oauth_views.TokenView.as_view(), name="token"),
    path("auth/revoke", oauth_views.RevokeTokenView.as_view(), name="revoke"),
    # Operations (palpa.fhir.operations): transaction, $everything, bulk $export.
    path("", operations.root, name="root"),
    path("$export", operations.system_export, name="export"),
    path("Patient/$export", operations.patient_export, name="patient_export"),
    path("bulk/status/<uuid:job_id>", operations.export_status, name="export_status"),
    path("bulk/file/<uuid:file_id>", operations.export_file, name="export_file"),
    re_path(
        r"^Patient/(?P<resource_id>[A-Za-z0-9\-.]{1,64})/\$everything$",
        operations.patient_everything,
        name="everything",
    ),
    re_path(rf"^{_TYPE}/_search$", views.type_post_search, name="post_search"),
    re_path(rf"^{_TYPE}$", views.type_search, name="search"),
    re_path(rf"^{_TYPE}/(?P<resource_id>[A-Za-z0-9\-.]{{1,64}})$", views.instance, name="read"),
    re_path(r"^(?P<rest>.*)$", views.not_supported, name="not_supported"),
]
