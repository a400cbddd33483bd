"""The bounds of every date and time Kanalvakt takes from outside: forms, the connector API, imports.

Pure: no ORM and no clock; ``now`` or ``today`` is passed in. Each check raises Django's
ValidationError with a message that names the bound, on the field given (``field="received_at"``),
or bare for a form field's own clean, so that forms, serializers, imports and services refuse the
same values with the same words.

Why bounds at all: a time far outside them is a typing mistake or an attack, and it is not harmless
once stored. Deadlines and the working time shown on every list are counted from it
(KAU-RESPONSE-DEADLINE); a year-1 time with a ``+14:00`` offset cannot even be turned into Stockholm
time; and an absence of 8,000 years is a list of three million days for the coverage check. The
bounds are what a person would expect:

- A time something happened (an item received, an answer given, a screenshot taken): from 1 January
  1990 in Stockholm, before which nothing Kanalvakt keeps was written, up to five minutes from now, the
  slack a sender's clock may run fast.
- A day something happened (a start page captured, a follow-up's period): from 1 January 1990 up to
  today.
- A day of a period searched, reported or exported: from 1 January 1990 up to a year from today.
- An absence: its days from two years back (a long leave already begun) up to three years ahead, and at
  most two years long (a Swedish parental leave may run for 18 months).
- The institution's extra days off: from 1 January 1990 (old answers are counted on them too) up to ten
  years ahead, and at most 1,000 of them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

STOCKHOLM = ZoneInfo("Europe/Stockholm")

EARLIEST_DAY = date(1990, 1, 1)
EARLIEST = datetime(1990, 1, 1, tzinfo=STOCKHOLM)
CLOCK_SLACK = timedelta(minutes=5)
PERIOD_DAYS_AHEAD = 366
ABSENCE_DAYS_BEHIND = 2 * 366
ABSENCE_DAYS_AHEAD = 3 * 366
ABSENCE_MAX_DAYS = 731  # both days included: two years, a leap day among them
DAYS_OFF_YEARS_AHEAD = 10
DAYS_OFF_MAX = 1_000

TIME_MESSAGE = gettext_lazy("Give a time from 1 January 1990 up to five minutes from now.")


def _refuse(message: Any, code: str, field: str | None) -> NoReturn:
    error = ValidationError(message, code=code)
    raise ValidationError({field: error}) if field else error


def format_day(day: date) -> str:
    """A bound as people read it: "1 januari 1990"."""
    return date_format(day, "j F Y")


def _day_window(first: date, last: date) -> dict[str, str]:
    return {"first": format_day(first), "last": format_day(last)}


def _add_days(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def within_time_bounds(value: datetime, *, now: datetime) -> bool:
    """Whether ``value`` (an aware instant) lies from 1 January 1990 up to five minutes after ``now``.
    Aware datetimes compare without being converted, so even year 1 at +14:00 compares safely."""
    return EARLIEST <= value <= now + CLOCK_SLACK


def check_time(value: datetime, *, now: datetime, field: str | None = None) -> None:
    """A time something happened: an item received, an answer given, a screenshot taken
    (KAU-RESPONSE-DEADLINE: deadlines are counted from it)."""
    if not within_time_bounds(value, now=now):
        _refuse(TIME_MESSAGE, "time_out_of_bounds", field)


def check_past_day(value: date, *, today: date, field: str | None = None) -> None:
    """A day something happened: from 1 January 1990 up to today."""
    if not EARLIEST_DAY <= value <= today:
        _refuse(
            _("Give a day from %(first)s up to today.") % _day_window(EARLIEST_DAY, today),
            "day_out_of_bounds",
            field,
        )


def period_last_day(today: date) -> date:
    """The last day a period searched, reported or exported may reach."""
    return _add_days(today, PERIOD_DAYS_AHEAD)


def check_period_day(value: date, *, today: date, field: str | None = None) -> None:
    """A day of a period searched, reported or exported: from 1 January 1990 up to a year from today."""
    last = period_last_day(today)
    if not EARLIEST_DAY <= value <= last:
        _refuse(
            _("Give a day from %(first)s to %(last)s.") % _day_window(EARLIEST_DAY, last),
            "day_out_of_bounds",
            field,
        )


def check_absence_day(value: date, *, today: date, field: str | None = None) -> None:
    """A day of an absence (KAU-RESP-DAILY): from two years back up to three years ahead."""
    first, last = _add_days(today, -ABSENCE_DAYS_BEHIND), _add_days(today, ABSENCE_DAYS_AHEAD)
    if not first <= value <= last:
        _refuse(
            _("Give a day from %(first)s to %(last)s.") % _day_window(first, last),
            "day_out_of_bounds",
            field,
        )


def absence_too_long_message() -> str:
    return _("An absence can last at most two years. Record the rest as a new absence when it comes nearer.")


def check_absence_length(starts_on: date, ends_on: date, *, field: str | None = None) -> None:
    """An absence lasts at most two years, both days included (KAU-RESP-DAILY)."""
    if (ends_on - starts_on).days + 1 > ABSENCE_MAX_DAYS:
        _refuse(absence_too_long_message(), "absence_too_long", field)


def day_off_window(today: date) -> tuple[date, date]:
    """The first and the last day an extra day off may be set on (KAU-RESPONSE-DEADLINE): from 1 January
    1990, as old answers are counted on them too, up to ten years ahead."""
    return EARLIEST_DAY, _add_days(today, DAYS_OFF_YEARS_AHEAD * 366)
