"""The bounds of dates and times taken from outside (core.bounds): each bound itself is accepted, the
instant or the day beyond it refused, with the field named when one is given. Plain pytest, no
database; ``now`` and ``today`` are passed in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.core.exceptions import ValidationError

from core import bounds
from core.bounds import STOCKHOLM

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=STOCKHOLM)
TODAY = NOW.date()
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    "value",
    [
        datetime(1990, 1, 1, tzinfo=STOCKHOLM),
        datetime(1989, 12, 31, 23, 0, tzinfo=UTC),  # the same instant in UTC
        NOW + timedelta(minutes=5),
        NOW,
    ],
)
def test_kau_response_deadline_a_time_within_the_bounds_is_taken(value: datetime) -> None:
    bounds.check_time(value, now=NOW)
    assert bounds.within_time_bounds(value, now=NOW)


@pytest.mark.parametrize(
    "value",
    [
        datetime(1990, 1, 1, tzinfo=STOCKHOLM) - TICK,
        NOW + timedelta(minutes=5) + TICK,
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=-12))),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-12))),
        datetime(1899, 12, 31, 12, tzinfo=STOCKHOLM),
    ],
)
def test_kau_response_deadline_a_time_beyond_the_bounds_is_refused_on_its_field(value: datetime) -> None:
    """Year 1 at +14:00 cannot be turned into UTC; it is compared, never converted."""
    assert not bounds.within_time_bounds(value, now=NOW)
    with pytest.raises(ValidationError) as bare:
        bounds.check_time(value, now=NOW)
    assert bare.value.messages == [str(bounds.TIME_MESSAGE)]
    with pytest.raises(ValidationError) as named:
        bounds.check_time(value, now=NOW, field="received_at")
    assert list(named.value.message_dict) == ["received_at"]


def test_a_day_that_happened_lies_from_1990_up_to_today() -> None:
    bounds.check_past_day(date(1990, 1, 1), today=TODAY)
    bounds.check_past_day(TODAY, today=TODAY)
    for day in (date(1989, 12, 31), TODAY + timedelta(days=1), date(1, 1, 1), date(9999, 12, 31)):
        with pytest.raises(ValidationError, match="1990"):
            bounds.check_past_day(day, today=TODAY, field="taken_on")


def test_a_period_reaches_from_1990_up_to_a_year_ahead() -> None:
    last = bounds.period_last_day(TODAY)
    assert last == date(2027, 12, 3)
    bounds.check_period_day(date(1990, 1, 1), today=TODAY)
    bounds.check_period_day(last, today=TODAY)
    for day in (date(1989, 12, 31), last + timedelta(days=1), date(9999, 12, 31)):
        with pytest.raises(ValidationError) as refused:
            bounds.check_period_day(day, today=TODAY, field="end")
        assert list(refused.value.message_dict) == ["end"]


def test_kau_resp_daily_an_absence_lies_from_two_years_back_to_three_years_ahead() -> None:
    first, last = TODAY - timedelta(days=2 * 366), TODAY + timedelta(days=3 * 366)
    bounds.check_absence_day(first, today=TODAY)
    bounds.check_absence_day(last, today=TODAY)
    for day in (first - timedelta(days=1), last + timedelta(days=1), date(1, 1, 1), date(9999, 12, 31)):
        with pytest.raises(ValidationError):
            bounds.check_absence_day(day, today=TODAY)


def test_kau_resp_daily_an_absence_lasts_at_most_two_years() -> None:
    start = date(2027, 1, 1)
    bounds.check_absence_length(start, start + timedelta(days=bounds.ABSENCE_MAX_DAYS - 1))
    with pytest.raises(ValidationError) as refused:
        bounds.check_absence_length(start, start + timedelta(days=bounds.ABSENCE_MAX_DAYS), field="ends_on")
    assert list(refused.value.message_dict) == ["ends_on"]


def test_kau_response_deadline_extra_days_off_lie_from_1990_up_to_ten_years_ahead() -> None:
    assert bounds.day_off_window(TODAY) == (date(1990, 1, 1), TODAY + timedelta(days=3660))
    # Near the end of the calendar the window stops at its last day rather than failing.
    assert bounds.day_off_window(date(9999, 1, 1))[1] == date.max
