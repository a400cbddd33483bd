"""The account page's chart with real history (KAU-FOLLOWUP): the followers line drawn from the
platform's daily readings beside the follow-ups' figures, said in words and listed in a table, read in
one query however many readings there are (KAU-ACCESS: the text alternative and the table)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts import charts, followup
from accounts.figures import record_reading
from accounts.models import Account, FollowUp
from core.calendar import STOCKHOLM
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 15, 10, 0, tzinfo=STOCKHOLM)
TODAY = NOW.date()


def fu(day: date, followers: int, pk: int) -> FollowUp:
    return FollowUp(period_end=day, followers=followers, posts=3, reactions=40, comments=5, pk=pk)


def daily(first: date, days: int, start: int = 1000) -> list[tuple[date, int]]:
    return [(first + timedelta(days=n), start + n) for n in range(days)]


# --- The chart, pure ----------------------------------------------------------------------------------------


def test_the_followers_panel_draws_the_readings_beside_the_followups() -> None:
    followups = [fu(date(2029, 9, 30), 900, 1), fu(date(2030, 2, 28), 1100, 2)]
    readings = daily(date(2029, 12, 1), 90)
    with translation.override("en"):
        chart = charts.followup_chart(followups, readings)
    assert chart is not None
    followers, activity = chart.panels
    recorded, read = followers.series
    assert (recorded.label, read.label) == (
        "Followers at each follow-up",
        "Followers, read from the platform",
    )
    assert len(recorded.dots) == 2
    assert read.dots == []  # ninety days: a line, no dot each
    assert len(read.points.split()) == 90
    # One time axis: the first follow-up at the left edge, the last reading at the right.
    assert recorded.points.split()[0].startswith("64.0,")
    assert read.points.split()[-1].startswith("620.0,")
    first_reading_x = float(read.points.split()[0].split(",")[0])
    assert float(recorded.points.split()[0].split(",")[0]) < first_reading_x < 620.0
    assert len(activity.series) == 3
    assert [label for *_xy, _colour, _dash, label in chart.legend][-2:] == [recorded.label, read.label]
    assert chart.height == 422  # a second row of the legend
    assert (
        "Read from the platform, followers went from 1,000 (1 dec 2029) to 1,089 (28 feb 2030)"
        in chart.summary
    )
    assert chart.summary.startswith("Followers went from 900")
    extents = []
    for x, anchor, label in chart.dates:
        width = charts.LABEL_CHAR * len(label)
        left = float(x) - {"start": 0, "middle": width / 2, "end": width}[anchor]
        extents.append((left, left + width))
    assert all(right + charts.LABEL_GAP <= left for (_l, right), (left, _r) in pairwise(extents))
    assert (chart.dates[0][2], chart.dates[-1][2]) == ("30 sep 2029", "28 feb 2030")


def test_readings_alone_draw_the_followers_panel() -> None:
    """An account with no follow-up yet has its history from the first reading on."""
    with translation.override("en"):
        chart = charts.followup_chart([], [(date(2030, 3, 1), 50), (date(2030, 3, 15), 65)])
    assert chart is not None
    (panel,) = chart.panels
    (series,) = panel.series
    assert series.label == "Followers, read from the platform"
    assert len(series.dots) == 2  # a short history shows each reading
    assert chart.summary.startswith("Read from the platform, followers went from 50 (1 mar 2030) to 65")
    assert [label for _x, _anchor, label in chart.dates] == ["1 mar 2030", "15 mar 2030"]
    with translation.override("en"):
        single = charts.followup_chart([], [(date(2030, 3, 1), 50)])
    assert single is not None
    assert single.summary == "One reading from the platform so far: 50 followers on 1 mar 2030."


def test_followups_alone_draw_as_before() -> None:
    chart = charts.followup_chart([fu(date(2030, 1, 31), 10, 1)])
    assert chart is not None
    assert chart.height == 400
    assert len(chart.panels[0].series) == 1
    assert charts.followup_chart([], []) is None


def test_a_long_history_is_drawn_week_by_week() -> None:
    short = daily(date(2029, 1, 1), charts.DAILY_POINTS)
    assert charts.reading_points(short) == short
    long = daily(date(2028, 3, 16), 730)  # two years
    points = charts.reading_points(long)
    assert points[0] == long[0]
    assert points[-1] == long[-1]
    assert 100 <= len(points) <= 107
    weeks = [day.isocalendar()[:2] for day, _value in points[1:]]
    assert len(weeks) == len(set(weeks))  # one a week
    assert all(day.isoweekday() == 7 for day, _value in points[1:-1])  # the week's last reading


# --- The account page ---------------------------------------------------------------------------------------


def read_days(account: Account, days: int) -> None:
    for n in range(days):
        day = TODAY - timedelta(days=days - 1 - n)
        record_reading(account, on=day, counts={"followers": 500 + n}, source="instagram", now=NOW)


def test_the_page_lists_the_readings_and_says_them_in_words(cast: Cast, make_account: Any) -> None:
    account = make_account()
    read_days(account, 3)
    record_reading(
        account, on=TODAY - timedelta(days=800), counts={"followers": 1}, source="instagram", now=NOW
    )
    record_reading(
        account, on=TODAY - timedelta(days=5), counts={"views_total": 9}, source="instagram", now=NOW
    )
    with translation.override("en"):  # the chart's words are made in the language of the request
        context = followup.detail_context(account, user=cast["communicator"], now=NOW)
        html = render_to_string("accounts/includes/followups.html", context)
    assert context["followup"]["readings"] == [(TODAY - timedelta(days=d), 502 - d) for d in range(3)]
    chart_id = f"followup-chart-{account.pk}"
    desc = re.search(rf'<desc id="{chart_id}-desc">(.*?)</desc>', html, re.S)
    assert desc is not None
    assert "followers went from 500 (13 mar 2030) to 502 (15 mar 2030)" in desc.group(1)
    assert html.count("<polyline") == 1
    assert "The same figures are in the tables below." in html
    assert "Followers read from the platform (3 readings)" in html
    table = html[html.index("Followers read from the platform, latest first") :]
    assert re.findall(r'data-reading="([\d-]+)"', table) == ["2030-03-15", "2030-03-14", "2030-03-13"]
    assert ">502</td>" in table


def test_the_history_is_one_query_however_many_readings(
    cast: Cast, make_account: Any, django_assert_num_queries: Any
) -> None:
    """No query per reading: the same count at three readings and at four hundred."""
    few, many = make_account(), make_account()
    read_days(few, 3)
    read_days(many, 400)
    for account in (few, many):
        followup.record_followup(
            account,
            by=cast["communicator"],
            now=NOW,
            period_end=TODAY - timedelta(days=30),
            followers=400,
            posts=3,
            reactions=10,
            comments=2,
            traffic="up",
            reaches_audiences="yes",
            keeps_up="yes",
            value_estimate="Bra.",
            decision="continue",
        )
    few = Account.objects.prefetch_related("deputies").get(pk=few.pk)
    many = Account.objects.prefetch_related("deputies").get(pk=many.pk)
    with CaptureQueriesContext(connection) as small:
        followup.detail_context(few, user=cast["communicator"], now=NOW)
    with django_assert_num_queries(len(small.captured_queries)):
        context = followup.detail_context(many, user=cast["communicator"], now=NOW)
    assert sum('"accounts_figurereading"' in q["sql"] for q in small.captured_queries) == 1
    chart = context["followup"]["chart"]
    assert chart is not None
    assert 55 <= len(chart.panels[0].series[1].points.split()) <= 62  # week by week
