"""The time left to answer an item, and how late it is, in the words people use
(KAU-RESPONSE-DEADLINE): "answer within 1 working day", "2 working days late".

Pure: no ORM, no clock. The deadline is counted in working hours (core.calendar), and a working day
holds ``WORKING_DAY_HOURS`` of them, so "24 working hours" reads as one working day. Under a few hours
left the hours themselves matter more, and are said instead.
"""

from __future__ import annotations

import math

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.calendar import WORKING_DAY_HOURS

# Below this many working hours left, say the hours ("answer within 3 hours"), not the day.
HOURS_SHOWN_BELOW = 8
_EPSILON = 1e-9  # 24.0 working hours computed as 24.000000001 is still one working day


def answer_within(hours_left: float, day_hours: int = WORKING_DAY_HOURS) -> str:
    """The time left before the due time, rounded up: "answer within 1 working day", "answer within
    3 hours", "answer within 20 min". ``hours_left`` is positive."""
    if hours_left < 1:
        minutes = max(1, math.ceil(hours_left * 60 - _EPSILON))
        return _("answer within %(minutes)d min") % {"minutes": minutes}
    if hours_left < HOURS_SHOWN_BELOW:
        hours = math.ceil(hours_left - _EPSILON)
        return ngettext("answer within %(hours)d hour", "answer within %(hours)d hours", hours) % {
            "hours": hours
        }
    days = max(1, math.ceil(hours_left / day_hours - _EPSILON))
    return ngettext("answer within %(days)d working day", "answer within %(days)d working days", days) % {
        "days": days
    }


def late_by(hours_late: float, day_hours: int = WORKING_DAY_HOURS) -> str:
    """How long past the due time, rounded down: "2 working days late", "5 hours late", "10 min
    late". ``hours_late`` is zero or positive."""
    if hours_late < 1:
        minutes = max(1, math.floor(hours_late * 60 + _EPSILON))
        return _("%(minutes)d min late") % {"minutes": minutes}
    if hours_late < day_hours:
        hours = math.floor(hours_late + _EPSILON)
        return ngettext("%(hours)d hour late", "%(hours)d hours late", hours) % {"hours": hours}
    days = math.floor(hours_late / day_hours + _EPSILON)
    return ngettext("%(days)d working day late", "%(days)d working days late", days) % {"days": days}
