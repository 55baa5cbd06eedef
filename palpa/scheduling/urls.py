from django.urls import path

from palpa.scheduling import setup_views, views

app_name = "scheduling"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("new/", views.book, name="book"),
    path("course/", views.course, name="course"),
    path("waitlist/", views.waitlist, name="waitlist"),
    path(
        "waitlist/<uuid:public_id>/withdraw/",
        views.waitlist_withdraw,
        name="waitlist_withdraw",
    ),
    path("setup/types/", setup_views.types, name="types"),
    path("setup/types/starting-set/", setup_views.types_defaults, name="types_defaults"),
    path("setup/types/<uuid:public_id>/", setup_views.type_edit, name="type_edit"),
    path("setup/hours/", setup_views.hours, name="hours"),
    path(
        "setup/hours/<uuid:public_id>/",
        setup_views.practitioner_hours,
        name="practitioner_hours",
    ),
    path("setup/closed-days/", setup_views.closed_days, name="closed_days"),
    path("setup/rooms/", setup_views.rooms, name="rooms"),
    path("setup/rooms/<uuid:public_id>/", setup_views.room_features, name="room_features"),
    path("appointments/<uuid:public_id>/", views.appointment_detail, name="appointment"),
    path("appointments/<uuid:public_id>/move/", views.appointment_move, name="move"),
    path(
        "appointments/<uuid:public_id>/calendar-move/",
        views.calendar_move,
        name="calendar_move",
    ),
    path("appointments/<uuid:public_id>/cancel/", views.appointment_cancel, name="cancel"),
    path("appointments/<uuid:public_id>/arrived/", views.appointment_arrived, name="arrived"),
    path("appointments/<uuid:public_id>/no-show/", views.appointment_no_show, name="no_show"),
    path("appointments/<uuid:public_id>/offer/", views.appointment_offer, name="offer"),
]
