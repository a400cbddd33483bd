"""Time left to answer an item, in working days and hours (KAU-RESPONSE-DEADLINE), for the queue, the
inbox, the item page and the start page; the short date beside it; who is handling an item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.calendar import WorkingCalendar, working_hours_between
from moderation.models import Item
from moderation.time_wording import answer_within, late_by

register = template.Library()


@dataclass(frozen=True)
class TimeLeft:
    """Working hours from now to the item's due time; negative once it is overdue."""

    hours: float
    overdue: bool
    past_limit: bool

    @property
    def label(self) -> str:
        """Said once: "2 working days late", or "answer within 1 working day"."""
        if self.overdue:
            return late_by(max(0.0, -self.hours))
        return answer_within(self.hours)


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


@register.filter
def short_when(value: datetime | None) -> str:
    """A moment as a deadline is read beside its time left: "tor 5 dec 14:00", Europe/Stockholm."""
    if value is None:
        return ""
    return date_format(timezone.localtime(value), "D j M H:i").lower()


@register.simple_tag(takes_context=True)
def holder_of(context: template.Context, item: Item, now: datetime) -> Any:
    """``{% holder_of item now as holder %}``: who is handling the item now, or None (Item.holder,
    with the institution's ``take_expires_hours``, read once per request)."""
    from core.models import InstitutionSettings

    return item.holder(now, InstitutionSettings.objects.get_solo().take_expires_hours)


@register.simple_tag
def taken_since(item: Item, now: datetime) -> str:
    """When the item was taken: "10:42" the same day, else "tor 5 dec 10:42" (Europe/Stockholm)."""
    if item.taken_at is None:
        return ""
    taken = timezone.localtime(item.taken_at)
    if taken.date() == timezone.localtime(now).date():
        return date_format(taken, "H:i")
    return short_when(item.taken_at)
