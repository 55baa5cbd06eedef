from django.urls import path

from palpa.outcomes import views

app_name = "outcomes"
urlpatterns = [
    path("patients/<uuid:public_id>/links/", views.links, name="links"),
    path("links/<uuid:public_id>/revoke/", views.link_revoke, name="link_revoke"),
]
