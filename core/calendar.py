"""The working-hours calendar behind the response deadline (KAU-RESPONSE-DEADLINE).

Pure functions, no ORM. The policy says incoming questions and comments are handled within 24-48
hours on working days, and that one arriving on a weekend or holiday is handled on the nearest
working day. Kanalvakt reads this as: hours count only while the clock is inside a working day in
Europe/Stockholm; a working day is Monday-Friday that is neither a Swedish public holiday nor a
de facto day off (midsommarafton, julafton, nyårsafton), nor one of the institution's extra days
off. The due time is the ``due_hours`` mark, the outer limit the ``limit_hours`` mark.

Arithmetic is done on the local wall clock and the result is turned back into an aware instant.
Swedish DST changes fall on Sundays, never inside a working day, so a working day always has 24 real
hours and local midnight always exists.

Nothing walks a span day by day. The working days between two dates are the weekdays, counted in
whole weeks (five in each), less the weekday days off inside the span, read year by year from the
holiday tables and the institution's own days off. A span of 40 years (items imported from 1990)
costs what a week costs, plus one small table a year; only the first and the last, partial, day are
looked at on their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# The working hours in a working day: every hour of it counts (the module's docstring), so "24
# working hours" is one working day, the way people read the policy's deadline.
WORKING_DAY_HOURS = 24


def local_today(now: datetime) -> date:
    """The calendar day in Europe/Stockholm at ``now``: deadlines, cover and follow-up are Swedish days."""
    return now.astimezone(STOCKHOLM).date()


# One table a year, kept for the life of the process: a few hundred bytes a year, and a span of many
# years must not read the same tables over and over.
@cache
def _swedish_days_off(year: int) -> frozenset[date]:
    # PUBLIC alone treats julafton, midsommarafton and nyårsafton as working days; DE_FACTO adds them.
    calendar = holidays.country_holidays("SE", years=year, categories=(holidays.PUBLIC, holidays.DE_FACTO))
    return frozenset(calendar.keys())


def _weekdays_from(first: date, stop: date) -> int:
    """Monday-Friday from ``first`` up to, not including, ``stop``: five in every whole week."""
    days = (stop - first).days
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    start = first.weekday()
    return 5 * weeks + sum(1 for offset in range(rest) if (start + offset) % 7 < 5)


def _nth_weekday_after(day: date, n: int) -> date:
    """The ``n``-th Monday-Friday strictly after ``day`` (n >= 1), by whole weeks."""
    weekday = day.weekday()
    if weekday >= 5:  # from a weekend, as from the Friday before it
        day -= timedelta(days=weekday - 4)
        weekday = 4
    weeks, rest = divmod(n, 5)
    return day + timedelta(days=7 * weeks + rest + (2 if weekday + rest > 4 else 0))


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days. ``extra_days_off`` are the institution's own closed days."""

    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    # The extra days off that fall on a weekday, by year: what the arithmetic subtracts.
    _extra_weekdays_by_year: dict[int, tuple[date, ...]] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        by_year: dict[int, list[date]] = {}
        for day in self.extra_days_off:
            if day.weekday() < 5:
                by_year.setdefault(day.year, []).append(day)
        object.__setattr__(
            self, "_extra_weekdays_by_year", {year: tuple(sorted(days)) for year, days in by_year.items()}
        )

    @classmethod
    def with_days_off(cls, days: Iterable[date]) -> WorkingCalendar:
        return cls(extra_days_off=frozenset(days))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _swedish_days_off(day.year) and day not in self.extra_days_off

    def weekday_days_off(self, first: date, stop: date) -> int:
        """The Swedish and the institution's days off that fall on a weekday, from ``first`` up to, not
        including, ``stop``. One holiday table per year spanned; no day is looked at on its own."""
        count = 0
        if stop <= first:
            return 0
        for year in range(first.year, (stop - timedelta(days=1)).year + 1):
            swedish = _swedish_days_off(year)
            count += sum(1 for day in swedish if day.weekday() < 5 and first <= day < stop)
            extra = self._extra_weekdays_by_year.get(year, ())
            count += sum(1 for day in extra if first <= day < stop and day not in swedish)
        return count

    def working_days(self, first: date, stop: date) -> int:
        """The working days from ``first`` up to, not including, ``stop``."""
        return _weekdays_from(first, stop) - self.weekday_days_off(first, stop)

    def nth_working_day_after(self, day: date, n: int) -> date:
        """The ``n``-th working day strictly after ``day`` (n >= 1).

        Jumps ``n`` weekdays, then as many more weekdays as there were days off in the jump, until a
        jump holds no day off: the number of jumps grows with the days off met, never with ``n``.
        """
        if n < 1:
            raise ValueError("n must be at least 1")
        target = _nth_weekday_after(day, n)
        missing = self.weekday_days_off(day + timedelta(days=1), target + timedelta(days=1))
        while missing:
            further = _nth_weekday_after(target, missing)
            missing = self.weekday_days_off(target + timedelta(days=1), further + timedelta(days=1))
            target = further
        return target

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return self.nth_working_day_after(day, 1)


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
    available = datetime.combine(day + timedelta(days=1), time.min) - local
    if remaining <= available:
        return (local + remaining).replace(tzinfo=STOCKHOLM)
    remaining -= available
    # Whole working days of 24 hours follow: the mark falls on the n-th working day after this one, n
    # being what remains in days, rounded up; a mark at the very end of a day is 00:00 of the next one.
    whole_days, rest = divmod(remaining, timedelta(days=1))
    n = whole_days + (1 if rest else 0)
    mark_day = calendar.nth_working_day_after(day, n)
    return (datetime.combine(mark_day, time.min) + (remaining - (n - 1) * timedelta(days=1))).replace(
        tzinfo=STOCKHOLM
    )


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
    first_day, last_day = first.date(), last.date()
    if first_day == last_day:
        # The wall clock of a working day runs straight on (DST changes fall on Sundays).
        total = last - first if calendar.is_working_day(first_day) else timedelta()
        return total.total_seconds() / 3600
    total = timedelta(days=calendar.working_days(first_day + timedelta(days=1), last_day))
    if calendar.is_working_day(first_day):
        total += datetime.combine(first_day + timedelta(days=1), time.min) - first
    if calendar.is_working_day(last_day):
        total += last - datetime.combine(last_day, time.min)
    return total.total_seconds() / 3600
