"""Online booking (public pages, no sign-in), the patient's appointment link, the
therapist's calendar feed, and their staff pages. Included at the site root."""

from django.urls import path

from palpa.scheduling import online_staff_views as staff
from palpa.scheduling import public_views as public

app_name = "online"
urlpatterns = [
    # public (patients; calendar apps)
    path("book/<uuid:location>/", public.start, name="start"),
    path("book/<uuid:location>/details/", public.details, name="details"),
    path("book/<uuid:location>/verify/", public.verify, name="verify"),
    path("book/code/<str:token>/", public.link, name="link"),
    path("book/manage/<str:token>/", public.manage, name="manage"),
    path("book/manage/<str:token>/move/", public.move, name="move"),
    path("feeds/calendar/<str:token>.ics", public.feed, name="feed"),
    # staff
    path("online-booking/", staff.notices, name="notices"),
    path("online-booking/notices/<uuid:public_id>/handled", staff.notice_handled, name="handled"),
    path("online-booking/locations/<uuid:public_id>/", staff.location_settings, name="settings"),
    path("online-booking/reminders/", staff.reminder_settings, name="reminders"),
    path(
        "online-booking/reminders/<uuid:public_id>/switch",
        staff.reminder_switch,
        name="reminder_switch",
    ),
    path("online-booking/calendar-feeds/", staff.calendar_feeds, name="feeds"),
    path(
        "online-booking/calendar-feeds/<uuid:public_id>/revoke",
        staff.calendar_feed_revoke,
        name="feed_revoke",
    ),
]
