from django.urls import path

from palpa.practitioners import views

app_name = "practitioners"
urlpatterns = [
    path("", views.practitioner_list, name="list"),
    path("new/", views.practitioner_new, name="new"),
    path("<uuid:public_id>/", views.practitioner_detail, name="detail"),
    path("<uuid:public_id>/login/", views.practitioner_login, name="login"),
    path("licenses/<uuid:public_id>/verify/", views.license_verify, name="license_verify"),
]
