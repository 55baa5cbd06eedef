from django.urls import path

from palpa.care import result_views, views

app_name = "care"
urlpatterns = [
    path("patients/<uuid:patient_id>/notes/new/", views.note_new, name="note_new"),
    path("notes/<uuid:note_id>/", views.note_detail, name="note"),
    path("notes/<uuid:note_id>/techniques/", views.technique_add, name="technique_add"),
    path(
        "notes/<uuid:note_id>/techniques/<uuid:technique_id>/remove/",
        views.technique_remove,
        name="technique_remove",
    ),
    path("notes/<uuid:note_id>/sign/", views.note_sign, name="note_sign"),
    path("notes/<uuid:note_id>/addenda/", views.addendum_add, name="addendum_add"),
    # Result-based care
    path(
        "patients/<uuid:patient_id>/evaluations/new/",
        result_views.evaluation_new,
        name="evaluation_new",
    ),
    path(
        "evaluations/<uuid:evaluation_id>/",
        result_views.evaluation_detail,
        name="evaluation",
    ),
    path(
        "evaluations/<uuid:evaluation_id>/add/<slug:part>/",
        result_views.evaluation_add,
        name="evaluation_add",
    ),
    path(
        "evaluations/<uuid:evaluation_id>/remove/<slug:part>/<uuid:row_id>/",
        result_views.evaluation_remove,
        name="evaluation_remove",
    ),
    path(
        "evaluations/<uuid:evaluation_id>/addenda/",
        result_views.evaluation_addendum_add,
        name="evaluation_addendum_add",
    ),
    path(
        "evaluations/<uuid:evaluation_id>/baselines/",
        result_views.evaluation_administration,
        name="evaluation_administration",
    ),
    path(
        "evaluations/<uuid:evaluation_id>/icd10/",
        result_views.icd10_search,
        name="icd10_search",
    ),
    path(
        "evaluations/<uuid:evaluation_id>/sign/",
        result_views.evaluation_sign,
        name="evaluation_sign",
    ),
    path("evaluations/<uuid:evaluation_id>/plan/new/", result_views.plan_new, name="plan_new"),
    path("plans/<uuid:plan_id>/", result_views.plan_detail, name="plan"),
    path("plans/<uuid:plan_id>/edit/", result_views.plan_edit, name="plan_edit"),
    path("plans/<uuid:plan_id>/add/<slug:part>/", result_views.plan_add, name="plan_add"),
    path(
        "plans/<uuid:plan_id>/home-care/<uuid:item_id>/remove/",
        result_views.homecare_remove,
        name="homecare_remove",
    ),
    path(
        "plans/<uuid:plan_id>/home-care/<uuid:item_id>/picture",
        result_views.homecare_picture,
        name="homecare_picture",
    ),
    path(
        "plans/<uuid:plan_id>/home-care/<uuid:item_id>/picture/attach/",
        result_views.homecare_picture_attach,
        name="homecare_picture_attach",
    ),
    path(
        "plans/<uuid:plan_id>/home-care/<uuid:item_id>/picture/remove/",
        result_views.homecare_picture_remove,
        name="homecare_picture_remove",
    ),
    path(
        "plans/<uuid:plan_id>/goals/<uuid:goal_id>/remove/",
        result_views.goal_remove,
        name="goal_remove",
    ),
    path(
        "plans/<uuid:plan_id>/goals/expected/",
        result_views.goal_expected,
        name="goal_expected",
    ),
    path("plans/<uuid:plan_id>/sign/", result_views.plan_sign, name="plan_sign"),
    path("plans/<uuid:plan_id>/revise/", result_views.plan_revise, name="plan_revise"),
    path("plans/<uuid:plan_id>/handout/", result_views.plan_handout, name="plan_handout"),
    path(
        "plans/<uuid:plan_id>/send-home-care/",
        result_views.plan_send_home_care,
        name="plan_send_home_care",
    ),
    path("goals/<uuid:goal_id>/chart.svg", result_views.goal_chart, name="goal_chart"),
]
