from django.urls import include, path

from palpa.billing import views

app_name = "billing"
urlpatterns = [
    path("", views.home, name="home"),
    path("charges/", views.charges, name="charges"),
    path("charges/<uuid:public_id>/", views.charge_detail, name="charge"),
    path("payments/", views.payments, name="payments"),
    path("balances/", views.balances, name="balances"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/identifiers/", views.settings_identifiers, name="settings_identifiers"),
    path("patients/<uuid:public_id>/", views.account, name="account"),
    path("", include("palpa.billing.documents_urls")),  # superbill, statement, claims
]
for _action in ("ready", "recalculate", "void"):
    urlpatterns.append(
        path(
            f"charges/<uuid:public_id>/{_action}/",
            views.charge_action,
            {"action": _action},
            name=f"charge_{_action}",
        )
    )
for _action in ("payment", "adjustment", "transfer", "coverage", "prepaid", "invoice"):
    urlpatterns.append(
        path(
            f"patients/<uuid:public_id>/{_action}/",
            views.account_action,
            {"action": _action},
            name=_action,
        )
    )
for _kind, _action in (
    ("coverages", "end"),
    ("coverages", "entered-in-error"),
    ("prepaids", "end"),
):
    urlpatterns.append(
        path(
            f"{_kind}/<uuid:public_id>/{_action}/",
            views.lifecycle_action,
            {"kind": _kind, "action": _action},
            name=f"{_kind[:-1]}_{_action.replace('-', '_')}",
        )
    )
for _action in ("refund", "reverse"):
    urlpatterns.append(
        path(
            f"entries/<uuid:public_id>/{_action}/",
            views.entry_action,
            {"action": _action},
            name=_action,
        )
    )
for _action in ("payer", "fee", "code_map", "location", "plan", "service_price"):
    urlpatterns.append(
        path(
            f"settings/{_action}/",
            views.settings_action,
            {"action": _action},
            name=f"settings_{_action}",
        )
    )
