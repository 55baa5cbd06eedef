from django.contrib.auth import views as auth_views
from django.urls import path

from palpa.accounts import views
from palpa.accounts.gates import public

app_name = "accounts"
urlpatterns = [
    path("login/", public(views.LoginView.as_view()), name="login"),
    path("otp/", views.otp_view, name="otp"),
    path("otp/setup/", views.otp_setup_view, name="otp_setup"),
    path("logout/", views.logout_view, name="logout"),
    path("setup/", views.first_run_view, name="first_run"),
    path("staff/", views.staff_view, name="staff"),
    path("staff/<uuid:public_id>/resend/", views.staff_resend_view, name="staff_resend"),
    path(
        "staff/<uuid:public_id>/deactivate/", views.staff_deactivate_view, name="staff_deactivate"
    ),
    path(
        "staff/<uuid:public_id>/reactivate/", views.staff_reactivate_view, name="staff_reactivate"
    ),
    path("staff/<uuid:public_id>/role/", views.staff_role_view, name="staff_role"),
    path("invitation/<str:token>/", views.invitation_view, name="invitation"),
    path("password-reset/", public(views.PasswordResetView.as_view()), name="password_reset"),
    path(
        "password-reset/sent/",
        public(
            auth_views.PasswordResetDoneView.as_view(
                template_name="accounts/password_reset_sent.html"
            )
        ),
        name="password_reset_sent",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        public(views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        public(
            auth_views.PasswordResetCompleteView.as_view(
                template_name="accounts/password_reset_done.html"
            )
        ),
        name="password_reset_done",
    ),
    path("tokens/", views.tokens_view, name="tokens"),
    path("tokens/<uuid:public_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/locations/new/", views.location_edit_view, name="location_new"),
    path("settings/locations/<uuid:public_id>/", views.location_edit_view, name="location_edit"),
    path("settings/locations/<uuid:public_id>/rooms/", views.room_add_view, name="room_add"),
]
