from django.urls import path

from palpa.referrals import views

app_name = "referrals"
urlpatterns = [
    path("physicians/", views.physician_list, name="physicians"),
    path("physicians/new/", views.physician_new, name="physician_new"),
    path("physicians/<uuid:public_id>/", views.physician_detail, name="physician"),
    path("physicians/<uuid:public_id>/active/", views.physician_active, name="physician_active"),
    path("patients/<uuid:public_id>/new/", views.referral_new, name="new"),
    path("patients/<uuid:public_id>/override/", views.override, name="override"),
    path("settings/", views.policy, name="policy"),
    path("<uuid:public_id>/", views.referral_detail, name="detail"),
    path("<uuid:public_id>/cancel/", views.referral_cancel, name="cancel"),
    path("<uuid:public_id>/prescription/", views.prescription, name="prescription"),
]
