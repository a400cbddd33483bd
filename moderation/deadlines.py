"""The working-hours calendar behind the response deadline (KAU-RESPONSE-DEADLINE).

Pure functions, no ORM. The policy says incoming questions and comments are handled within 24-48
hours on working days, and that one arriving on a weekend or holiday is handled on the nearest
working day. Kanalvakt reads this as: hours count only while the clock is inside a working day in
Europe/Stockholm; a working day is Monday-Friday that is neither a Swedish public holiday nor a
de facto day off (midsommarafton, julafton, nyårsafton), nor one of the institution's extra days
off. The due time is the ``due_hours`` mark, the outer limit the ``limit_hours`` mark.

Arithmetic is done on the local wall clock, day by day, and the result is turned back into an
aware instant. Swedish DST changes fall on Sundays, never inside a working day, so a working day
always has 24 real hours and local midnight always exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@lru_cache(maxsize=64)
def _swedish_days_off(year: int) -> frozenset[date]:
    # PUBLIC alone treats julafton, midsommarafton and nyårsafton as working days; DE_FACTO adds them.
    calendar = holidays.country_holidays("SE", years=year, categories=(holidays.PUBLIC, holidays.DE_FACTO))
    return frozenset(calendar.keys())


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days. ``extra_days_off`` are the institution's own closed days."""

    extra_days_off: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def with_days_off(cls, days: Iterable[date]) -> WorkingCalendar:
        return cls(extra_days_off=frozenset(days))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _swedish_days_off(day.year) and day not in self.extra_days_off

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate


SWEDISH_CALENDAR = WorkingCalendar()


def add_working_hours(start: datetime, hours: int, calendar: WorkingCalendar = SWEDISH_CALENDAR) -> datetime:
    """The instant ``hours`` working hours after ``start`` (an aware datetime), in Europe/Stockholm.

    A start outside a working day begins counting at 00:00 of the next working day. A mark that
    falls exactly at the end of a working day is given as 00:00 of the following day.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if hours < 0:
        raise ValueError("hours must not be negative")
    local = start.astimezone(STOCKHOLM).replace(tzinfo=None)
    remaining = timedelta(hours=hours)
    day = local.date()
    if not calendar.is_working_day(day):
        day = calendar.next_working_day(day)
        local = datetime.combine(day, time.min)
    while True:
        end_of_day = datetime.combine(day + timedelta(days=1), time.min)
        available = end_of_day - local
        if remaining <= available:
            return (local + remaining).replace(tzinfo=STOCKHOLM)
        remaining -= available
        day = calendar.next_working_day(day)
        local = datetime.combine(day, time.min)


def response_deadlines(
    received_at: datetime,
    *,
    due_hours: int = 24,
    limit_hours: int = 48,
    calendar: WorkingCalendar = SWEDISH_CALENDAR,
) -> tuple[datetime, datetime]:
    """The due time and the outer limit of an item received at ``received_at`` (KAU-RESPONSE-DEADLINE)."""
    if due_hours > limit_hours:
        raise ValueError("the due time cannot come after the limit")
    return (
        add_working_hours(received_at, due_hours, calendar),
        add_working_hours(received_at, limit_hours, calendar),
    )


def working_hours_between(
    start: datetime, end: datetime, calendar: WorkingCalendar = SWEDISH_CALENDAR
) -> float:
    """The working hours that pass from ``start`` to ``end`` (aware datetimes), Europe/Stockholm.

    Only time inside working days counts, as for the deadline itself, so that "answered after 5
    working hours" and "due after 24 working hours" are read on the same clock. Negative when
    ``end`` comes before ``start`` (the time left until a deadline already passed).
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end < start:
        return -working_hours_between(end, start, calendar)
    first = start.astimezone(STOCKHOLM).replace(tzinfo=None)
    last = end.astimezone(STOCKHOLM).replace(tzinfo=None)
    total = timedelta()
    day = first.date()
    while day <= last.date():
        if calendar.is_working_day(day):
            day_start = datetime.combine(day, time.min)
            day_end = datetime.combine(day + timedelta(days=1), time.min)
            total += max(timedelta(), min(day_end, last) - max(day_start, first))
        day += timedelta(days=1)
    return total.total_seconds() / 3600
