from django.urls import path

from palpa.accounts import views
from palpa.accounts.gates import public

app_name = "accounts"
urlpatterns = [
    path("login/", public(views.LoginView.as_view()), name="login"),
    path("otp/", views.otp_view, name="otp"),
    path("otp/setup/", views.otp_setup_view, name="otp_setup"),
    path("logout/", views.logout_view, name="logout"),
    path("tokens/", views.tokens_view, name="tokens"),
    path("tokens/<uuid:public_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/locations/new/", views.location_edit_view, name="location_new"),
    path("settings/locations/<uuid:public_id>/", views.location_edit_view, name="location_edit"),
    path("settings/locations/<uuid:public_id>/rooms/", views.room_add_view, name="room_add"),
]
