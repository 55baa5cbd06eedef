"""The patient portal (``/my/``): sign-in with a one-time code, then the patient's own
pages. No staff sign-in: each page checks the portal session (``views.portal_page``)."""

from django.urls import path

from palpa.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.enter_code, name="code"),
    path("sign-in/choose/", views.choose, name="choose"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("book/", views.book, name="book"),
    path("appointments/<uuid:public_id>/cancel/", views.cancel, name="cancel"),
    path("forms/<uuid:public_id>/fill/", views.fill_form, name="fill_form"),
    path("appointments/<uuid:public_id>/move/", views.move, name="move"),
    path("documents/visits/<uuid:public_id>/superbill.pdf", views.superbill, name="superbill"),
    path("documents/payments/<uuid:public_id>/receipt.pdf", views.receipt, name="receipt"),
    path("documents/reports/<uuid:public_id>.pdf", views.report, name="report"),
    path("documents/statement.pdf", views.statement, name="statement"),
    path("progress/", views.progress, name="progress"),
    path("home-care/", views.home_care, name="home_care"),
    path("home-care/<uuid:public_id>/done/", views.home_care_done, name="home_care_done"),
    path(
        "home-care/<uuid:public_id>/picture",
        views.home_care_picture,
        name="home_care_picture",
    ),
    path("consents/", views.consents, name="consents"),
    path("consents/<str:kind>/withdraw/", views.withdraw, name="withdraw"),
]
