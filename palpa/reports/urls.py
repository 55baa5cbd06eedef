from django.urls import path

from palpa.reports import views

app_name = "reports"
urlpatterns = [
    path("patients/<uuid:patient_id>/new/", views.report_new, name="new"),
    path("policy/", views.policy, name="policy"),
    path("<uuid:report_id>/", views.report_detail, name="detail"),
    path("<uuid:report_id>/sign/", views.report_sign, name="sign"),
    path("<uuid:report_id>/send/", views.report_send, name="send"),
    path("<uuid:report_id>/report.pdf", views.report_pdf, name="pdf"),
    path("<uuid:report_id>/fax/", views.report_fax, name="fax"),
    path("<uuid:report_id>/share/", views.report_share, name="share"),
    path("<uuid:report_id>/stop-sharing/", views.report_stop_sharing, name="stop_sharing"),
    path("<uuid:report_id>/correct/", views.report_correct, name="correct"),
    path("<uuid:report_id>/discard/", views.report_discard, name="discard"),
]
