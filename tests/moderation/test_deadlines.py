"""The response deadline of incoming comments, rule KAU-RESPONSE-DEADLINE (core.calendar).

KAU-RESPONSE-DEADLINE: hours count only while the clock is inside a working day in Europe/Stockholm.
A working day is Monday-Friday that is neither a Swedish public holiday nor a de facto day off
(midsommarafton, julafton, nyårsafton). An item received outside a working day starts counting at
00:00 of the next working day. The due time is the 24-hour mark, the outer limit the 48-hour mark.

Plain pytest, no database. Every expectation is written out by hand (the days off of 2026-2028 as a
literal table, the deadlines as literal wall-clock times); where a check needs an oracle it uses that
literal table, never the ``holidays`` package the module itself relies on. Elapsed time is always
measured in UTC: two aware datetimes sharing one tzinfo compare and subtract by wall clock in Python,
which would hide a DST error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core import calendar as deadlines
from core.calendar import (
    SWEDISH_CALENDAR,
    WorkingCalendar,
    add_working_hours,
    response_deadlines,
    working_hours_between,
)

SE = ZoneInfo("Europe/Stockholm")
CET = timedelta(hours=1)
CEST = timedelta(hours=2)
DAY = timedelta(days=1)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def se(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    """A wall-clock time in Europe/Stockholm."""
    return datetime(year, month, day, hour, minute, tzinfo=SE, fold=fold)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SE)


# --- The days off, written out by hand ------------------------------------------------------------------
#
# Easter Sunday: 2026-04-05, 2027-03-28, 2028-04-16. Långfredag = Easter - 2, annandag påsk = Easter + 1,
# Kristi himmelfärdsdag = Easter + 39, pingstdagen = Easter + 49. Midsommarafton is the Friday in
# 19-25 June, midsommardagen the Saturday after it; alla helgons dag is the Saturday in 31 Oct - 6 Nov.
# Columns: the day, its weekday (checked), its name, and the first working day strictly after it.

DAYS_OFF: tuple[tuple[date, str, str, date], ...] = (
    # 2026
    (date(2026, 1, 1), "Thu", "nyårsdagen", date(2026, 1, 2)),
    (date(2026, 1, 6), "Tue", "trettondedag jul", date(2026, 1, 7)),
    (date(2026, 4, 3), "Fri", "långfredagen", date(2026, 4, 7)),
    (date(2026, 4, 5), "Sun", "påskdagen", date(2026, 4, 7)),
    (date(2026, 4, 6), "Mon", "annandag påsk", date(2026, 4, 7)),
    (date(2026, 5, 1), "Fri", "första maj", date(2026, 5, 4)),
    (date(2026, 5, 14), "Thu", "Kristi himmelfärdsdag", date(2026, 5, 15)),
    (date(2026, 5, 24), "Sun", "pingstdagen", date(2026, 5, 25)),
    (date(2026, 6, 6), "Sat", "nationaldagen", date(2026, 6, 8)),
    (date(2026, 6, 19), "Fri", "midsommarafton", date(2026, 6, 22)),
    (date(2026, 6, 20), "Sat", "midsommardagen", date(2026, 6, 22)),
    (date(2026, 10, 31), "Sat", "alla helgons dag", date(2026, 11, 2)),
    (date(2026, 12, 24), "Thu", "julafton", date(2026, 12, 28)),
    (date(2026, 12, 25), "Fri", "juldagen", date(2026, 12, 28)),
    (date(2026, 12, 26), "Sat", "annandag jul", date(2026, 12, 28)),
    (date(2026, 12, 31), "Thu", "nyårsafton", date(2027, 1, 4)),
    # 2027
    (date(2027, 1, 1), "Fri", "nyårsdagen", date(2027, 1, 4)),
    (date(2027, 1, 6), "Wed", "trettondedag jul", date(2027, 1, 7)),
    (date(2027, 3, 26), "Fri", "långfredagen", date(2027, 3, 30)),
    (date(2027, 3, 28), "Sun", "påskdagen", date(2027, 3, 30)),
    (date(2027, 3, 29), "Mon", "annandag påsk", date(2027, 3, 30)),
    (date(2027, 5, 1), "Sat", "första maj", date(2027, 5, 3)),
    (date(2027, 5, 6), "Thu", "Kristi himmelfärdsdag", date(2027, 5, 7)),
    (date(2027, 5, 16), "Sun", "pingstdagen", date(2027, 5, 17)),
    (date(2027, 6, 6), "Sun", "nationaldagen", date(2027, 6, 7)),
    (date(2027, 6, 25), "Fri", "midsommarafton", date(2027, 6, 28)),
    (date(2027, 6, 26), "Sat", "midsommardagen", date(2027, 6, 28)),
    (date(2027, 11, 6), "Sat", "alla helgons dag", date(2027, 11, 8)),
    (date(2027, 12, 24), "Fri", "julafton", date(2027, 12, 27)),
    (date(2027, 12, 25), "Sat", "juldagen", date(2027, 12, 27)),
    (date(2027, 12, 26), "Sun", "annandag jul", date(2027, 12, 27)),
    (date(2027, 12, 31), "Fri", "nyårsafton", date(2028, 1, 3)),
    # 2028
    (date(2028, 1, 1), "Sat", "nyårsdagen", date(2028, 1, 3)),
    (date(2028, 1, 6), "Thu", "trettondedag jul", date(2028, 1, 7)),
    (date(2028, 4, 14), "Fri", "långfredagen", date(2028, 4, 18)),
    (date(2028, 4, 16), "Sun", "påskdagen", date(2028, 4, 18)),
    (date(2028, 4, 17), "Mon", "annandag påsk", date(2028, 4, 18)),
    (date(2028, 5, 1), "Mon", "första maj", date(2028, 5, 2)),
    (date(2028, 5, 25), "Thu", "Kristi himmelfärdsdag", date(2028, 5, 26)),
    (date(2028, 6, 4), "Sun", "pingstdagen", date(2028, 6, 5)),
    (date(2028, 6, 6), "Tue", "nationaldagen", date(2028, 6, 7)),
    (date(2028, 6, 23), "Fri", "midsommarafton", date(2028, 6, 26)),
    (date(2028, 6, 24), "Sat", "midsommardagen", date(2028, 6, 26)),
    (date(2028, 11, 4), "Sat", "alla helgons dag", date(2028, 11, 6)),
    (date(2028, 12, 24), "Sun", "julafton", date(2028, 12, 27)),
    (date(2028, 12, 25), "Mon", "juldagen", date(2028, 12, 27)),
    (date(2028, 12, 26), "Tue", "annandag jul", date(2028, 12, 27)),
    (date(2028, 12, 31), "Sun", "nyårsafton", date(2029, 1, 2)),  # 2029-01-01 (Mon) is nyårsdagen
)
DAYS_OFF_DATES = frozenset(row[0] for row in DAYS_OFF)
WEEKDAY_DAYS_OFF = tuple(row for row in DAYS_OFF if row[0].weekday() < 5)

# Days that look like holidays but are ordinary working days (all Monday-Friday).
WORKING_LOOKALIKES: tuple[tuple[date, str], ...] = (
    (date(2026, 4, 2), "skärtorsdag 2026"),
    (date(2027, 3, 25), "skärtorsdag 2027"),
    (date(2028, 4, 13), "skärtorsdag 2028"),
    (date(2026, 4, 30), "valborgsmässoafton 2026"),
    (date(2027, 4, 30), "valborgsmässoafton 2027"),
    (date(2026, 5, 15), "klämdag after Kristi himmelfärd 2026"),
    (date(2027, 5, 7), "klämdag after Kristi himmelfärd 2027"),
    (date(2028, 5, 26), "klämdag after Kristi himmelfärd 2028"),
    (date(2026, 1, 2), "klämdag after nyårsdagen 2026"),
    (date(2026, 1, 5), "trettondagsafton / klämdag 2026"),
    (date(2027, 1, 5), "trettondagsafton 2027"),
    (date(2028, 1, 5), "trettondagsafton 2028"),
    (date(2028, 1, 7), "klämdag after trettondedag jul 2028"),
    (date(2028, 6, 5), "klämdag before nationaldagen 2028 (and annandag pingst)"),
    (date(2026, 5, 25), "annandag pingst 2026 (no longer a holiday)"),
    (date(2027, 5, 17), "annandag pingst 2027 (no longer a holiday)"),
    (date(2026, 6, 18), "the Thursday before midsommarafton 2026"),
    (date(2026, 10, 30), "alla helgons afton 2026"),
    (date(2027, 11, 5), "alla helgons afton 2027"),
    (date(2028, 11, 3), "alla helgons afton 2028"),
    (date(2026, 12, 23), "lillejulafton 2026"),
    (date(2026, 12, 28), "mellandagar 2026"),
    (date(2026, 12, 29), "mellandagar 2026"),
    (date(2026, 12, 30), "mellandagar 2026"),
    (date(2027, 12, 27), "mellandagar 2027"),
    (date(2027, 12, 30), "mellandagar 2027"),
    (date(2028, 12, 27), "mellandagar 2028"),
    (date(2028, 12, 29), "mellandagar 2028"),
)


def oracle_is_working_day(day: date) -> bool:
    """The rule, from the literal table (valid for 2026-2028)."""
    return day.weekday() < 5 and day not in DAYS_OFF_DATES


def oracle_next_working_day(day: date) -> date:
    candidate = day + DAY
    while not oracle_is_working_day(candidate):
        candidate += DAY
    return candidate


def local_days(start: datetime, end: datetime) -> Iterator[date]:
    day = start.astimezone(SE).date()
    last = end.astimezone(SE).date()
    while day <= last:
        yield day
        day += DAY


def non_working_time(start: datetime, end: datetime) -> timedelta:
    """Real (UTC) time between ``start`` and ``end`` that lies inside non-working days of the table."""
    lo, hi = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    for day in local_days(start, end):
        if oracle_is_working_day(day):
            continue
        overlap_lo = max(lo, midnight(day).astimezone(UTC))
        overlap_hi = min(hi, midnight(day + DAY).astimezone(UTC))
        if overlap_hi > overlap_lo:
            total += overlap_hi - overlap_lo
    return total


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real elapsed time, measured in UTC."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def working_time(start: datetime, end: datetime) -> timedelta:
    return elapsed(start, end) - non_working_time(start, end)


def assert_stockholm(actual: datetime, expected: datetime) -> None:
    """Same instant, same Stockholm wall clock, same UTC offset, and a Europe/Stockholm tzinfo."""
    assert isinstance(actual.tzinfo, ZoneInfo)
    assert actual.tzinfo.key == "Europe/Stockholm"
    assert actual.astimezone(UTC) == expected.astimezone(UTC), (actual, expected)
    assert actual.replace(tzinfo=None) == expected.replace(tzinfo=None), (actual, expected)
    assert actual.utcoffset() == expected.utcoffset(), (actual, expected)


# --- The table itself -------------------------------------------------------------------------------------


def test_days_off_table_weekdays_are_right() -> None:
    """KAU-RESPONSE-DEADLINE: guard the hand-written table against typos in its own weekday column."""
    for day, weekday, name, _next in DAYS_OFF:
        assert WEEKDAYS[day.weekday()] == weekday, (day, name)
    assert len(DAYS_OFF) == len(DAYS_OFF_DATES) == 3 * 16


# --- Working days -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"), [(row[0], row[2]) for row in DAYS_OFF], ids=[f"{r[0]}-{r[2]}" for r in DAYS_OFF]
)
def test_kau_response_deadline_swedish_day_off_is_not_a_working_day(day: date, name: str) -> None:
    """KAU-RESPONSE-DEADLINE: every Swedish day off of 2026-2028 is not a working day."""
    assert SWEDISH_CALENDAR.is_working_day(day) is False
    assert WorkingCalendar().is_working_day(day) is False


@pytest.mark.parametrize(("day", "name"), WORKING_LOOKALIKES, ids=[name for _day, name in WORKING_LOOKALIKES])
def test_kau_response_deadline_holiday_lookalikes_are_working_days(day: date, name: str) -> None:
    """KAU-RESPONSE-DEADLINE: skärtorsdag, valborgsmässoafton, klämdagar etc. are ordinary working days."""
    assert day.weekday() < 5, name
    assert SWEDISH_CALENDAR.is_working_day(day) is True


@pytest.mark.parametrize(
    ("year", "expected_working_days", "expected_weekday_days_off"),
    [(2026, 251, 10), (2027, 253, 8), (2028, 251, 9)],
)
def test_kau_response_deadline_whole_year_matches_the_table(
    year: int, expected_working_days: int, expected_weekday_days_off: int
) -> None:
    """KAU-RESPONSE-DEADLINE: day by day, the calendar agrees with the literal table, nothing more or less."""
    day = date(year, 1, 1)
    working = 0
    weekday_days_off = 0
    while day.year == year:
        expected = day.weekday() < 5 and day not in DAYS_OFF_DATES
        assert SWEDISH_CALENDAR.is_working_day(day) is expected, day
        working += expected
        weekday_days_off += day.weekday() < 5 and day in DAYS_OFF_DATES
        day += DAY
    assert working == expected_working_days
    assert weekday_days_off == expected_weekday_days_off


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 24), date(2026, 11, 25)),  # Tue -> Wed
        (date(2026, 11, 27), date(2026, 11, 30)),  # Fri -> Mon
        (date(2026, 11, 28), date(2026, 11, 30)),  # Sat -> Mon
        (date(2026, 11, 29), date(2026, 11, 30)),  # Sun -> Mon
        (date(2026, 11, 30), date(2026, 12, 1)),  # strictly after, even from a working day
    ],
)
def test_kau_response_deadline_next_working_day_ordinary(day: date, expected: date) -> None:
    """KAU-RESPONSE-DEADLINE: next_working_day is the first working day strictly after the day."""
    assert SWEDISH_CALENDAR.next_working_day(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"), [(row[0], row[3]) for row in DAYS_OFF], ids=[f"{r[0]}-{r[2]}" for r in DAYS_OFF]
)
def test_kau_response_deadline_next_working_day_after_each_day_off(day: date, expected: date) -> None:
    """KAU-RESPONSE-DEADLINE: the working day after each day off, per the table's last column."""
    assert SWEDISH_CALENDAR.next_working_day(day) == expected


# --- The required examples ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due", "limit"),
    [
        (se(2026, 11, 24, 10), se(2026, 11, 25, 10), se(2026, 11, 26, 10)),  # Tue -> Wed, Thu
        (se(2026, 11, 27, 15), se(2026, 11, 30, 15), se(2026, 12, 1, 15)),  # Fri -> Mon, Tue
        (se(2026, 11, 28, 11), se(2026, 12, 1, 0), se(2026, 12, 2, 0)),  # Sat -> Tue 00:00, Wed 00:00
    ],
    ids=["tuesday", "friday", "saturday"],
)
def test_kau_response_deadline_examples(received: datetime, due: datetime, limit: datetime) -> None:
    """KAU-RESPONSE-DEADLINE: the worked examples of the rule."""
    actual_due, actual_limit = response_deadlines(received)
    assert_stockholm(actual_due, due)
    assert_stockholm(actual_limit, limit)
    assert working_time(received, actual_due) == timedelta(hours=24)
    assert working_time(received, actual_limit) == timedelta(hours=48)


# --- Items received on a day off --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("holiday", "next_working"),
    [(row[0], row[3]) for row in WEEKDAY_DAYS_OFF],
    ids=[f"{r[0]}-{r[2]}" for r in WEEKDAY_DAYS_OFF],
)
@pytest.mark.parametrize(("hour", "minute"), [(0, 0), (12, 0), (23, 59)], ids=["0000", "1200", "2359"])
def test_kau_response_deadline_received_on_weekday_holiday_counts_from_next_working_day(
    holiday: date, next_working: date, hour: int, minute: int
) -> None:
    """KAU-RESPONSE-DEADLINE: received on a weekday holiday, counting starts 00:00 of the next working day."""
    received = se(holiday.year, holiday.month, holiday.day, hour, minute)
    due, limit = response_deadlines(received)
    # 24 h from 00:00 of a working day ends at the end of that day, given as 00:00 of the day after.
    assert_stockholm(due, midnight(next_working + DAY))
    assert_stockholm(limit, midnight(oracle_next_working_day(next_working) + DAY))
    assert_stockholm(add_working_hours(received, 0), midnight(next_working))
    assert add_working_hours(received, 1) == midnight(next_working) + timedelta(hours=1)


@pytest.mark.parametrize(
    ("holiday", "next_working"),
    [(row[0], row[3]) for row in DAYS_OFF if row[0].weekday() >= 5],
    ids=[f"{r[0]}-{r[2]}" for r in DAYS_OFF if r[0].weekday() >= 5],
)
def test_kau_response_deadline_received_on_weekend_holiday_counts_from_next_working_day(
    holiday: date, next_working: date
) -> None:
    """KAU-RESPONSE-DEADLINE: the same for days off that fall on a weekend."""
    received = se(holiday.year, holiday.month, holiday.day, 12)
    due, _limit = response_deadlines(received)
    assert_stockholm(due, midnight(next_working + DAY))


# --- DST -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due", "due_offset", "limit", "limit_offset", "real_to_due", "real_to_limit"),
    [
        # Last Sunday of March 2026 is the 29th: 9 h Fri + Sat 24 + Sun 23 + 15 h Mon = 71 h real.
        (se(2026, 3, 27, 15), se(2026, 3, 30, 15), CEST, se(2026, 3, 31, 15), CEST, 71, 95),
        # Last Sunday of October 2026 is the 25th: Sunday has 25 h, 9 + 24 + 25 + 15 = 73 h real.
        (se(2026, 10, 23, 15), se(2026, 10, 26, 15), CET, se(2026, 10, 27, 15), CET, 73, 97),
        # Received at 00:00 of that Friday: due at the end of Friday (Sat 00:00, still CEST), limit Tue.
        (se(2026, 10, 23, 0), se(2026, 10, 24, 0), CEST, se(2026, 10, 27, 0), CET, 24, 97),
        (se(2026, 3, 27, 0), se(2026, 3, 28, 0), CET, se(2026, 3, 31, 0), CEST, 24, 95),
        # Last Sunday of March 2027 is the 28th, also påskdagen; the Friday before is långfredagen.
        # Received on skärtorsdag: 9 h Thu, then Fri-Mon off (Sun has 23 h), 15 h Tue: 119 h real.
        (se(2027, 3, 25, 15), se(2027, 3, 30, 15), CEST, se(2027, 3, 31, 15), CEST, 119, 143),
        # Received on långfredagen itself: counting starts Tue 2027-03-30 00:00 CEST.
        (se(2027, 3, 26, 15), se(2027, 3, 31, 0), CEST, se(2027, 4, 1, 0), CEST, 104, 128),
        # Last Sunday of October 2027 is the 31st.
        (se(2027, 10, 29, 15), se(2027, 11, 1, 15), CET, se(2027, 11, 2, 15), CET, 73, 97),
    ],
    ids=[
        "2026-03-fri-1500",
        "2026-10-fri-1500",
        "2026-10-fri-0000",
        "2026-03-fri-0000",
        "2027-03-skartorsdag-1500",
        "2027-03-langfredag-1500",
        "2027-10-fri-1500",
    ],
)
def test_kau_response_deadline_across_dst_change(
    received: datetime,
    due: datetime,
    due_offset: timedelta,
    limit: datetime,
    limit_offset: timedelta,
    real_to_due: int,
    real_to_limit: int,
) -> None:
    """KAU-RESPONSE-DEADLINE: a DST weekend in between shifts real time, never the working hours."""
    actual_due, actual_limit = response_deadlines(received)
    assert_stockholm(actual_due, due)
    assert_stockholm(actual_limit, limit)
    assert actual_due.utcoffset() == due_offset
    assert actual_limit.utcoffset() == limit_offset
    assert elapsed(received, actual_due) == timedelta(hours=real_to_due)
    assert elapsed(received, actual_limit) == timedelta(hours=real_to_limit)
    assert working_time(received, actual_due) == timedelta(hours=24)
    assert working_time(received, actual_limit) == timedelta(hours=48)


def test_kau_response_deadline_dst_given_in_utc() -> None:
    """KAU-RESPONSE-DEADLINE: Fri 2026-10-23 13:00 UTC is 15:00 CEST; due Mon 15:00 CET = 14:00 UTC."""
    due, limit = response_deadlines(datetime(2026, 10, 23, 13, 0, tzinfo=UTC))
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 14, 0, tzinfo=UTC)
    assert limit.astimezone(UTC) == datetime(2026, 10, 27, 14, 0, tzinfo=UTC)
    assert_stockholm(due, se(2026, 10, 26, 15))


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # The repeated hour of 2026-10-25, both times round: a Sunday, so counting starts Mon 00:00 CET.
        (se(2026, 10, 25, 2, 30, fold=0), se(2026, 10, 27, 0)),
        (se(2026, 10, 25, 2, 30, fold=1), se(2026, 10, 27, 0)),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), se(2026, 10, 27, 0)),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), se(2026, 10, 27, 0)),
        # The hour that does not exist on 2026-03-29 (as given in UTC, just before and after the jump).
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), se(2026, 3, 31, 0)),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), se(2026, 3, 31, 0)),
    ],
)
def test_kau_response_deadline_received_during_the_dst_change_itself(
    received: datetime, due: datetime
) -> None:
    """KAU-RESPONSE-DEADLINE: received on the DST Sunday counts from Monday 00:00."""
    actual_due, _limit = response_deadlines(received)
    assert_stockholm(actual_due, due)
    assert working_time(received, actual_due) == timedelta(hours=24)


# --- Edges of the day -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due", "limit"),
    [
        # 00:00 of a working day: due at the end of that day + next, i.e. exactly at midnight.
        (se(2026, 11, 24, 0), se(2026, 11, 25, 0), se(2026, 11, 26, 0)),
        # 23:59 of a working day.
        (se(2026, 11, 24, 23, 59), se(2026, 11, 25, 23, 59), se(2026, 11, 26, 23, 59)),
        # 23:59 of a Friday: one minute on Friday, the rest on Monday.
        (se(2026, 11, 27, 23, 59), se(2026, 11, 30, 23, 59), se(2026, 12, 1, 23, 59)),
        # 00:00 of a Friday: the due mark is the end of Friday, given as Saturday 00:00.
        (se(2026, 11, 27, 0), se(2026, 11, 28, 0), se(2026, 12, 1, 0)),
        # Exactly 00:00 of a Saturday: not part of Friday, counting starts Monday 00:00.
        (se(2026, 11, 28, 0), se(2026, 12, 1, 0), se(2026, 12, 2, 0)),
        # 00:00 of a Monday.
        (se(2026, 11, 30, 0), se(2026, 12, 1, 0), se(2026, 12, 2, 0)),
        # 23:59 of a Sunday.
        (se(2026, 11, 29, 23, 59), se(2026, 12, 1, 0), se(2026, 12, 2, 0)),
        # 00:00 of Wed 23 Dec 2026 before a long break: the limit lands exactly at midnight after Monday.
        (se(2026, 12, 23, 0), se(2026, 12, 24, 0), se(2026, 12, 29, 0)),
    ],
    ids=[
        "working-0000",
        "working-2359",
        "friday-2359",
        "friday-0000",
        "saturday-0000",
        "monday-0000",
        "sunday-2359",
        "lillejulafton-0000",
    ],
)
def test_kau_response_deadline_edges_of_the_day(received: datetime, due: datetime, limit: datetime) -> None:
    """KAU-RESPONSE-DEADLINE: items received at the very start and end of a day."""
    actual_due, actual_limit = response_deadlines(received)
    assert_stockholm(actual_due, due)
    assert_stockholm(actual_limit, limit)


def test_kau_response_deadline_keeps_seconds_and_microseconds() -> None:
    """KAU-RESPONSE-DEADLINE: the last microsecond of a Friday is still Friday."""
    received = datetime(2026, 11, 27, 23, 59, 59, 999_999, tzinfo=SE)
    due, limit = response_deadlines(received)
    assert_stockholm(due, datetime(2026, 11, 30, 23, 59, 59, 999_999, tzinfo=SE))
    assert_stockholm(limit, datetime(2026, 12, 1, 23, 59, 59, 999_999, tzinfo=SE))
    assert_stockholm(add_working_hours(received, 0), received)


def test_kau_response_deadline_mark_at_end_of_working_day_is_next_midnight() -> None:
    """KAU-RESPONSE-DEADLINE: a mark at the very end of a working day is 00:00 of the next calendar day."""
    assert_stockholm(add_working_hours(se(2026, 11, 27, 14), 10), se(2026, 11, 28, 0))  # Saturday 00:00
    assert_stockholm(add_working_hours(se(2026, 11, 27, 14), 11), se(2026, 11, 30, 1))  # then Monday
    assert_stockholm(add_working_hours(se(2026, 12, 23, 8), 16), se(2026, 12, 24, 0))  # julafton 00:00


# --- Christmas, New Year, midsommar, Easter ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due", "limit"),
    [
        # Christmas and New Year: the chain of days off from julafton to trettondedag jul.
        # 2026: 8 h Wed 23rd, 24-27 off, Mon 28th 16:00.
        (se(2026, 12, 23, 16), se(2026, 12, 28, 16), se(2026, 12, 29, 16)),
        # Received on julafton 2026 (Thu): Mon 28th 00:00 onwards.
        (se(2026, 12, 24, 9), se(2026, 12, 29, 0), se(2026, 12, 30, 0)),
        # 2026-27: 8 h Wed 30th, nyårsafton Thu, nyårsdagen Fri, weekend, Mon 4 Jan 16:00.
        (se(2026, 12, 30, 16), se(2027, 1, 4, 16), se(2027, 1, 5, 16)),
        # 14 h Tue 5 Jan 2027, trettondedag jul Wed, due Thu 10:00.
        (se(2027, 1, 5, 10), se(2027, 1, 7, 10), se(2027, 1, 8, 10)),
        # The limit jumps over trettondedag jul: 14 h Mon 4 Jan, 24 h Tue 5 Jan, 10 h Thu 7 Jan.
        (se(2027, 1, 4, 10), se(2027, 1, 5, 10), se(2027, 1, 7, 10)),
        # 2027: julafton is a Friday.
        (se(2027, 12, 23, 10), se(2027, 12, 27, 10), se(2027, 12, 28, 10)),
        (se(2027, 12, 30, 10), se(2028, 1, 3, 10), se(2028, 1, 4, 10)),
        # 2028: juldagen and annandag jul are Mon and Tue.
        (se(2028, 12, 22, 10), se(2028, 12, 27, 10), se(2028, 12, 28, 10)),
        # 2028-29: nyårsafton is a Sunday, nyårsdagen 2029 a Monday.
        (se(2028, 12, 29, 10), se(2029, 1, 2, 10), se(2029, 1, 3, 10)),
        # Midsommar week: midsommarafton is a day off, the Thursday before it is not.
        # Midsommar 2026: Wed 17th -> Thu 18th; the limit skips Fri-Sun.
        (se(2026, 6, 17, 12), se(2026, 6, 18, 12), se(2026, 6, 22, 12)),
        (se(2026, 6, 18, 12), se(2026, 6, 22, 12), se(2026, 6, 23, 12)),
        (se(2026, 6, 19, 12), se(2026, 6, 23, 0), se(2026, 6, 24, 0)),
        (se(2027, 6, 24, 12), se(2027, 6, 28, 12), se(2027, 6, 29, 12)),
        (se(2028, 6, 22, 12), se(2028, 6, 26, 12), se(2028, 6, 27, 12)),
        # Nationaldagen 2028 is a Tuesday: Mon 5th 12:00 -> Wed 7th 12:00.
        (se(2028, 6, 5, 12), se(2028, 6, 7, 12), se(2028, 6, 8, 12)),
        # Easter week, valborg and Kristi himmelfärd.
        # Easter 2026: skärtorsdag (Thu 2 Apr) counts; långfredag to annandag påsk do not.
        (se(2026, 4, 1, 12), se(2026, 4, 2, 12), se(2026, 4, 7, 12)),
        (se(2026, 4, 2, 12), se(2026, 4, 7, 12), se(2026, 4, 8, 12)),
        (se(2026, 4, 4, 12), se(2026, 4, 8, 0), se(2026, 4, 9, 0)),  # påskafton
        (se(2026, 4, 6, 23, 59), se(2026, 4, 8, 0), se(2026, 4, 9, 0)),  # annandag påsk
        # Easter 2027 (with the DST change on påskdagen) and 2028.
        (se(2027, 3, 25, 12), se(2027, 3, 30, 12), se(2027, 3, 31, 12)),
        (se(2028, 4, 13, 12), se(2028, 4, 18, 12), se(2028, 4, 19, 12)),
        # Valborg and första maj 2026: Thu 30 Apr counts, Fri 1 May does not.
        (se(2026, 4, 30, 12), se(2026, 5, 4, 12), se(2026, 5, 5, 12)),
        # Kristi himmelfärd 2026 (Thu 14 May) and the klämdag after it.
        (se(2026, 5, 13, 12), se(2026, 5, 15, 12), se(2026, 5, 18, 12)),
        (se(2026, 5, 15, 12), se(2026, 5, 18, 12), se(2026, 5, 19, 12)),
    ],
)
def test_kau_response_deadline_days_off_through_the_year(
    received: datetime, due: datetime, limit: datetime
) -> None:
    """KAU-RESPONSE-DEADLINE: Christmas to trettondedag jul, midsommar week, Easter week, valborg and
    Kristi himmelfärd: the chain of days off, and the working days that look like them."""
    actual_due, actual_limit = response_deadlines(received)
    assert_stockholm(actual_due, due)
    assert_stockholm(actual_limit, limit)


# --- Time zones of the input, validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_utc", "due"),
    [
        (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), se(2026, 11, 25, 10)),
        (datetime(2026, 6, 17, 10, 0, tzinfo=UTC), se(2026, 6, 18, 12)),  # CEST: 12:00 local
        # Friday 23:30 UTC is already Saturday 00:30 in Stockholm: counting starts Monday.
        (datetime(2026, 11, 27, 23, 30, tzinfo=UTC), se(2026, 12, 1, 0)),
        # Monday 23:30 UTC is Tuesday 00:30 in Stockholm.
        (datetime(2026, 11, 23, 23, 30, tzinfo=UTC), se(2026, 11, 25, 0, 30)),
        # Sunday 23:30 UTC is Monday 00:30 in Stockholm.
        (datetime(2026, 11, 29, 23, 30, tzinfo=UTC), se(2026, 12, 1, 0, 30)),
    ],
)
def test_kau_response_deadline_input_in_utc_is_the_same_instant(as_utc: datetime, due: datetime) -> None:
    """KAU-RESPONSE-DEADLINE: the day is judged on the Stockholm clock, whatever zone the input is in."""
    as_stockholm = as_utc.astimezone(SE)
    from_utc = response_deadlines(as_utc)
    from_stockholm = response_deadlines(as_stockholm)
    assert_stockholm(from_utc[0], due)
    assert_stockholm(from_stockholm[0], due)
    for a, b in zip(from_utc, from_stockholm, strict=True):
        assert a.astimezone(UTC) == b.astimezone(UTC)
        assert a.utcoffset() == b.utcoffset()


@pytest.mark.parametrize(
    "tz",
    [ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo"), timezone(timedelta(hours=-3, minutes=-30)), UTC],
    ids=["new-york", "tokyo", "fixed-offset", "utc"],
)
def test_kau_response_deadline_any_input_zone_gives_stockholm_result(tz: timezone | ZoneInfo) -> None:
    """KAU-RESPONSE-DEADLINE: received Tue 2026-11-24 10:00 Stockholm, expressed in another zone."""
    received = se(2026, 11, 24, 10).astimezone(tz)
    due, limit = response_deadlines(received)
    assert_stockholm(due, se(2026, 11, 25, 10))
    assert_stockholm(limit, se(2026, 11, 26, 10))


def test_kau_response_deadline_naive_datetime_is_rejected() -> None:
    """KAU-RESPONSE-DEADLINE: a naive datetime is ambiguous and raises ValueError."""
    naive = datetime(2026, 11, 24, 10, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        response_deadlines(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_hours(naive, 24)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_hours(naive, 0)


def test_kau_response_deadline_due_after_limit_is_rejected() -> None:
    """KAU-RESPONSE-DEADLINE: due_hours > limit_hours raises ValueError."""
    with pytest.raises(ValueError, match="cannot come after"):
        response_deadlines(se(2026, 11, 24, 10), due_hours=49, limit_hours=48)
    with pytest.raises(ValueError, match="cannot come after"):
        response_deadlines(se(2026, 11, 24, 10), due_hours=49)  # against the default limit of 48
    with pytest.raises(ValueError, match="cannot come after"):
        response_deadlines(se(2026, 11, 24, 10), limit_hours=23)  # against the default due of 24


def test_kau_response_deadline_negative_hours_are_rejected() -> None:
    """KAU-RESPONSE-DEADLINE: counting backwards is not defined."""
    with pytest.raises(ValueError, match="must not be negative"):
        add_working_hours(se(2026, 11, 24, 10), -1)
    with pytest.raises(ValueError, match="must not be negative"):
        response_deadlines(se(2026, 11, 24, 10), due_hours=-1)


def test_kau_response_deadline_custom_hours() -> None:
    """KAU-RESPONSE-DEADLINE: due_hours and limit_hours may be set; equal values are allowed."""
    due, limit = response_deadlines(se(2026, 11, 27, 20), due_hours=8, limit_hours=8)
    assert_stockholm(due, se(2026, 11, 30, 4))
    assert_stockholm(limit, se(2026, 11, 30, 4))
    due, limit = response_deadlines(se(2026, 11, 24, 10), due_hours=1, limit_hours=72)
    assert_stockholm(due, se(2026, 11, 24, 11))
    assert_stockholm(limit, se(2026, 11, 27, 10))


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (se(2026, 11, 24, 10), 0, se(2026, 11, 24, 10)),  # 0 h on a working day: the same instant
        (se(2026, 11, 24, 0), 0, se(2026, 11, 24, 0)),
        (se(2026, 11, 28, 11), 0, se(2026, 11, 30, 0)),  # 0 h on a Saturday: Monday 00:00
        (se(2026, 11, 28, 0), 0, se(2026, 11, 30, 0)),
        (se(2026, 12, 24, 11), 0, se(2026, 12, 28, 0)),  # 0 h on julafton
        (se(2026, 11, 24, 10), 1, se(2026, 11, 24, 11)),
        (se(2026, 11, 24, 10), 14, se(2026, 11, 25, 0)),
        (se(2026, 11, 24, 10), 15, se(2026, 11, 25, 1)),
        (se(2026, 11, 27, 22), 3, se(2026, 11, 30, 1)),
        # Ten working days: two calendar weeks.
        (se(2026, 11, 23, 9), 240, se(2026, 12, 7, 9)),
        # Three working days across Christmas 2026: Tue 22, Wed 23, Mon 28.
        (se(2026, 12, 21, 9), 72, se(2026, 12, 28, 9)),
    ],
)
def test_kau_response_deadline_add_working_hours(start: datetime, hours: int, expected: datetime) -> None:
    """KAU-RESPONSE-DEADLINE: add_working_hours directly, including 0 hours."""
    result = add_working_hours(start, hours)
    assert_stockholm(result, expected)


def test_kau_response_deadline_zero_hours_keeps_the_instant_of_a_utc_input() -> None:
    """KAU-RESPONSE-DEADLINE: 0 h on a working day is the same instant, re-expressed in Stockholm time."""
    start = datetime(2026, 11, 24, 9, 17, 3, tzinfo=UTC)
    result = add_working_hours(start, 0)
    assert result == start
    assert_stockholm(result, datetime(2026, 11, 24, 10, 17, 3, tzinfo=SE))


# --- Extra days off ---------------------------------------------------------------------------------------


def test_kau_response_deadline_with_days_off_makes_dates_non_working() -> None:
    """KAU-RESPONSE-DEADLINE: the institution's own closed days are not working days."""
    calendar = WorkingCalendar.with_days_off([date(2026, 11, 25)])
    assert calendar.is_working_day(date(2026, 11, 25)) is False
    assert calendar.is_working_day(date(2026, 11, 24)) is True
    assert calendar.is_working_day(date(2026, 11, 26)) is True
    assert calendar.is_working_day(date(2026, 12, 24)) is False  # the Swedish days off still apply
    assert calendar.next_working_day(date(2026, 11, 24)) == date(2026, 11, 26)
    # The default calendar is untouched.
    assert SWEDISH_CALENDAR.is_working_day(date(2026, 11, 25)) is True
    assert calendar.extra_days_off == frozenset({date(2026, 11, 25)})


def test_kau_response_deadline_with_days_off_shifts_deadlines() -> None:
    """KAU-RESPONSE-DEADLINE: an extra day off in between pushes due and limit one working day."""
    calendar = WorkingCalendar.with_days_off([date(2026, 11, 25)])
    received = se(2026, 11, 24, 10)
    due, limit = response_deadlines(received, calendar=calendar)
    assert_stockholm(due, se(2026, 11, 26, 10))
    assert_stockholm(limit, se(2026, 11, 27, 10))
    # Unchanged with the default calendar.
    assert_stockholm(response_deadlines(received)[0], se(2026, 11, 25, 10))
    # Received on the extra day off: counting starts Thu 00:00.
    due, limit = response_deadlines(se(2026, 11, 25, 12), calendar=calendar)
    assert_stockholm(due, se(2026, 11, 27, 0))
    assert_stockholm(limit, se(2026, 11, 28, 0))
    assert_stockholm(add_working_hours(se(2026, 11, 25, 12), 0, calendar), se(2026, 11, 26, 0))


def test_kau_response_deadline_with_days_off_closed_between_christmas_and_new_year() -> None:
    """KAU-RESPONSE-DEADLINE: an institution closed 28-30 December 2026 (from any iterable)."""
    calendar = WorkingCalendar.with_days_off(date(2026, 12, 28) + timedelta(days=i) for i in range(3))
    assert [calendar.is_working_day(date(2026, 12, d)) for d in (28, 29, 30)] == [False, False, False]
    due, limit = response_deadlines(se(2026, 12, 23, 16), calendar=calendar)
    assert_stockholm(due, se(2027, 1, 4, 16))
    assert_stockholm(limit, se(2027, 1, 5, 16))


def test_kau_response_deadline_with_days_off_on_a_day_already_off_changes_nothing() -> None:
    """KAU-RESPONSE-DEADLINE: adding a weekend day or a holiday as an extra day off changes nothing."""
    calendar = WorkingCalendar.with_days_off({date(2026, 11, 28), date(2026, 12, 24)})
    for received in (se(2026, 11, 27, 15), se(2026, 12, 23, 16), se(2026, 11, 28, 11)):
        assert response_deadlines(received, calendar=calendar) == response_deadlines(received)
    assert WorkingCalendar.with_days_off([]) == WorkingCalendar() == SWEDISH_CALENDAR


# --- Property-style sweep ---------------------------------------------------------------------------------


def _every(start: datetime, step: timedelta, end: datetime) -> list[datetime]:
    out = []
    instant = start
    while instant < end:
        out.append(instant)
        instant += step
    return out


SWEEPS = {
    "every-7h-2026-2027": _every(
        datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=7), datetime(2028, 1, 1, tzinfo=UTC)
    ),
    "every-7h-offset-2026-2027": _every(
        datetime(2026, 1, 1, 3, 31, 17, tzinfo=UTC), timedelta(hours=7), datetime(2028, 1, 1, tzinfo=UTC)
    ),
    # Every local midnight and every local 23:59 of 2026-2027, built on the wall clock.
    "local-midnights": [midnight(date(2026, 1, 1) + timedelta(days=i)) for i in range(730)],
    "local-2359": [se(2026, 1, 1, 23, 59) + timedelta(days=i) for i in range(730)],
}


def _check_mark(start: datetime, result: datetime, hours: int) -> list[str]:
    problems = []
    if result.tzinfo is not SE:
        problems.append(f"tzinfo {result.tzinfo!r}")
    # The wall clock and offset are the canonical Stockholm representation of the instant.
    canonical = result.astimezone(UTC).astimezone(SE)
    if (
        canonical.replace(tzinfo=None) != result.replace(tzinfo=None)
        or canonical.utcoffset() != result.utcoffset()
    ):
        problems.append(f"not a canonical Stockholm time: {result} vs {canonical}")
    if result.astimezone(UTC) < start.astimezone(UTC):
        problems.append("before the start")
    total = elapsed(start, result)
    off = non_working_time(start, result)
    if total - off != timedelta(hours=hours):
        problems.append(f"{total} elapsed - {off} off != {hours} h")
    local = result.astimezone(SE)
    if local.time() == time.min:
        # Exactly at 00:00: the mark closes the previous day, which must have been a working day.
        if not oracle_is_working_day(local.date() - DAY):
            problems.append("00:00 after a non-working day")
    elif not oracle_is_working_day(local.date()):
        problems.append("inside a non-working day")
    return problems


@pytest.mark.parametrize("sweep", list(SWEEPS), ids=list(SWEEPS))
def test_kau_response_deadline_property_sweep(sweep: str) -> None:
    """KAU-RESPONSE-DEADLINE: for thousands of starts, exactly 24/48 working hours, due <= limit."""
    starts = SWEEPS[sweep]
    assert len(starts) >= 730
    failures = []
    for start in starts:
        due, limit = response_deadlines(start)
        problems = [f"due: {p}" for p in _check_mark(start, due, 24)]
        problems += [f"limit: {p}" for p in _check_mark(start, limit, 48)]
        if not due.astimezone(UTC) <= limit.astimezone(UTC):
            problems.append("due after limit")
        if working_time(due, limit) != timedelta(hours=24):
            problems.append("not 24 working hours from due to limit")
        if problems:
            failures.append((start.astimezone(SE).isoformat(), problems))
    assert not failures, failures[:10]


def test_kau_response_deadline_property_sweep_size() -> None:
    """KAU-RESPONSE-DEADLINE: the sweeps together cover a few thousand starts."""
    assert sum(len(starts) for starts in SWEEPS.values()) > 5000
    assert len(SWEEPS["every-7h-2026-2027"]) == (365 + 365) * 24 // 7 + 1


# --- Working hours between two instants (the queue's time left, the report's time to answer) -------


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (datetime(2026, 11, 24, 10, 0, tzinfo=SE), datetime(2026, 11, 24, 15, 30, tzinfo=SE), 5.5),
        # Friday 15:00 to Monday 15:00: the weekend does not count.
        (datetime(2026, 11, 27, 15, 0, tzinfo=SE), datetime(2026, 11, 30, 15, 0, tzinfo=SE), 24.0),
        # Saturday to Tuesday 00:00: Monday alone.
        (datetime(2026, 11, 28, 11, 0, tzinfo=SE), datetime(2026, 12, 1, 0, 0, tzinfo=SE), 24.0),
        # Across julafton, juldagen and annandag jul (Thursday 24 to Saturday 26 December 2026).
        (datetime(2026, 12, 23, 12, 0, tzinfo=SE), datetime(2026, 12, 28, 12, 0, tzinfo=SE), 24.0),
    ],
)
def test_kau_response_deadline_working_hours_between(start: datetime, end: datetime, hours: float) -> None:
    assert working_hours_between(start, end) == hours


@pytest.mark.parametrize(
    "received",
    [
        datetime(2026, 11, 24, 10, 0, tzinfo=SE),
        datetime(2026, 11, 27, 15, 0, tzinfo=SE),
        datetime(2026, 11, 28, 11, 0, tzinfo=SE),
        datetime(2026, 3, 27, 23, 59, tzinfo=SE),  # before the spring DST change
        datetime(2026, 10, 23, 0, 0, tzinfo=SE),  # before the autumn DST change
    ],
)
def test_kau_response_deadline_working_hours_between_inverts_add_working_hours(received: datetime) -> None:
    due, limit = response_deadlines(received)
    assert working_hours_between(received, due) == 24.0
    assert working_hours_between(received, limit) == 48.0
    assert working_hours_between(limit, received) == -48.0


def test_kau_response_deadline_working_hours_between_needs_aware_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        working_hours_between(datetime(2026, 11, 24, 10, 0), datetime(2026, 11, 24, 11, 0, tzinfo=SE))


# --- The arithmetic against the day-by-day reference -------------------------------------------------
#
# add_working_hours and working_hours_between count whole weeks and the days off inside a span instead
# of walking it day by day, so that a span of 40 years costs what a week costs. The reference below is
# the day-by-day walk they replaced, kept here word for word as the oracle: for any span, any start
# (DST changes, holidays, the institution's extra days off included), both must agree to the
# microsecond.


def reference_next_working_day(calendar: WorkingCalendar, day: date) -> date:
    candidate = day + timedelta(days=1)
    while not calendar.is_working_day(candidate):
        candidate += timedelta(days=1)
    return candidate


def reference_add_working_hours(start: datetime, hours: int, calendar: WorkingCalendar) -> datetime:
    local = start.astimezone(SE).replace(tzinfo=None)
    remaining = timedelta(hours=hours)
    day = local.date()
    if not calendar.is_working_day(day):
        day = reference_next_working_day(calendar, day)
        local = datetime.combine(day, time.min)
    while True:
        end_of_day = datetime.combine(day + timedelta(days=1), time.min)
        available = end_of_day - local
        if remaining <= available:
            return (local + remaining).replace(tzinfo=SE)
        remaining -= available
        day = reference_next_working_day(calendar, day)
        local = datetime.combine(day, time.min)


def reference_working_hours_between(start: datetime, end: datetime, calendar: WorkingCalendar) -> float:
    if end < start:
        return -reference_working_hours_between(end, start, calendar)
    first = start.astimezone(SE).replace(tzinfo=None)
    last = end.astimezone(SE).replace(tzinfo=None)
    total = timedelta()
    day = first.date()
    while day <= last.date():
        if calendar.is_working_day(day):
            day_start = datetime.combine(day, time.min)
            day_end = datetime.combine(day + timedelta(days=1), time.min)
            total += max(timedelta(), min(day_end, last) - max(day_start, first))
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def _dst_changes() -> list[datetime]:
    """The instants Sweden changed its clocks, 1990-2035: the last Sundays of March and October."""
    changes = []
    for year in range(1990, 2036):
        for month in (3, 10):
            last_sunday = max(
                date(year, month, d) for d in range(25, 32) if date(year, month, d).weekday() == 6
            )
            changes.append(datetime.combine(last_sunday, time(1, 0), tzinfo=UTC))
    return changes


DST_CHANGES = _dst_changes()
ZONES = [UTC, SE, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), ZoneInfo("America/New_York")]
SPANS = {
    "hours": timedelta(hours=72),
    "weeks": timedelta(days=70),
    "years": timedelta(days=3 * 366),
    "forty years": timedelta(days=40 * 366),
}


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """An instant from 1990 to 2035, often at a DST change, a local midnight or a holiday's edge."""
    kind = draw(st.sampled_from(["any", "dst", "midnight", "day off"]))
    if kind == "dst":
        moment = draw(st.sampled_from(DST_CHANGES)) + timedelta(minutes=draw(st.integers(-180, 180)))
    elif kind == "midnight":
        day = date(1990, 1, 1) + timedelta(days=draw(st.integers(0, 16_800)))
        moment = datetime.combine(day, time.min, tzinfo=SE) + timedelta(
            microseconds=draw(st.sampled_from([-1, 0, 1]))
        )
    elif kind == "day off":
        row = draw(st.sampled_from(DAYS_OFF))
        moment = datetime.combine(row[0], time(draw(st.integers(0, 23)), draw(st.integers(0, 59))), tzinfo=SE)
    else:
        moment = datetime(1990, 1, 1, tzinfo=UTC) + timedelta(
            seconds=draw(st.integers(0, 46 * 365 * 86_400)), microseconds=draw(st.integers(0, 999_999))
        )
    return moment.astimezone(draw(st.sampled_from(ZONES)))


@st.composite
def calendars(draw: st.DrawFn, near: datetime) -> WorkingCalendar:
    """The Swedish calendar, or one with extra days off around ``near``: single days, weekends and
    holidays given again, and closures of a few weeks."""
    if draw(st.booleans()):
        return SWEDISH_CALENDAR
    base = near.astimezone(SE).date()
    days: set[date] = set()
    for offset in draw(st.lists(st.integers(-20, 120), max_size=12)):
        days.add(base + timedelta(days=offset))
    for first, length in draw(st.lists(st.tuples(st.integers(-20, 400), st.integers(1, 40)), max_size=3)):
        days.update(base + timedelta(days=first + i) for i in range(length))
    days.update(draw(st.lists(st.sampled_from(sorted(DAYS_OFF_DATES)), max_size=3)))
    return WorkingCalendar.with_days_off(days)


EQUIVALENCE = hypothesis_settings(
    max_examples=400, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


@EQUIVALENCE
@given(data=st.data())
def test_kau_response_deadline_working_hours_between_agrees_with_the_day_by_day_reference(
    data: st.DataObject,
) -> None:
    """KAU-RESPONSE-DEADLINE: working hours between any two instants, up to 40 years apart, both ways."""
    start = data.draw(instants())
    span = SPANS[data.draw(st.sampled_from(list(SPANS)))]
    end = (
        start + timedelta(microseconds=data.draw(st.integers(0, span // timedelta(microseconds=1))))
    ).astimezone(data.draw(st.sampled_from(ZONES)))
    calendar = data.draw(calendars(start))
    assert working_hours_between(start, end, calendar) == reference_working_hours_between(
        start, end, calendar
    )
    assert working_hours_between(end, start, calendar) == reference_working_hours_between(
        end, start, calendar
    )


@EQUIVALENCE
@given(data=st.data())
def test_kau_response_deadline_add_working_hours_agrees_with_the_day_by_day_reference(
    data: st.DataObject,
) -> None:
    """KAU-RESPONSE-DEADLINE: any number of hours, up to 40 years of working hours, from any instant."""
    start = data.draw(instants())
    hours = data.draw(
        st.one_of(st.integers(0, 72), st.integers(0, 2_000), st.integers(0, 40 * 52 * 5 * 24)),
    )
    calendar = data.draw(calendars(start))
    result = add_working_hours(start, hours, calendar)
    expected = reference_add_working_hours(start, hours, calendar)
    assert result == expected
    assert result.replace(tzinfo=None) == expected.replace(tzinfo=None)
    assert result.utcoffset() == expected.utcoffset()
    assert isinstance(result.tzinfo, ZoneInfo)
    assert result.tzinfo.key == "Europe/Stockholm"


@EQUIVALENCE
@given(data=st.data())
def test_kau_response_deadline_next_working_day_agrees_with_the_day_by_day_reference(
    data: st.DataObject,
) -> None:
    """KAU-RESPONSE-DEADLINE: the next working day, across holidays and closures of weeks."""
    start = data.draw(instants())
    calendar = data.draw(calendars(start))
    day = start.astimezone(SE).date() + timedelta(days=data.draw(st.integers(-5, 60)))
    assert calendar.next_working_day(day) == reference_next_working_day(calendar, day)


# --- What the arithmetic costs -----------------------------------------------------------------------


@dataclass
class Cost:
    """Calls made into the calendar while one function runs."""

    working_day_checks: int = 0
    year_tables: int = 0


@pytest.fixture
def cost(monkeypatch: pytest.MonkeyPatch) -> Cost:
    counted = Cost()
    is_working_day = WorkingCalendar.is_working_day
    swedish_days_off = deadlines._swedish_days_off

    def counting_is_working_day(self: WorkingCalendar, day: date) -> bool:
        counted.working_day_checks += 1
        return is_working_day(self, day)

    def counting_swedish_days_off(year: int) -> frozenset[date]:
        counted.year_tables += 1
        return swedish_days_off(year)

    monkeypatch.setattr(WorkingCalendar, "is_working_day", counting_is_working_day)
    monkeypatch.setattr(deadlines, "_swedish_days_off", counting_swedish_days_off)
    return counted


CLOSED_EVERY_FRIDAY_IN_DECEMBER = WorkingCalendar.with_days_off(
    date(year, 12, day)
    for year in range(1990, 2036)
    for day in range(1, 32)
    if date(year, 12, day).weekday() == 4
)


@pytest.mark.parametrize(
    "calendar", [SWEDISH_CALENDAR, CLOSED_EVERY_FRIDAY_IN_DECEMBER], ids=["swedish", "extra"]
)
def test_kau_response_deadline_forty_years_cost_what_a_week_costs(
    cost: Cost, calendar: WorkingCalendar
) -> None:
    """KAU-RESPONSE-DEADLINE: the time to answer an item imported from 1990 is counted in whole weeks and
    the days off of each year, never day by day: no more day checks than for a week, and one table of
    holidays per year spanned."""
    received = datetime(1990, 3, 14, 9, 30, tzinfo=SE)
    week = working_hours_between(received, received + timedelta(days=7), calendar)
    week_cost = Cost(cost.working_day_checks, cost.year_tables)
    cost.working_day_checks = cost.year_tables = 0

    forty_years = working_hours_between(received, datetime(2030, 3, 14, 9, 30, tzinfo=SE), calendar)

    assert week == 5 * 24
    assert forty_years > 40 * 240 * 24
    assert cost.working_day_checks <= max(week_cost.working_day_checks, 4)
    assert cost.year_tables <= 41 + 2


@pytest.mark.parametrize(
    "calendar", [SWEDISH_CALENDAR, CLOSED_EVERY_FRIDAY_IN_DECEMBER], ids=["swedish", "extra"]
)
def test_kau_response_deadline_forty_years_of_hours_cost_what_a_day_costs(
    cost: Cost, calendar: WorkingCalendar
) -> None:
    """KAU-RESPONSE-DEADLINE: add_working_hours jumps whole weeks and then corrects for the days off."""
    start = datetime(1990, 3, 14, 9, 30, tzinfo=SE)
    add_working_hours(start, 24, calendar)
    day_cost = Cost(cost.working_day_checks, cost.year_tables)
    cost.working_day_checks = cost.year_tables = 0

    result = add_working_hours(start, 40 * 250 * 24, calendar)

    assert result.year in (2029, 2030)
    assert cost.working_day_checks <= max(day_cost.working_day_checks, 4)
    assert cost.year_tables <= 2 * (41 + 2)
