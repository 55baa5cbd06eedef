from django.urls import path

from palpa.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("new/", views.book, name="book"),
    path("course/", views.course, name="course"),
    path("waitlist/", views.waitlist, name="waitlist"),
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
