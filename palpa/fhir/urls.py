from django.urls import path, re_path
from oauth2_provider import views as oauth_views

from palpa.fhir import views

app_name = "fhir"

_TYPE = r"(?P<resource_type>[A-Z][A-Za-z]+)"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path(".well-known/smart-configuration", views.smart_configuration, name="smart"),
    path("auth/token", oauth_views.TokenView.as_view(), name="token"),
    path("auth/revoke", oauth_views.RevokeTokenView.as_view(), name="revoke"),
    re_path(rf"^{_TYPE}/_search$", views.type_post_search, name="post_search"),
    re_path(rf"^{_TYPE}$", views.type_search, name="search"),
    re_path(rf"^{_TYPE}/(?P<resource_id>[A-Za-z0-9\-.]{{1,64}})$", views.instance, name="read"),
    re_path(r"^(?P<rest>.*)$", views.not_supported, name="not_supported"),
]
