"""Time left to answer an item, in working hours (KAU-RESPONSE-DEADLINE), for the queue, the inbox,
the item page and the start page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.calendar import WorkingCalendar, working_hours_between
from moderation.models import Item

register = template.Library()


@dataclass(frozen=True)
class TimeLeft:
    """Working hours from now to the item's due time; negative once it is overdue."""

    hours: float
    overdue: bool
    past_limit: bool

    @property
    def label(self) -> str:
        span = duration(abs(self.hours))
        if self.overdue:
            return _("overdue by %(time)s of working time") % {"time": span}
        return _("%(time)s of working time left") % {"time": span}


def duration(hours: float) -> str:
    """Hours as "5 h 30 min" or "45 min", rounded down to the minute; from three working days on, as
    working days and hours ("3 working days 4 h"), since every hour of a working day counts."""
    if hours >= 72:
        days, rest_hours = divmod(int(hours), 24)
        text = ngettext("%(days)d working day", "%(days)d working days", days) % {"days": days}
        return f"{text} {_('%(hours)d h') % {'hours': rest_hours}}" if rest_hours else text
    minutes = int(hours * 60)
    whole, rest = divmod(minutes, 60)
    if whole and rest:
        return _("%(hours)d h %(minutes)d min") % {"hours": whole, "minutes": rest}
    if whole:
        return _("%(hours)d h") % {"hours": whole}
    return _("%(minutes)d min") % {"minutes": rest}


def time_left_of(item: Item, now: datetime, calendar: WorkingCalendar) -> TimeLeft | None:
    """The time left of an open item, on the institution's working calendar; None once dealt with."""
    if not item.is_open:
        return None
    return TimeLeft(
        hours=working_hours_between(now, item.due_at, calendar),
        overdue=item.is_overdue(now),
        past_limit=item.is_past_limit(now),
    )


def _calendar(context: template.Context) -> WorkingCalendar:
    """The institution's calendar: from the view when it passed one, else read once per request."""
    calendar = context.get("working_calendar")
    if isinstance(calendar, WorkingCalendar):
        return calendar
    request = context.get("request")
    cached = getattr(request, "_kanalvakt_calendar", None)
    if isinstance(cached, WorkingCalendar):
        return cached
    from core.models import InstitutionSettings

    calendar = InstitutionSettings.objects.get_solo().working_calendar()
    if request is not None:
        request._kanalvakt_calendar = calendar
    return calendar


@register.simple_tag(takes_context=True)
def time_left(context: template.Context, item: Item, now: datetime) -> Any:
    """``{% time_left item now as left %}``: a TimeLeft, or None for an item already dealt with."""
    return time_left_of(item, now, _calendar(context))
