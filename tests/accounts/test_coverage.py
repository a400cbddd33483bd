"""Owner and deputies, major changes, absences, the daily coverage job and people who leave
(KAU-RESP-OWNER, KAU-RESP-DAILY, KAU-STARTPAGE).

Time is passed in: NOW is Monday 21 December 2026, 06:00 in Stockholm, so the two weeks ahead hold
julafton, juldagen, annandag jul, nyårsafton and nyårsdagen, and two weekends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from accounts import coverage, people
from accounts.coverage import runs, uncovered_days
from accounts.models import Absence, Account, CoverageGap
from core.models import Notification, User
from tests.conftest import Cast
from tests.support import absence_of, run_in_threads

NOW = datetime(2026, 12, 21, 5, 0, tzinfo=UTC)  # 06:00 in Stockholm
LATER = NOW + timedelta(days=1)


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def away(cast: Cast, person: str, first: date, last: date, *, now: datetime = NOW) -> Absence:
    absence, _warnings = absence_of(cast[person], first, last, now=now)
    return absence


def change(account: Account, *, by: User, now: datetime = NOW, **details: Any) -> Account:
    """Changes the account's details as `by`; the name, handle and address stay as they are unless
    given."""
    fields = {"name": account.name, "handle": account.handle, "url": account.url} | details
    return people.change_details(account, **fields, by=by, now=now)


def gap_notices(account: Account | None = None) -> dict[str, int]:
    """Coverage-gap notifications per recipient's username."""
    rows = Notification.objects.filter(kind="coverage_gap")
    if account is not None:
        rows = rows.filter(key__startswith=f"coverage-gap:{account.pk}:")
    counts: dict[str, int] = {}
    for row in rows.select_related("recipient"):
        assert row.recipient is not None
        counts[row.recipient.username] = counts.get(row.recipient.username, 0) + 1
    return counts


def open_gaps(account: Account) -> list[tuple[date, date]]:
    return list(
        CoverageGap.objects.filter(account=account, resolved_at__isnull=True)
        .order_by("starts_on")
        .values_list("starts_on", "ends_on")
    )


# --- The pure day arithmetic -----------------------------------------------------------------------------


class Period:
    def __init__(self, person_id: int, starts_on: date, ends_on: date) -> None:
        self.person_id, self.starts_on, self.ends_on = person_id, starts_on, ends_on


DAYS = [d(12, 21) + timedelta(days=n) for n in range(14)]


def test_a_day_is_uncovered_only_when_everyone_is_away() -> None:
    """KAU-RESP-DAILY: one available person covers the day."""
    absences = [Period(1, d(12, 24), d(12, 27)), Period(2, d(12, 26), d(12, 31))]
    assert uncovered_days([1, 2], absences, DAYS) == [d(12, 26), d(12, 27)]
    assert uncovered_days([1, 2, 3], absences, DAYS) == []


def test_absences_of_other_people_do_not_count() -> None:
    assert uncovered_days([1], [Period(2, d(12, 21), d(1, 3, 2027))], DAYS) == []


def test_with_nobody_able_to_watch_every_day_is_uncovered() -> None:
    """KAU-RESP-DAILY: an account whose owner and deputies have all left has no cover at all."""
    assert uncovered_days([], [], DAYS) == DAYS


def test_weekends_and_holidays_are_days_like_any_other() -> None:
    """KAU-RESP-DAILY: daily, holidays included: julafton to annandag jul and the weekend count."""
    absences = [Period(1, d(12, 24), d(12, 27))]
    assert uncovered_days([1], absences, DAYS) == [d(12, 24), d(12, 25), d(12, 26), d(12, 27)]


def test_runs_group_consecutive_days_in_order() -> None:
    days = [d(12, 30), d(12, 24), d(12, 25), d(12, 31), d(1, 1, 2027), d(12, 25), d(12, 28)]
    assert runs(days) == [
        (d(12, 24), d(12, 25)),
        (d(12, 28), d(12, 28)),
        (d(12, 30), d(1, 1, 2027)),
    ]
    assert runs([]) == []


# --- The daily coverage job -------------------------------------------------------------------------------


def test_a_gap_is_found_once_and_notified_once(cast: Cast, make_account: Any, settings: Any) -> None:
    """KAU-RESP-DAILY: owner and deputy both away over Christmas: one gap, one e-mail each to the
    owner, the deputy and the head of unit; a second run finds nothing new and notifies nobody."""
    settings.LANGUAGE_CODE = "en"  # the e-mail's wording is checked below, in English
    account = make_account(name="Institutionens Instagram")
    away(cast, "communicator", d(12, 23), d(12, 27))
    away(cast, "deputy", d(12, 24), d(12, 30))

    assert coverage.check_coverage(now=NOW) == 1
    assert open_gaps(account) == [(d(12, 24), d(12, 27))]
    assert gap_notices(account) == {"communicator": 1, "deputy": 1, "head_of_unit": 1}
    notice = Notification.objects.get(kind="coverage_gap", recipient=cast["communicator"])
    assert "Head Of Unit, the head of unit" in notice.body
    assert (
        "As head of unit"
        in Notification.objects.get(kind="coverage_gap", recipient=cast["head_of_unit"]).body
    )
    assert "Institutionens Instagram" in notice.subject
    assert notice.url == f"/konton/{account.pk}/"
    assert "24 dec 2026–27 dec 2026" in notice.body
    assert "KAU-RESP-DAILY" in notice.body

    assert coverage.check_coverage(now=NOW) == 0
    assert coverage.check_coverage(now=LATER) == 0
    assert CoverageGap.objects.count() == 1
    assert gap_notices(account) == {"communicator": 1, "deputy": 1, "head_of_unit": 1}


def test_nothing_is_found_for_a_covered_day(cast: Cast, make_account: Any) -> None:
    """KAU-RESP-DAILY: the owner away and the deputy at work is a covered day."""
    make_account()
    away(cast, "communicator", d(12, 21), d(1, 3, 2027))
    assert coverage.check_coverage(now=NOW) == 0
    assert not CoverageGap.objects.exists()
    assert not Notification.objects.filter(kind="coverage_gap").exists()


def test_one_deputy_of_two_away_leaves_the_account_covered(cast: Cast, make_account: Any) -> None:
    make_account(deputies=("deputy", "staff"))
    away(cast, "communicator", d(12, 24), d(12, 26))
    away(cast, "deputy", d(12, 24), d(12, 26))
    assert coverage.check_coverage(now=NOW) == 0
    assert not CoverageGap.objects.exists()


def test_a_gap_when_everyone_is_away_over_holidays_and_a_weekend(cast: Cast, make_account: Any) -> None:
    """KAU-RESP-DAILY: nyårsafton, nyårsdagen and the weekend after are days to watch too."""
    account = make_account(deputies=("deputy", "staff"))
    for person in ("communicator", "deputy", "staff"):
        away(cast, person, d(12, 31), d(1, 3, 2027))
    assert coverage.check_coverage(now=NOW) == 1
    assert open_gaps(account) == [(d(12, 31), d(1, 3, 2027))]
    assert gap_notices(account) == {"communicator": 1, "deputy": 1, "staff": 1, "head_of_unit": 1}


def test_a_gap_starting_in_the_next_two_weeks_is_reported_with_its_whole_length(
    cast: Cast, make_account: Any
) -> None:
    """KAU-RESP-DAILY: a gap that starts inside the two-week look-ahead is reported with its real end
    (20 January), not cut at the window's last day; gaps that start later wait for later runs."""
    account = make_account()
    away(cast, "communicator", d(1, 2, 2027), d(1, 20, 2027))
    away(cast, "deputy", d(1, 2, 2027), d(1, 20, 2027))
    away(cast, "communicator", d(2, 1, 2027), d(2, 3, 2027))
    away(cast, "deputy", d(2, 1, 2027), d(2, 3, 2027))
    assert coverage.check_coverage(now=NOW) == 1
    assert open_gaps(account) == [(d(1, 2, 2027), d(1, 20, 2027))]
    # A week later the same gap: same row, no new notification.
    assert coverage.check_coverage(now=NOW + timedelta(days=7)) == 0
    assert open_gaps(account) == [(d(1, 2, 2027), d(1, 20, 2027))]
    assert gap_notices(account) == {"communicator": 1, "deputy": 1, "head_of_unit": 1}


def test_today_is_the_day_in_stockholm(cast: Cast, make_account: Any) -> None:
    """23:30 UTC on 20 December is already 21 December in Stockholm: a gap on the 21st is found."""
    account = make_account()
    away(cast, "communicator", d(12, 21), d(12, 21), now=datetime(2026, 12, 20, 12, tzinfo=UTC))
    away(cast, "deputy", d(12, 21), d(12, 21), now=datetime(2026, 12, 20, 12, tzinfo=UTC))
    assert coverage.check_coverage(now=datetime(2026, 12, 20, 23, 30, tzinfo=UTC)) == 1
    assert open_gaps(account) == [(d(12, 21), d(12, 21))]


def test_separate_runs_of_days_are_separate_gaps(cast: Cast, make_account: Any) -> None:
    account = make_account()
    away(cast, "communicator", d(12, 22), d(1, 3, 2027))
    away(cast, "deputy", d(12, 22), d(12, 23))
    away(cast, "deputy", d(12, 28), d(12, 28))
    assert coverage.check_coverage(now=NOW) == 2
    assert open_gaps(account) == [(d(12, 22), d(12, 23)), (d(12, 28), d(12, 28))]
    assert Notification.objects.filter(kind="coverage_gap", recipient=cast["deputy"]).count() == 2


def test_a_growing_gap_keeps_its_row_and_its_one_notification(cast: Cast, make_account: Any) -> None:
    """KAU-RESP-DAILY: once per gap: the deputy extends the vacation; the gap grows, nobody is told
    twice."""
    account = make_account()
    away(cast, "communicator", d(12, 24), d(12, 31))
    away(cast, "deputy", d(12, 24), d(12, 26))
    assert coverage.check_coverage(now=NOW) == 1
    gap = CoverageGap.objects.get()

    away(cast, "deputy", d(12, 27), d(12, 29))
    assert coverage.check_coverage(now=LATER) == 0
    gap.refresh_from_db()
    assert (gap.starts_on, gap.ends_on, gap.resolved_at) == (d(12, 24), d(12, 29), None)
    assert CoverageGap.objects.count() == 1
    assert gap_notices(account) == {"communicator": 1, "deputy": 1, "head_of_unit": 1}


def test_a_gap_that_grows_earlier_keeps_its_row(cast: Cast, make_account: Any) -> None:
    account = make_account()
    away(cast, "communicator", d(12, 24), d(12, 31))
    away(cast, "deputy", d(12, 26), d(12, 28))
    assert coverage.check_coverage(now=NOW) == 1
    away(cast, "deputy", d(12, 24), d(12, 25))
    assert coverage.check_coverage(now=LATER) == 0
    assert open_gaps(account) == [(d(12, 24), d(12, 28))]
    assert CoverageGap.objects.count() == 1
    assert gap_notices(account) == {"communicator": 1, "deputy": 1, "head_of_unit": 1}


def test_a_gap_that_becomes_covered_is_resolved(cast: Cast, make_account: Any) -> None:
    """The deputy cancels the vacation: the days are covered again, the gap is resolved, no e-mail."""
    account = make_account()
    away(cast, "communicator", d(12, 24), d(12, 27))
    vacation = away(cast, "deputy", d(12, 24), d(12, 27))
    coverage.check_coverage(now=NOW)
    coverage.cancel_absence(vacation, by=cast["deputy"], now=LATER)

    assert coverage.check_coverage(now=LATER) == 0
    gap = CoverageGap.objects.get()
    assert gap.resolved_at == LATER
    assert open_gaps(account) == []
    assert sum(gap_notices(account).values()) == 3


def test_a_gap_found_again_after_it_was_resolved_reuses_its_row(cast: Cast, make_account: Any) -> None:
    account = make_account()
    away(cast, "communicator", d(12, 24), d(12, 27))
    vacation = away(cast, "deputy", d(12, 24), d(12, 27))
    coverage.check_coverage(now=NOW)
    coverage.cancel_absence(vacation, by=cast["deputy"], now=NOW)
    coverage.check_coverage(now=NOW)
    away(cast, "deputy", d(12, 24), d(12, 26))
    assert coverage.check_coverage(now=LATER) == 0
    assert open_gaps(account) == [(d(12, 24), d(12, 26))]
    assert CoverageGap.objects.count() == 1


def test_a_gap_that_is_partly_covered_keeps_its_past_days(cast: Cast, make_account: Any) -> None:
    """A gap that began yesterday and is covered from today keeps the day that went without cover."""
    account = make_account()
    away(cast, "communicator", d(12, 21), d(12, 31))
    vacation = away(cast, "deputy", d(12, 21), d(12, 31))
    coverage.check_coverage(now=NOW)
    coverage.cancel_absence(vacation, by=cast["deputy"], now=LATER)
    coverage.check_coverage(now=LATER)
    gap = CoverageGap.objects.get()
    assert (gap.starts_on, gap.ends_on, gap.resolved_at) == (d(12, 21), d(12, 21), None)
    assert coverage.detail_context(account, user=cast["communicator"], now=LATER)["coverage"]["gaps"] == []


def test_people_no_longer_active_are_unavailable(cast: Cast, make_account: Any) -> None:
    """KAU-RESP-DAILY, KAU-RESP-OWNER: a deputy who has left covers nothing; the e-mail goes to the
    owner and the head (not to the person who has left)."""
    account = make_account()
    User.objects.filter(pk=cast["deputy"].pk).update(is_active=False)
    away(cast, "communicator", d(12, 28), d(12, 29))
    assert coverage.check_coverage(now=NOW) == 1
    assert open_gaps(account) == [(d(12, 28), d(12, 29))]
    assert gap_notices(account) == {"communicator": 1, "head_of_unit": 1}


def test_cancelled_absences_are_left_out(cast: Cast, make_account: Any) -> None:
    active = make_account()
    away(cast, "communicator", d(12, 24), d(12, 24))
    coverage.cancel_absence(away(cast, "deputy", d(12, 24), d(12, 24)), by=cast["deputy"], now=NOW)
    assert coverage.check_coverage(now=NOW) == 0
    assert open_gaps(active) == []


def test_the_open_gaps_of_a_closed_account_are_resolved(cast: Cast, make_account: Any) -> None:
    account = make_account()
    away(cast, "communicator", d(12, 24), d(12, 24))
    away(cast, "deputy", d(12, 24), d(12, 24))
    coverage.check_coverage(now=NOW)
    Account.objects.filter(pk=account.pk).update(status=Account.Status.CLOSED, closed_at=NOW)
    coverage.check_coverage(now=LATER)
    assert CoverageGap.objects.get().resolved_at == LATER


@pytest.mark.parametrize("status", [Account.Status.PAUSED, Account.Status.CLOSING])
def test_paused_accounts_and_accounts_being_closed_are_still_watched(
    cast: Cast, make_account: Any, status: str
) -> None:
    """KAU-RESP-DAILY, KAU-CLOSE: comments stay open until someone confirms otherwise."""
    account = make_account(unit="other", owner="other_head", deputies=("outsider",))
    Account.objects.filter(pk=account.pk).update(status=status)
    away(cast, "other_head", d(12, 24), d(12, 26))
    away(cast, "outsider", d(12, 24), d(12, 26))
    assert coverage.check_coverage(now=NOW) == 1
    assert open_gaps(account) == [(d(12, 24), d(12, 26))]


def test_the_head_above_is_told_when_the_unit_has_no_head(cast: Cast, make_account: Any) -> None:
    """KAU-RESP-MANAGER: the nearest head above answers for a unit without one."""
    from governance import services as governance_services

    governance_services.set_unit_head(cast.units["department"], head=None, by=None)
    account = make_account()
    away(cast, "communicator", d(12, 24), d(12, 24))
    away(cast, "deputy", d(12, 24), d(12, 24))
    coverage.check_coverage(now=NOW)
    assert gap_notices(account) == {"communicator": 1, "deputy": 1, "dean": 1}


def _queries(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as context:
        call()
    return len(context.captured_queries)


def test_the_job_reads_in_a_fixed_number_of_queries(cast: Cast, make_account: Any) -> None:
    """The query count does not grow with the number of accounts, covered or with known gaps."""
    away(cast, "communicator", d(12, 24), d(12, 26))

    def add(count: int, *, gap: bool) -> None:
        for _ in range(count):
            deputies = ("deputy",) if gap else ("deputy", "staff")
            make_account(deputies=deputies)
        if gap and not Absence.objects.filter(person=cast["deputy"]).exists():
            away(cast, "deputy", d(12, 25), d(12, 25))

    add(3, gap=False)
    small = _queries(lambda: coverage.check_coverage(now=NOW))
    add(20, gap=False)
    large = _queries(lambda: coverage.check_coverage(now=NOW))
    assert small == large <= 6

    # With gaps already known (the second run of the day), the same again.
    add(3, gap=True)
    coverage.check_coverage(now=NOW)
    small = _queries(lambda: coverage.check_coverage(now=NOW))
    add(20, gap=True)
    coverage.check_coverage(now=NOW)
    large = _queries(lambda: coverage.check_coverage(now=NOW))
    assert CoverageGap.objects.count() == 23
    assert small == large <= 6
    # And a day later, when every known gap changes, one more statement updates them all.
    changed = _queries(lambda: coverage.check_coverage(now=datetime(2026, 12, 26, 5, tzinfo=UTC)))
    assert changed <= large + 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_write_one_gap_and_notify_once(cast: Cast, make_account: Any) -> None:
    """KAU-RESP-DAILY: beat and a retried task at the same moment: the unique (account, first day)
    lets one run write the gap with its notifications; the other writes nothing."""
    account = make_account()
    away(cast, "communicator", d(12, 24), d(12, 27))
    away(cast, "deputy", d(12, 24), d(12, 27))

    def check() -> int:
        return coverage.check_coverage(now=NOW)

    results = run_in_threads(check, check)
    assert sorted(results) == [0, 1]
    assert CoverageGap.objects.count() == 1
    assert gap_notices(account) == {"communicator": 1, "deputy": 1, "head_of_unit": 1}


# --- Owner, deputies and major changes --------------------------------------------------------------------


def test_the_head_changes_owner_and_deputies_with_history(cast: Cast, make_account: Any) -> None:
    """KAU-RESP-OWNER, KAU-STARTPAGE: a new owner is a major change; one history row names who made
    the change and holds the new deputies."""
    account = make_account()
    rows_before = account.history.count()
    people.change_people(
        account, owner=cast["deputy"], deputies=[cast["staff"]], by=cast["head_of_unit"], now=NOW
    )
    account.refresh_from_db()
    assert account.owner == cast["deputy"]
    assert list(account.deputies.all()) == [cast["staff"]]
    assert account.startpage_needed_since == NOW
    assert account.history.count() == rows_before + 1
    latest = account.history.first()
    assert latest.history_user == cast["head_of_unit"]
    assert latest.owner_id == cast["deputy"].pk
    assert "owner changed" in latest.history_change_reason
    assert [row.user_id for row in latest.deputies.all()] == [cast["staff"].pk]


def test_a_change_of_deputies_alone_is_not_a_major_change(cast: Cast, make_account: Any) -> None:
    account = make_account()
    people.change_people(
        account,
        owner=cast["communicator"],
        deputies=[cast["deputy"], cast["staff"]],
        by=cast["social_media_lead"],
        now=NOW,
    )
    account.refresh_from_db()
    assert account.startpage_needed_since is None
    assert set(account.deputies.all()) == {cast["deputy"], cast["staff"]}
    assert account.history.first().history_user == cast["social_media_lead"]


def test_a_screenshot_still_awaited_keeps_its_date(cast: Cast, make_account: Any) -> None:
    """KAU-STARTPAGE: a second major change before the screenshot keeps the first date, so the registry
    shows how long it has been awaited; after a screenshot, a new change asks again."""
    account = make_account()
    people.change_details(account, name="Nytt namn", handle=account.handle, url="", by=cast["dean"], now=NOW)
    people.change_people(account, owner=cast["staff"], deputies=[cast["deputy"]], by=cast["dean"], now=LATER)
    account.refresh_from_db()
    assert account.startpage_needed_since == NOW
    Account.objects.filter(pk=account.pk).update(last_startpage_at=LATER + timedelta(hours=1))
    account.refresh_from_db()
    later_still = LATER + timedelta(days=1)
    people.change_details(account, name="Nyare namn", handle="", url="", by=cast["dean"], now=later_still)
    account.refresh_from_db()
    assert account.startpage_needed_since == later_still


@pytest.mark.parametrize(
    "person", ["communicator", "deputy", "other_head", "communications", "registrar", "outsider"]
)
def test_only_the_head_above_and_the_lead_may_change_people(
    cast: Cast, make_account: Any, person: str
) -> None:
    """KAU-RESP-MANAGER: the owner, the deputies, other heads and the communications department may not."""
    account = make_account()
    with pytest.raises(PermissionDenied):
        people.change_people(
            account, owner=cast["staff"], deputies=[cast["deputy"]], by=cast[person], now=NOW
        )
    with pytest.raises(PermissionDenied):
        people.change_details(account, name="X", handle="", url="", by=cast[person], now=NOW)
    account.refresh_from_db()
    assert account.owner == cast["communicator"]
    assert account.name != "X"


@pytest.mark.parametrize("person", ["head_of_unit", "dean", "social_media_lead"])
def test_the_head_of_the_unit_or_above_and_the_lead_may(cast: Cast, make_account: Any, person: str) -> None:
    account = make_account()
    people.change_people(account, owner=cast["staff"], deputies=[cast["deputy"]], by=cast[person], now=NOW)
    account.refresh_from_db()
    assert account.owner == cast["staff"]


@pytest.mark.parametrize(
    ("owner", "deputies", "field"),
    [
        ("communicator", [], "deputies"),
        ("communicator", ["communicator"], "deputies"),
        ("communicator", ["communicator", "deputy"], "deputies"),
        ("outsider", ["deputy"], "owner"),  # made inactive below
        ("communicator", ["outsider"], "deputies"),
    ],
)
def test_owner_and_deputies_are_checked(
    cast: Cast, make_account: Any, owner: str, deputies: list[str], field: str
) -> None:
    """KAU-RESP-OWNER: always at least one deputy, the owner is not a deputy, all are active."""
    account = make_account()
    User.objects.filter(pk=cast["outsider"].pk).update(is_active=False)
    cast["outsider"].is_active = False
    with pytest.raises(ValidationError) as error:
        people.change_people(
            account, owner=cast[owner], deputies=[cast[p] for p in deputies], by=cast["head_of_unit"], now=NOW
        )
    assert field in error.value.message_dict
    account.refresh_from_db()
    assert (account.owner, list(account.deputies.all())) == (cast["communicator"], [cast["deputy"]])


def test_rename_and_new_handle_are_major_changes_but_a_new_address_is_not(
    cast: Cast, make_account: Any
) -> None:
    """KAU-STARTPAGE: "before major changes": a rename or a new handle asks for a new screenshot."""
    account = make_account()
    change(account, url="https://x.example/a", by=cast["dean"])
    account.refresh_from_db()
    assert (account.url, account.startpage_needed_since) == ("https://x.example/a", None)
    assert account.history.first().history_user == cast["dean"]

    change(account, handle="nytt_kau", by=cast["dean"])
    account.refresh_from_db()
    assert (account.handle, account.startpage_needed_since) == ("nytt_kau", NOW)


def test_a_handle_taken_by_another_open_account_is_refused(cast: Cast, make_account: Any) -> None:
    first = make_account(handle="taget_kau")
    second = make_account()
    with pytest.raises(ValidationError) as error:
        change(second, handle=first.handle, url="", by=cast["head_of_unit"])
    assert "handle" in error.value.message_dict


def test_a_closed_account_is_not_changed(cast: Cast, make_account: Any) -> None:
    """KAU-PUBLIC-RECORD: a closed account stays as it was."""
    account = make_account(status=Account.Status.CLOSED)
    with pytest.raises(ValidationError):
        people.change_details(account, name="Nytt", handle="", url="", by=cast["social_media_lead"], now=NOW)


# --- Absences ---------------------------------------------------------------------------------------------


def test_recording_an_absence_warns_of_the_days_without_cover(cast: Cast, make_account: Any) -> None:
    """Journey 6, KAU-RESP-DAILY: the warning covers the whole absence, not only two weeks ahead."""
    summer = make_account(name="Sommarkontot")
    make_account(name="Täckta kontot", deputies=("deputy", "staff"))
    away(cast, "communicator", d(7, 6, 2027), d(7, 19, 2027))
    absence, warnings = absence_of(
        cast["deputy"], d(6, 28, 2027), d(8, 8, 2027), now=NOW, kind=Absence.Kind.LEAVE, note="Föräldraledig"
    )
    assert absence.pk is not None
    assert absence.created_by == cast["deputy"]
    assert absence.history.first().history_user == cast["deputy"]
    assert [(w.account, w.runs) for w in warnings] == [(summer, [(d(7, 6, 2027), d(7, 19, 2027))])]
    assert warnings[0].described_runs == ["6 jul 2027–19 jul 2027"]
    assert not CoverageGap.objects.exists()  # the daily job writes gaps; the warning is at once


def test_the_lead_may_record_anyones_absence_and_nobody_else(cast: Cast) -> None:
    absence_of(cast["deputy"], d(12, 24), d(12, 24), now=NOW, by=cast["social_media_lead"])
    with pytest.raises(PermissionDenied):
        absence_of(cast["deputy"], d(12, 24), d(12, 24), now=NOW, by=cast["head_of_unit"])
    assert Absence.objects.count() == 1


@pytest.mark.parametrize(
    ("first", "last", "kind", "field"),
    [
        (d(12, 28), d(12, 24), "vacation", "ends_on"),
        (d(12, 1), d(12, 20), "vacation", "ends_on"),  # already over
        (d(12, 24), d(12, 24), "sabbatical", "kind"),
    ],
)
def test_an_absence_is_checked(cast: Cast, first: date, last: date, kind: str, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        absence_of(cast["deputy"], first, last, now=NOW, kind=kind)
    assert field in error.value.message_dict
    assert not Absence.objects.exists()


@pytest.mark.parametrize(
    ("first", "last", "fields"),
    [
        (date(1, 1, 1), date(9999, 12, 31), {"starts_on", "ends_on"}),
        (date(1, 1, 1), d(12, 31), {"starts_on"}),
        (d(12, 24), date(9999, 12, 31), {"ends_on"}),
        (d(12, 21) - timedelta(days=2 * 366 + 1), d(12, 31), {"starts_on"}),  # more than two years back
        (d(12, 24), d(12, 24, 2028), {"ends_on"}),  # 732 days: longer than two years
    ],
    ids=["year-1-to-9999", "from-year-1", "to-9999", "begun-long-ago", "longer-than-two-years"],
)
def test_kau_resp_daily_an_absence_out_of_bounds_is_refused_on_its_days(
    cast: Cast, first: date, last: date, fields: set[str]
) -> None:
    """KAU-RESP-DAILY: an absence lies from two years back to three years ahead and lasts at most two
    years (core.bounds); from year 1 to 9999 it was millions of days to check for cover."""
    with pytest.raises(ValidationError) as error:
        absence_of(cast["deputy"], first, last, now=NOW)
    assert set(error.value.message_dict) == fields
    assert not Absence.objects.exists()


def count_spans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on, how many days each call of coverage.days_between spans, in order."""
    spans: list[int] = []
    days_between = coverage.days_between

    def counting(first: date, last: date) -> list[date]:
        days = days_between(first, last)
        spans.append(len(days))
        return days

    monkeypatch.setattr(coverage, "days_between", counting)
    return spans


def test_kau_resp_daily_the_longest_absence_checks_two_years_of_days(
    cast: Cast, make_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cover of the longest absence taken is checked over its own days, at most two years of them."""
    make_account()  # the deputy deputises for it
    spans = count_spans(monkeypatch)
    absence, _warnings = absence_of(
        cast["deputy"],
        d(12, 24),
        d(12, 24) + timedelta(days=730),
        now=NOW,
        kind="leave",
        note="Föräldraledig",
    )
    assert absence.pk is not None
    assert spans == [731]


def test_kau_resp_daily_an_absence_stored_before_the_bounds_is_warned_of_over_two_years_at_most(
    cast: Cast, make_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An absence from year 1 to 9999, stored before there were bounds, costs what the longest absence
    taken costs when its page shows the days without cover."""
    make_account()
    absence = Absence.objects.create(
        person=cast["deputy"],
        starts_on=date(1, 1, 1),
        ends_on=date(9999, 12, 31),
        kind="leave",
        created_by=None,
    )
    spans = count_spans(monkeypatch)
    coverage.absence_warnings(absence, now=NOW)
    assert spans == [731]


def test_a_cancelled_absence_is_kept(cast: Cast) -> None:
    """KAU-PUBLIC-RECORD: an absence explains a gap; cancelling keeps the row."""
    absence = away(cast, "deputy", d(12, 24), d(12, 26))
    with pytest.raises(PermissionDenied):
        coverage.cancel_absence(absence, by=cast["communicator"], now=NOW)
    coverage.cancel_absence(absence, by=cast["deputy"], now=LATER)
    absence.refresh_from_db()
    assert absence.cancelled_at == LATER
    assert absence.history.first().history_user == cast["deputy"]
    coverage.cancel_absence(absence, by=cast["deputy"], now=LATER + timedelta(hours=1))  # twice: no change
    absence.refresh_from_db()
    assert absence.cancelled_at == LATER


def test_an_absence_that_has_ended_cannot_be_cancelled(cast: Cast) -> None:
    absence = away(cast, "deputy", d(12, 21), d(12, 22))
    with pytest.raises(ValidationError):
        coverage.cancel_absence(absence, by=cast["deputy"], now=datetime(2026, 12, 23, 12, tzinfo=UTC))
    absence.refresh_from_db()
    assert absence.cancelled_at is None


# --- People who leave -------------------------------------------------------------------------------------


def departure_notices() -> list[tuple[str, str]]:
    return sorted(
        (row.key.rsplit(":", 1)[0], row.recipient.username if row.recipient else row.email)
        for row in Notification.objects.filter(kind="person_deactivated").select_related("recipient")
    )


def test_a_person_who_left_is_reported_once_per_account_and_person(cast: Cast, make_account: Any) -> None:
    """KAU-RESP-OWNER: the head of unit and the social media lead are told, once per (account, person)."""
    first = make_account()
    second = make_account(unit="other", owner="other_head", deputies=("deputy",))
    make_account(owner="staff", deputies=("communicator",))  # nobody has left here
    User.objects.filter(pk=cast["deputy"].pk).update(is_active=False)

    assert people.flag_deactivated_people(now=NOW) == 2
    person = cast["deputy"].pk
    assert departure_notices() == [
        (f"person-left:{first.pk}:{person}", "head_of_unit"),
        (f"person-left:{first.pk}:{person}", "social_media_lead"),
        (f"person-left:{second.pk}:{person}", "other_head"),
        (f"person-left:{second.pk}:{person}", "social_media_lead"),
    ]
    body = Notification.objects.filter(kind="person_deactivated").first()
    assert body is not None
    assert "KAU-RESP-OWNER" in body.body
    assert people.flag_deactivated_people(now=LATER) == 0
    assert len(departure_notices()) == 4


def test_an_owner_who_left_is_reported_too(cast: Cast, make_account: Any) -> None:
    account = make_account()
    User.objects.filter(pk=cast["communicator"].pk).update(is_active=False)
    assert people.flag_deactivated_people(now=NOW) == 1
    assert {who for _key, who in departure_notices()} == {"head_of_unit", "social_media_lead"}
    assert f"person-left:{account.pk}:{cast['communicator'].pk}" in departure_notices()[0][0]


def test_the_hourly_job_reads_in_a_fixed_number_of_queries(cast: Cast, make_account: Any) -> None:
    User.objects.filter(pk=cast["deputy"].pk).update(is_active=False)
    make_account()
    people.flag_deactivated_people(now=NOW)
    small = _queries(lambda: people.flag_deactivated_people(now=NOW))
    for _ in range(10):
        make_account()
    people.flag_deactivated_people(now=NOW)
    large = _queries(lambda: people.flag_deactivated_people(now=NOW))
    assert small == large


def test_deactivating_a_person_reports_their_accounts_at_once(cast: Cast, make_account: Any) -> None:
    """KAU-RESP-OWNER: deactivated the same day they leave, reported at once; history says who."""
    account = make_account()
    make_account(owner="staff", deputies=("communicator",))
    admin = User.objects.create_user(username="admin", email="admin@example.se", is_staff=True)
    with pytest.raises(PermissionDenied):
        people.deactivate_person(cast["deputy"], by=cast["head_of_unit"], now=NOW)
    people.deactivate_person(cast["deputy"], by=admin, now=NOW)
    person = User.objects.get(pk=cast["deputy"].pk)
    assert not person.is_active
    assert person.history.first().history_user == admin
    assert departure_notices() == [
        (f"person-left:{account.pk}:{person.pk}", "head_of_unit"),
        (f"person-left:{account.pk}:{person.pk}", "social_media_lead"),
    ]
    assert people.flag_deactivated_people(now=NOW) == 0


# --- The account page and the start page ----------------------------------------------------------------


def test_the_account_page_shows_gaps_absences_and_links_for_those_who_manage(
    cast: Cast, make_account: Any, django_assert_max_num_queries: Any
) -> None:
    account = make_account(name="Institutionens konto")
    away(cast, "communicator", d(12, 24), d(12, 27))
    away(cast, "deputy", d(12, 24), d(12, 25))
    coverage.check_coverage(now=NOW)

    head = User.objects.get(pk=cast["head_of_unit"].pk)
    with django_assert_max_num_queries(5):
        context = coverage.detail_context(account, user=head, now=NOW)["coverage"]
    assert [(gap.starts_on, gap.ends_on) for gap in context["gaps"]] == [(d(12, 24), d(12, 25))]
    assert [absence.person for absence in context["absences"]] == [cast["communicator"], cast["deputy"]]
    assert context["can_manage"] is True
    html = render_to_string("accounts/includes/coverage.html", {"coverage": context})
    assert f"/konton/{account.pk}/ansvariga/" in html
    assert f"/konton/{account.pk}/uppgifter/" in html
    assert "24 dec 2026" in html

    owner_view = coverage.detail_context(account, user=cast["communicator"], now=NOW)["coverage"]
    assert owner_view["can_manage"] is False
    assert "/ansvariga/" not in render_to_string("accounts/includes/coverage.html", {"coverage": owner_view})


def test_the_start_page_lists_gaps_for_owner_deputy_and_heads_only(cast: Cast, make_account: Any) -> None:
    account = make_account(name="Institutionens konto")
    away(cast, "communicator", d(12, 24), d(12, 24))
    away(cast, "deputy", d(12, 24), d(12, 24))
    coverage.check_coverage(now=NOW)
    for person in ("communicator", "deputy", "head_of_unit", "dean"):
        section = coverage.todo_gaps(cast[person], NOW)
        assert section is not None, person
        assert [gap.account for gap in section.rows] == [account]
        assert "Institutionens konto" in render_to_string(section.template, {"rows": section.rows})
    for person in ("other_head", "outsider", "communications"):
        assert coverage.todo_gaps(cast[person], NOW) is None, person
    # Once the days have passed, the gap leaves the start page.
    assert coverage.todo_gaps(cast["communicator"], datetime(2026, 12, 26, 9, tzinfo=UTC)) is None


def test_the_account_page_names_people_who_have_left(cast: Cast, make_account: Any) -> None:
    """KAU-RESP-OWNER: a deputy who has left is named on the account page until replaced."""
    account = make_account()
    User.objects.filter(pk=cast["deputy"].pk).update(is_active=False)
    context = coverage.detail_context(account, user=cast["social_media_lead"], now=NOW)["coverage"]
    assert [person.pk for person in context["inactive"]] == [cast["deputy"].pk]
    html = render_to_string("accounts/includes/coverage.html", {"coverage": context})
    assert "Deputy" in html
    assert "KAU-RESP-OWNER" in html


def test_a_rename_asks_for_the_sender_to_be_confirmed_again(cast: Cast, make_account: Any) -> None:
    """KAU-SENDER: the confirmation vouched for the old name; a new name needs its own."""
    from accounts import services

    account = make_account()
    services.confirm_sender(account.pk, by=cast["communicator"], now=NOW)
    change(account, name="Privat grej", by=cast["head_of_unit"], now=LATER)
    account.refresh_from_db()
    assert (account.sender_confirmed_at, account.sender_confirmed_by) == (None, None)
    assert account.startpage_needed_since == LATER


def test_automatic_start_page_capture_is_switched_through_the_details_with_history(
    cast: Cast, make_account: Any
) -> None:
    """KAU-STARTPAGE: whether Kanalvakt captures the start page itself is one of the account's details,
    changed by those who manage it, kept in the history; it is not a major change."""
    account = make_account(url="https://x.example/konto")
    change(account, capture_start_page=True, by=cast["head_of_unit"])
    account.refresh_from_db()
    assert (account.capture_start_page, account.startpage_needed_since) == (True, None)
    latest = account.history.first()
    assert (latest.history_user, latest.history_change_reason) == (
        cast["head_of_unit"],
        "start-page capture changed",
    )
    # Left out, it stays as it is.
    change(account, name="Nytt namn", by=cast["dean"])
    account.refresh_from_db()
    assert account.capture_start_page is True
    with pytest.raises(PermissionDenied):
        change(account, capture_start_page=False, by=cast["communicator"])
