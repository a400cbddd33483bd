"""The response-time report and its CSV export (moderation.reports, moderation.report_views).

KAU-RESPONSE-DEADLINE: the median time to an answer in working hours, and the shares dealt with by
the due time and by the outer limit, on a hand-made set of items whose every figure is worked out
below. KAU-RESP-MANAGER: the social media lead reads every account, a head of unit the accounts of
their units and those below; nobody else opens the report.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive.services import store_evidence
from core.calendar import STOCKHOLM
from moderation import services
from moderation.reports import ReportRow, default_period, report_chart, response_report
from tests.conftest import Cast
from tests.support import png

pytestmark = pytest.mark.usefixtures("fixed_clock", "media_root")

# Thursday 26 November 2026, 10:00 in Stockholm, as in conftest.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=STOCKHOLM)
PERIOD = {"start": "2026-11-01", "end": "2026-11-26"}


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=STOCKHOLM)


@dataclass
class Dataset:
    department: Any  # account of the department (head_of_unit), under the faculty (dean)
    other: Any  # account of the other department (other_head), under the faculty
    comms: Any  # account of the communications department


@pytest.fixture
def dataset(cast: Cast, make_account: Any, make_item: Any) -> Dataset:
    """Eleven items; the figures each test expects are worked out here.

    Department (default Swedish calendar, 24 h due and 48 h limit, counted in working days):
      1. received Fri 20 Nov 16:00, answered Mon 23 Nov 10:00: 8 + 10 = 18 working hours; due Mon
         16:00, so in time for both.
      2. received Mon 23 Nov 09:00, answered Wed 25 Nov 09:00: 48 h; due Tue 09:00 missed, limit Wed
         09:00 met (at the minute).
      3. received Tue 24 Nov 09:00, answered 11:00: 2 h; in time.
      4. received Mon 2 Nov 10:00, still open: past both deadlines, missed both.
      5. received Thu 26 Nov 08:00, still open, due Fri: left out of both shares.
      6. received Wed 25 Nov 09:00, still open: due Thu 09:00 passed (missed), limit Fri ahead (left out).
      7. received Wed 18 Nov 10:00, closed without answer at 12:00: in time.
      8. received 20 Oct: outside the period.
      → received 7, answered 3, closed 1, open 3; median 18; by due 3 of 6; by limit 4 of 5.
    Other department:
      9. received Fri 20 Nov 09:00, answered Mon 23 Nov 09:00: 15 + 9 = 24 h, exactly at the due time.
      → received 1, answered 1; median 24; by due 1 of 1; by limit 1 of 1.
    Communications:
     10. received Tue 10 Nov 10:00, answered 10:30: 0.5 h.
     11. received Thu 12 Nov 10:00, removed at 11:00 after its screenshot was kept.
      → received 2, answered 1, removed 1; median 0.5; by due 2 of 2; by limit 2 of 2.
    """
    owner = cast["communicator"]
    department = make_account(name="Institutionens konto")
    other = make_account(unit="other", name="Andra kontot")
    comms = make_account(unit="comms", name="Kommunikationskontot")

    def answered(account: Any, received: datetime, answer_at: datetime) -> None:
        item = make_item(account, received_at=received, now=NOW)
        services.answer_item(item, answer="Svar.", by=owner, now=NOW, answered_at=answer_at)

    answered(department, at(20, 16), at(23, 10))
    answered(department, at(23, 9), at(25, 9))
    answered(department, at(24, 9), at(24, 11))
    make_item(department, received_at=at(2, 10), now=NOW)
    make_item(department, received_at=at(26, 8), now=NOW)
    make_item(department, received_at=at(25, 9), now=NOW)
    closed = make_item(department, received_at=at(18, 10), now=NOW)
    services.close_item(closed, reason="Ingen fråga.", by=owner, now=at(18, 12))
    answered(department, at(20, 10, month=10), at(20, 11, month=10))

    answered(other, at(20, 9), at(23, 9))

    answered(comms, at(10, 10), at(10, 10, 30))
    removed = make_item(comms, received_at=at(12, 10), now=NOW)
    services.classify_item(removed, triage=services.Triage(prohibited=[3]), by=owner, now=at(12, 10, 30))
    store_evidence(removed, data=png(), by=owner, now=at(12, 10, 45))
    services.remove_item(removed, note="Personangrepp.", by=owner, now=at(12, 11))
    return Dataset(department=department, other=other, comms=comms)


def figures(row: ReportRow) -> tuple[Any, ...]:
    return (
        row.received,
        row.answered,
        row.closed,
        row.removed,
        row.open,
        row.median_hours,
        (row.due_met, row.due_counted),
        (row.limit_met, row.limit_counted),
    )


DEPARTMENT = (7, 3, 1, 0, 3, 18.0, (3, 6), (4, 5))
OTHER = (1, 1, 0, 0, 0, 24.0, (1, 1), (1, 1))
COMMS = (2, 1, 0, 1, 0, 0.5, (2, 2), (2, 2))


def report_for(cast: Cast, person: str, **kwargs: Any) -> Any:
    return response_report(cast[person], start=date(2026, 11, 1), end=date(2026, 11, 26), now=NOW, **kwargs)


# --- The numbers ----------------------------------------------------------------------------------------


def test_the_figures_per_account_for_the_social_media_lead(cast: Cast, dataset: Dataset) -> None:
    """KAU-RESPONSE-DEADLINE: medians in working hours across the weekend; shares by due and by limit."""
    report = report_for(cast, "social_media_lead")
    by_label = {row.label: figures(row) for row in report.rows}
    assert by_label == {
        "Institutionens konto": DEPARTMENT,
        "Andra kontot": OTHER,
        "Kommunikationskontot": COMMS,
    }
    # The total: every median over all ten answer times, not a median of medians.
    assert figures(report.total) == (10, 5, 1, 1, 3, 18.0, (6, 9), (7, 8))
    assert report.total.is_total
    department = next(row for row in report.rows if row.label == "Institutionens konto")
    assert department.share_by_due == pytest.approx(0.5)
    assert department.share_by_limit == pytest.approx(0.8)
    assert department.url == reverse("moderation:inbox", args=[dataset.department.pk])


def test_a_weekend_does_not_count_towards_the_time_to_answer(cast: Cast, dataset: Dataset) -> None:
    """KAU-RESPONSE-DEADLINE: a Friday-afternoon question answered on Monday morning took 18 working hours."""
    report = report_for(cast, "other_head")
    [row] = report.rows
    assert row.median_hours == 24.0  # Friday 09:00 to Monday 09:00 is one working day


def test_grouping_by_unit_takes_in_the_sub_units(cast: Cast, dataset: Dataset) -> None:
    report = report_for(cast, "social_media_lead", unit=cast.units["faculty"], group="unit")
    assert [(row.label, figures(row)) for row in report.rows] == [
        ("Institutionen", DEPARTMENT),
        ("Andra institutionen", OTHER),
    ]
    assert figures(report.total) == (8, 4, 1, 0, 3, 21.0, (4, 7), (5, 6))


def test_the_university_unit_holds_every_account(cast: Cast, dataset: Dataset) -> None:
    report = report_for(cast, "social_media_lead", unit=cast.units["university"], group="unit")
    assert [row.label for row in report.rows] == [
        "Institutionen",
        "Andra institutionen",
        "Kommunikationsavdelningen",
    ]


def test_the_period_filters_by_the_day_received_in_stockholm(
    cast: Cast, dataset: Dataset, make_item: Any
) -> None:
    # 00:30 on 1 November in Stockholm is still 31 October in UTC: it belongs to November here.
    make_item(dataset.other, received_at=at(1, 0, 30), now=NOW)
    make_item(dataset.other, received_at=at(31, 23, 30, month=10), now=NOW)
    report = report_for(cast, "other_head")
    assert report.rows[0].received == 2
    narrow = response_report(
        cast["social_media_lead"], start=date(2026, 11, 20), end=date(2026, 11, 20), now=NOW
    )
    assert [(row.label, row.received) for row in narrow.rows] == [
        ("Institutionens konto", 1),
        ("Andra kontot", 1),
    ]
    october = response_report(
        cast["social_media_lead"], start=date(2026, 10, 1), end=date(2026, 10, 31), now=NOW
    )
    assert [(row.label, row.received, row.median_hours) for row in october.rows] == [
        ("Institutionens konto", 1, 1.0),
        ("Andra kontot", 1, None),
    ]


def test_an_empty_period_has_no_rows_and_an_empty_total(cast: Cast, dataset: Dataset) -> None:
    report = response_report(
        cast["social_media_lead"], start=date(2025, 1, 1), end=date(2025, 1, 31), now=NOW
    )
    assert report.rows == []
    assert figures(report.total) == (0, 0, 0, 0, 0, None, (0, 0), (0, 0))
    assert report.total.share_by_due is None
    assert report.chart is None


def test_the_default_period_is_the_last_90_days() -> None:
    assert default_period(date(2026, 11, 26)) == (date(2026, 8, 29), date(2026, 11, 26))


# --- Who sees what --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "accounts"),
    [
        ("head_of_unit", {"Institutionens konto"}),
        ("other_head", {"Andra kontot"}),
        ("dean", {"Institutionens konto", "Andra kontot"}),
        ("social_media_lead", {"Institutionens konto", "Andra kontot", "Kommunikationskontot"}),
    ],
)
def test_each_head_reads_the_accounts_of_their_units_and_below(
    client: Client, cast: Cast, dataset: Dataset, person: str, accounts: set[str]
) -> None:
    """KAU-RESP-MANAGER: the head of a unit answers for its accounts and those of the units below."""
    client.force_login(cast[person])
    response = client.get(reverse("moderation:report"), PERIOD)
    assert response.status_code == 200
    assert {row.label for row in response.context["report"].rows} == accounts


def test_a_head_who_also_owns_an_account_elsewhere_reads_only_their_units(
    client: Client, cast: Cast, dataset: Dataset, make_account: Any, make_item: Any
) -> None:
    elsewhere = make_account(unit="other", owner="head_of_unit", deputies=("deputy",), name="Eget konto")
    make_item(elsewhere, received_at=at(20, 9), now=NOW)
    client.force_login(cast["head_of_unit"])
    response = client.get(reverse("moderation:report"), PERIOD)
    assert {row.label for row in response.context["report"].rows} == {"Institutionens konto"}


@pytest.mark.parametrize(
    "person", ["outsider", "communicator", "deputy", "communications", "registrar", "security_officer"]
)
def test_people_who_head_nothing_are_refused(
    client: Client, cast: Cast, dataset: Dataset, person: str
) -> None:
    client.force_login(cast[person])
    assert client.get(reverse("moderation:report")).status_code == 403
    assert client.get(reverse("moderation:report_export")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    for name in ("moderation:report", "moderation:report_export"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_head_cannot_choose_a_unit_outside_their_own(client: Client, cast: Cast, dataset: Dataset) -> None:
    client.force_login(cast["head_of_unit"])
    response = client.get(reverse("moderation:report"), {**PERIOD, "unit": cast.units["other"].pk})
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    assert response.context["report"] is None
    assert (
        client.get(reverse("moderation:report_export"), {"unit": cast.units["other"].pk}).status_code == 400
    )


def test_bad_dates_answer_400_with_the_field_named(client: Client, cast: Cast, dataset: Dataset) -> None:
    client.force_login(cast["social_media_lead"])
    backwards = client.get(reverse("moderation:report"), {"start": "2026-11-20", "end": "2026-11-01"})
    assert backwards.status_code == 400
    assert "end" in backwards.context["form"].errors
    nonsense = client.get(reverse("moderation:report"), {"start": "igår"})
    assert nonsense.status_code == 400
    assert "start" in nonsense.context["form"].errors
    too_long = client.get(reverse("moderation:report"), {"start": "2020-01-01", "end": "2026-11-01"})
    assert too_long.status_code == 400


# --- The page -------------------------------------------------------------------------------------------


def test_the_page_defaults_to_the_last_90_days(client: Client, cast: Cast, dataset: Dataset) -> None:
    client.force_login(cast["social_media_lead"])
    response = client.get(reverse("moderation:report"))
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.start, report.end, report.group) == (date(2026, 8, 29), date(2026, 11, 26), "account")
    assert report.total.received == 11  # the October item is inside the last 90 days


def test_the_page_has_an_accessible_chart_and_table(client: Client, cast: Cast, dataset: Dataset) -> None:
    client.force_login(cast["social_media_lead"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("moderation:report"), PERIOD).content.decode()
    assert 'role="img"' in page
    assert 'aria-labelledby="report-chart-title report-chart-desc"' in page
    assert '<title id="report-chart-title">' in page
    assert '<desc id="report-chart-desc">' in page
    assert 'style="' not in page
    # The chart is drawn without script: the only script on the page is the navigation's menu.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/nav.js" defer>']
    assert "<caption>Response times per account</caption>" in page
    assert '<th scope="col" class="num">Median working hours to an answer</th>' in page
    assert "moderation-report.css" in page
    assert "50 %" in page
    assert "80 %" in page


def test_the_chart_draws_a_pair_of_bars_per_row(cast: Cast, dataset: Dataset) -> None:
    report = report_for(cast, "social_media_lead")
    chart = report.chart
    assert chart is not None
    assert [group.full_label for group in chart.groups] == [row.label for row in report.rows]
    department = chart.groups[0]
    assert (department.due.value, department.limit.value) == ("50 %", "80 %")
    assert department.due.width == "180.0"
    assert department.limit.width == "288.0"
    assert "Institutionens konto" in chart.summary or "Kommunikationskontot" in chart.summary


def test_a_row_with_nothing_decided_draws_a_dash() -> None:
    chart = report_chart([ReportRow(label="Nytt konto", received=1, open=1)])
    assert chart is not None
    assert (chart.groups[0].due.value, chart.groups[0].due.width) == ("–", "0.0")


def test_the_query_count_does_not_grow_with_the_accounts(
    client: Client, cast: Cast, make_account: Any, make_item: Any
) -> None:
    """Counts in one grouped query and the answer times in one more, however many accounts."""
    client.force_login(cast["social_media_lead"])
    url = reverse("moderation:report")

    def add_accounts(count: int) -> None:
        for _ in range(count):
            account = make_account()
            item = make_item(account, received_at=at(20, 9), now=NOW)
            services.answer_item(
                item, answer="Svar.", by=cast["communicator"], now=NOW, answered_at=at(20, 11)
            )
            make_item(account, received_at=at(24, 9), now=NOW)

    def measure(query: dict[str, str]) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, query)
        assert response.status_code == 200
        return len(captured), len(response.context["report"].rows)

    add_accounts(2)
    client.get(url, PERIOD)  # warm the session and the settings row
    small = measure(PERIOD), measure({**PERIOD, "group": "unit"})
    add_accounts(8)
    large = measure(PERIOD), measure({**PERIOD, "group": "unit"})
    assert (small[0][1], large[0][1]) == (2, 10)
    assert small[0][0] == large[0][0]
    assert small[1][0] == large[1][0]
    assert large[0][0] <= 12, large


# --- The export -----------------------------------------------------------------------------------------


def read_csv(response: Any) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert "\r\n" in body
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_the_export_holds_the_same_rows_and_the_total(client: Client, cast: Cast, dataset: Dataset) -> None:
    client.force_login(cast["dean"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("moderation:report_export"), {**PERIOD, "unit": cast.units["faculty"].pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="svarstider-2026-11-01-2026-11-26.csv"'
    header, *rows = read_csv(response)
    assert header[:3] == ["account", "details", "received"]
    assert len(header) == 14
    assert rows == [
        [
            "Institutionens konto",
            "Instagram, Institutionen",
            "7",
            "3",
            "1",
            "0",
            "3",
            "18,0",
            "3",
            "6",
            "50,0",
            "4",
            "5",
            "80,0",
        ],
        [
            "Andra kontot",
            "Instagram, Andra institutionen",
            "1",
            "1",
            "0",
            "0",
            "0",
            "24,0",
            "1",
            "1",
            "100,0",
            "1",
            "1",
            "100,0",
        ],
        ["All", "", "8", "4", "1", "0", "3", "21,0", "4", "7", "57,1", "5", "6", "83,3"],
    ]


def test_the_export_by_unit(client: Client, cast: Cast, dataset: Dataset) -> None:
    client.force_login(cast["social_media_lead"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("moderation:report_export"), {**PERIOD, "group": "unit"})
    header, *rows = read_csv(response)
    assert header[0] == "unit"
    assert [row[0] for row in rows] == [
        "Institutionen",
        "Andra institutionen",
        "Kommunikationsavdelningen",
        "All",
    ]


def test_the_export_keeps_a_formula_as_text(
    client: Client, cast: Cast, make_account: Any, make_item: Any
) -> None:
    account = make_account(name='=HYPERLINK("http://example.com")')
    make_item(account, received_at=at(20, 9), now=NOW)
    client.force_login(cast["social_media_lead"])
    _header, *rows = read_csv(client.get(reverse("moderation:report_export"), PERIOD))
    assert rows[0][0] == '\'=HYPERLINK("http://example.com")'


@pytest.mark.parametrize(
    ("name", "written"),
    [("visitor;=1+1", "visitor;=1+1"), ("  =cmd", "'  =cmd"), ("-2+3", "'-2+3"), ("@SUM(1)", "'@SUM(1)")],
)
def test_the_export_keeps_a_hostile_account_name_in_its_own_cell_as_text(
    client: Client, cast: Cast, make_account: Any, make_item: Any, name: str, written: str
) -> None:
    """Swedish Excel splits at semicolons: every cell is quoted, and a formula after leading spaces
    is neutralised as well (core.csvfile). The figures stay numbers, with a decimal comma."""
    account = make_account(name=name)
    make_item(account, received_at=at(20, 9), now=NOW)
    client.force_login(cast["social_media_lead"])
    header, *rows = read_csv(client.get(reverse("moderation:report_export"), PERIOD))
    assert [len(row) for row in rows] == [len(header)] * 2
    assert rows[0][0] == written
    assert rows[0][2:7] == ["1", "0", "0", "0", "1"]
    assert not any(cell.lstrip()[:1] in {"=", "+", "-", "@"} for row in rows for cell in row)
