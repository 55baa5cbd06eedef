"""The only code that writes appointments, the waitlist and its offers, one module per topic.

Every booking (staff or online, single or a course) passes the same rules, in order;
they are listed at the top of ``booking``. Each service takes keyword arguments with
``actor`` first, checks role and organization, runs in one transaction and leaves an
audit entry per appointment written.

The topics carry the names the pages, the API and the tests use:

- ``booking``: book (staff and online), reschedule, cancel, arrived, no-show, fulfilled;
- ``courses``: recurring courses, previewed then booked all or nothing;
- ``waitlist``: added, a freed slot offered, the offer accepted or declined, withdrawn;
- ``configuration``: appointment types (and the starting set), weekly hours, time off,
  closed days, room features;
- ``_common``: the refusals and the checks every booking passes.

The screening STOP flag (``screening_flags``) lives in ``scheduling.flags`` and the
audited read (``audit_schedule_read``) in ``scheduling.queries``; both are re-exported
here, so ``services.X`` keeps working for every name.
"""

from __future__ import annotations

from palpa.scheduling.flags import (
    screening_flags as screening_flags,
)
from palpa.scheduling.queries import (
    audit_schedule_read as audit_schedule_read,
)
from palpa.scheduling.services._common import (
    DEADLOCK_DETECTED as DEADLOCK_DETECTED,
)
from palpa.scheduling.services._common import (
    MIN_REASON as MIN_REASON,
)
from palpa.scheduling.services._common import (
    SLOT_JUST_TAKEN as SLOT_JUST_TAKEN,
)
from palpa.scheduling.services._common import (
    NotAllowedNow as NotAllowedNow,
)
from palpa.scheduling.services._common import (
    OutsideHours as OutsideHours,
)
from palpa.scheduling.services._common import (
    ScreeningStop as ScreeningStop,
)
from palpa.scheduling.services._common import (
    SlotTaken as SlotTaken,
)
from palpa.scheduling.services._common import (
    Status as Status,
)
from palpa.scheduling.services.booking import (
    ONLINE_MIN_NOTICE as ONLINE_MIN_NOTICE,
)
from palpa.scheduling.services.booking import (
    book_appointment as book_appointment,
)
from palpa.scheduling.services.booking import (
    book_online_appointment as book_online_appointment,
)
from palpa.scheduling.services.booking import (
    cancel_appointment as cancel_appointment,
)
from palpa.scheduling.services.booking import (
    mark_arrived as mark_arrived,
)
from palpa.scheduling.services.booking import (
    mark_fulfilled as mark_fulfilled,
)
from palpa.scheduling.services.booking import (
    mark_no_show as mark_no_show,
)
from palpa.scheduling.services.booking import (
    reschedule_appointment as reschedule_appointment,
)
from palpa.scheduling.services.configuration import (
    DEFAULT_TYPES as DEFAULT_TYPES,
)
from palpa.scheduling.services.configuration import (
    MAX_CLOSED_REASON as MAX_CLOSED_REASON,
)
from palpa.scheduling.services.configuration import (
    TYPE_FIELDS as TYPE_FIELDS,
)
from palpa.scheduling.services.configuration import (
    HoursRow as HoursRow,
)
from palpa.scheduling.services.configuration import (
    add_availability_exception as add_availability_exception,
)
from palpa.scheduling.services.configuration import (
    add_closed_day as add_closed_day,
)
from palpa.scheduling.services.configuration import (
    create_appointment_type as create_appointment_type,
)
from palpa.scheduling.services.configuration import (
    install_default_types as install_default_types,
)
from palpa.scheduling.services.configuration import (
    remove_availability_exception as remove_availability_exception,
)
from palpa.scheduling.services.configuration import (
    remove_closed_day as remove_closed_day,
)
from palpa.scheduling.services.configuration import (
    set_room_features as set_room_features,
)
from palpa.scheduling.services.configuration import (
    set_weekly_hours as set_weekly_hours,
)
from palpa.scheduling.services.configuration import (
    update_appointment_type as update_appointment_type,
)
from palpa.scheduling.services.courses import (
    MAX_COURSE_APPOINTMENTS as MAX_COURSE_APPOINTMENTS,
)
from palpa.scheduling.services.courses import (
    CourseCandidate as CourseCandidate,
)
from palpa.scheduling.services.courses import (
    CourseConflicts as CourseConflicts,
)
from palpa.scheduling.services.courses import (
    CoursePreview as CoursePreview,
)
from palpa.scheduling.services.courses import (
    CourseTime as CourseTime,
)
from palpa.scheduling.services.courses import (
    book_course as book_course,
)
from palpa.scheduling.services.courses import (
    course_starts as course_starts,
)
from palpa.scheduling.services.courses import (
    preview_course as preview_course,
)
from palpa.scheduling.services.waitlist import (
    accept_offer as accept_offer,
)
from palpa.scheduling.services.waitlist import (
    add_to_waitlist as add_to_waitlist,
)
from palpa.scheduling.services.waitlist import (
    decline_offer as decline_offer,
)
from palpa.scheduling.services.waitlist import (
    offer_freed_slot as offer_freed_slot,
)
from palpa.scheduling.services.waitlist import (
    withdraw_from_waitlist as withdraw_from_waitlist,
)
