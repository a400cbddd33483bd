"""The half-yearly start-page rule end to end (KAU-STARTPAGE, KAU-CLOSE): recording a kept screenshot
on the account, the daily job that flags, captures and reminds once, the grace period before the
deputies and the head are told, a major change making it due again, and closing refused until the
final screenshot exists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import closing, followup, people
from accounts.flags import raised, with_flags
from accounts.models import Account
from archive import startpage
from archive.models import CaptureAttempt, LedgerEntry, Screenshot
from core.images import ImageRefused
from core.models import InstitutionSettings, Notification
from tests.archive.startpage_support import (  # noqa: F401 (fixtures)
    NOW,
    media_root_fixture,
    png,
    start_page_server_fixture,
)
from tests.conftest import Cast

GRACE = timedelta(days=InstitutionSettings._meta.get_field("startpage_grace_days").default)


def flagged(account: Account, *, now: Any = NOW) -> bool:
    """Whether the registry shows the KAU-STARTPAGE flag on ``account`` at ``now``."""
    fresh = with_flags(Account.objects.filter(pk=account.pk), now=now).get()
    return "KAU-STARTPAGE" in [flag.rule for flag in raised(fresh)]


@pytest.fixture
def account(make_account: Any) -> Account:
    """An account of the department, registered at NOW, with no start page yet: communicator owns
    it, deputy deputises, head_of_unit heads the unit."""
    made: Account = make_account()
    Account.objects.filter(pk=made.pk).update(created_at=NOW)
    made.refresh_from_db()
    return made


def upload(
    account: Account, cast: Cast, *, at: Any = NOW, by: str = "communicator", **extra: Any
) -> Screenshot:
    return startpage.record_startpage_screenshot(
        account, data=png(**extra), by=cast[by], now=NOW if at <= NOW else at, taken_at=at
    )


def keys(prefix: str) -> set[str]:
    return set(Notification.objects.filter(key__startswith=prefix).values_list("key", flat=True))


# --- Recording a screenshot ---------------------------------------------------------------------------


def test_an_uploaded_start_page_is_kept_and_recorded_on_the_account(cast: Cast, account: Account) -> None:
    """KAU-STARTPAGE: the screenshot is the proof; the account's last start page is when it was taken."""
    assert flagged(account)
    taken = NOW - timedelta(hours=2)
    shot = upload(account, cast, at=taken)
    assert (shot.purpose, shot.source, shot.taken_by, shot.taken_at) == (
        Screenshot.Purpose.STARTPAGE,
        Screenshot.Source.UPLOAD,
        cast["communicator"],
        taken,
    )
    assert shot.stamped
    assert shot.stamped_sha256
    assert LedgerEntry.objects.filter(path=shot.image.name).exists()
    account.refresh_from_db()
    assert account.last_startpage_at == taken
    latest = account.history.latest("history_date")
    assert (latest.history_user, latest.history_change_reason) == (
        cast["communicator"],
        "start-page screenshot recorded",
    )
    assert not flagged(account)


def test_a_screenshot_after_a_major_change_answers_it_one_before_does_not(
    cast: Cast, account: Account
) -> None:
    """KAU-STARTPAGE: a new owner, name or handle asks for a screenshot taken after the change."""
    people.change_details(
        account, name="Nytt namn", handle=account.handle, url="", by=cast["head_of_unit"], now=NOW
    )
    account.refresh_from_db()
    assert account.startpage_needed_since == NOW
    upload(account, cast, at=NOW - timedelta(minutes=5))
    account.refresh_from_db()
    assert account.startpage_needed_since == NOW
    assert flagged(account, now=NOW + timedelta(hours=1))
    upload(account, cast, at=NOW + timedelta(minutes=5), colour=(10, 200, 10))
    account.refresh_from_db()
    assert account.startpage_needed_since is None
    assert account.last_startpage_at == NOW + timedelta(minutes=5)
    assert not flagged(account, now=NOW + timedelta(hours=1))


def test_an_older_screenshot_recorded_late_never_hides_a_newer_one(cast: Cast, account: Account) -> None:
    """KAU-STARTPAGE: the last start-page screenshot only moves forward."""
    upload(account, cast, at=NOW)
    upload(account, cast, at=NOW - timedelta(days=300), colour=(1, 2, 3))
    account.refresh_from_db()
    assert account.last_startpage_at == NOW
    assert Screenshot.objects.filter(account=account, purpose=Screenshot.Purpose.STARTPAGE).count() == 2


def test_a_screenshot_taken_in_the_future_is_refused_and_nothing_is_kept(
    cast: Cast, account: Account
) -> None:
    with pytest.raises(ValidationError) as refused:
        startpage.record_startpage_screenshot(
            account, data=png(), by=cast["communicator"], now=NOW, taken_at=NOW + timedelta(minutes=1)
        )
    assert set(refused.value.message_dict) == {"taken_at"}
    assert not Screenshot.objects.exists()
    assert Account.objects.get(pk=account.pk).last_startpage_at is None


def test_a_refused_image_keeps_nothing_and_records_nothing(cast: Cast, account: Account) -> None:
    with pytest.raises(ImageRefused):
        startpage.record_startpage_screenshot(account, data=b"<svg></svg>", by=cast["deputy"], now=NOW)
    assert not Screenshot.objects.exists()
    assert Account.objects.get(pk=account.pk).last_startpage_at is None


@pytest.mark.parametrize(
    "person", ["head_of_unit", "dean", "communications", "social_media_lead", "registrar", "outsider"]
)
def test_only_the_owner_and_deputies_record_a_start_page(cast: Cast, account: Account, person: str) -> None:
    """KAU-STARTPAGE: the account owner takes the screenshot (deputies stand in); others only see it."""
    with pytest.raises(PermissionDenied):
        startpage.record_startpage_screenshot(account, data=png(), by=cast[person], now=NOW)
    assert not Screenshot.objects.exists()


def test_a_deputy_records_a_start_page(cast: Cast, account: Account) -> None:
    upload(account, cast, by="deputy")
    assert Account.objects.get(pk=account.pk).last_startpage_at == NOW


def test_a_closed_account_takes_no_start_page(cast: Cast, make_account: Any) -> None:
    """KAU-CLOSE: nothing more is asked of a closed account."""
    closed = make_account(status="closed", now=NOW)
    with pytest.raises(ValidationError):
        startpage.record_startpage_screenshot(closed, data=png(), by=cast["communicator"], now=NOW)
    assert not Screenshot.objects.exists()


def test_the_registry_records_only_a_start_page_of_the_same_account(
    cast: Cast, account: Account, make_account: Any
) -> None:
    """The write path takes a kept start-page screenshot of this account, nothing else: an evidence
    picture or another account's start page is no proof (KAU-STARTPAGE)."""
    from accounts import services
    from archive.services import store_screenshot

    other = make_account()
    evidence = store_screenshot(
        account, data=png(), purpose=Screenshot.Purpose.EVIDENCE, by=cast["communicator"], now=NOW
    )
    elsewhere = store_screenshot(
        other, data=png(colour=(9, 9, 9)), purpose=Screenshot.Purpose.STARTPAGE, by=None, now=NOW
    )
    for shot in (evidence, elsewhere):
        with pytest.raises(ValidationError):
            services.record_startpage(account.pk, screenshot=shot, by=cast["communicator"], now=NOW)
    # Without a person, only Kanalvakt's own capture is recorded.
    uploaded = store_screenshot(
        account, data=png(colour=(7, 7, 7)), purpose=Screenshot.Purpose.STARTPAGE, by=None, now=NOW
    )
    with pytest.raises(PermissionDenied):
        services.record_startpage(account.pk, screenshot=uploaded, by=None, now=NOW)
    assert Account.objects.get(pk=account.pk).last_startpage_at is None


# --- When a start page is due -------------------------------------------------------------------------


def test_due_follows_the_registry_flag_to_the_minute(cast: Cast, account: Account) -> None:
    """KAU-STARTPAGE: the job's "due" is the flag's rule; an interval is calendar months in Stockholm."""
    six_months_before = NOW.replace(month=5)
    Account.objects.filter(pk=account.pk).update(last_startpage_at=six_months_before)
    account.refresh_from_db()
    state = startpage.due_state(account, now=NOW, interval_months=6)
    assert not state.due
    assert not flagged(account)
    assert state.next_due_at == NOW
    later = NOW + timedelta(minutes=1)
    state = startpage.due_state(account, now=later, interval_months=6)
    assert state.due
    assert flagged(account, now=later)
    assert state.due_at == NOW
    assert list(startpage.due_accounts(now=NOW, interval_months=6)) == []
    assert list(startpage.due_accounts(now=later, interval_months=6)) == [account]


# --- The daily job ------------------------------------------------------------------------------------


def test_the_job_reminds_the_owner_once_and_the_flag_stays_until_a_screenshot(
    cast: Cast, account: Account
) -> None:
    """KAU-STARTPAGE: no screenshot yet and no automatic capture: the owner is reminded, once."""
    assert startpage.check_startpages(now=NOW) == 1
    reminded = Notification.objects.get(key__startswith=f"startpage:{account.pk}:")
    assert (reminded.recipient, reminded.kind) == (cast["communicator"], "startpage_due")
    assert reminded.url == reverse("archive:startpage", args=[account.pk])
    assert account.name in reminded.body
    assert not CaptureAttempt.objects.exists()  # the account does not allow automatic capture
    # A second run the same day, and the next day, sends nothing; the flag stays raised.
    assert startpage.check_startpages(now=NOW + timedelta(hours=3)) == 0
    assert startpage.check_startpages(now=NOW + timedelta(days=1)) == 0
    assert Notification.objects.count() == 1
    assert flagged(account, now=NOW + timedelta(days=1))
    # A screenshot answers it: the flag clears and the job has nothing to say.
    upload(account, cast, at=NOW + timedelta(days=1, hours=1))
    assert not flagged(account, now=NOW + timedelta(days=2))
    assert startpage.check_startpages(now=NOW + timedelta(days=2)) == 0
    assert Notification.objects.count() == 1


def test_after_the_grace_period_the_deputies_and_the_head_are_told_once(cast: Cast, account: Account) -> None:
    """KAU-STARTPAGE, KAU-RESP-MANAGER: the owner first; the deputies and the head after the grace period."""
    startpage.check_startpages(now=NOW)
    assert startpage.check_startpages(now=NOW + GRACE - timedelta(minutes=1)) == 0
    assert not keys("startpage-overdue:")
    assert startpage.check_startpages(now=NOW + GRACE) == 2
    told = Notification.objects.filter(key__startswith="startpage-overdue:")
    assert {n.recipient for n in told} == {cast["deputy"], cast["head_of_unit"]}
    assert {n.kind for n in told} == {"startpage_overdue"}
    assert startpage.check_startpages(now=NOW + GRACE + timedelta(hours=1)) == 0
    assert startpage.check_startpages(now=NOW + GRACE + timedelta(days=3)) == 0
    assert Notification.objects.filter(recipient=cast["communicator"]).count() == 1


def test_an_account_long_overdue_when_first_seen_tells_the_others_on_the_next_run(
    cast: Cast, account: Account
) -> None:
    """The grace period counts from the due moment; the owner is always told first."""
    Account.objects.filter(pk=account.pk).update(created_at=NOW - timedelta(days=200))
    assert startpage.check_startpages(now=NOW) == 1
    assert not keys("startpage-overdue:")
    assert startpage.check_startpages(now=NOW + timedelta(days=1)) == 2
    assert startpage.check_startpages(now=NOW + timedelta(days=2)) == 0


def test_the_grace_period_is_the_institutions(cast: Cast, account: Account) -> None:
    InstitutionSettings.objects.get_solo()
    InstitutionSettings.objects.filter(pk=1).update(startpage_grace_days=3)
    startpage.check_startpages(now=NOW)
    assert startpage.check_startpages(now=NOW + timedelta(days=3)) == 2


def test_a_major_change_makes_the_start_page_due_again(cast: Cast, account: Account) -> None:
    """KAU-STARTPAGE: after an answered reminder, a rename opens a new cycle with its own reminder."""
    startpage.check_startpages(now=NOW)
    upload(account, cast, at=NOW + timedelta(hours=1))
    assert startpage.check_startpages(now=NOW + timedelta(days=1)) == 0
    changed_at = NOW + timedelta(days=10)
    people.change_details(
        account, name=account.name, handle="nytt_kau", url="", by=cast["social_media_lead"], now=changed_at
    )
    assert flagged(account, now=changed_at)
    assert startpage.check_startpages(now=changed_at + timedelta(hours=1)) == 1
    cycles = keys(f"startpage:{account.pk}:")
    assert len(cycles) == 2  # one reminder per cycle, each cycle named by its due moment
    assert startpage.check_startpages(now=changed_at + timedelta(days=1)) == 0


def test_closed_accounts_are_left_alone(cast: Cast, make_account: Any) -> None:
    make_account(status="closed", now=NOW)
    assert startpage.check_startpages(now=NOW) == 0
    assert not Notification.objects.exists()


def test_the_job_costs_the_same_queries_however_many_accounts_are_due(cast: Cast, make_account: Any) -> None:
    """One indexed query for the due accounts, in batches; a run with nothing new to say makes the
    same few queries at two sizes."""

    def run() -> int:
        with CaptureQueriesContext(connection) as queries:
            startpage.check_startpages(now=NOW, batch=50)
        return len(queries.captured_queries)

    for _ in range(2):
        make_account()
    startpage.check_startpages(now=NOW)
    small = run()
    for _ in range(6):
        make_account()
    startpage.check_startpages(now=NOW)
    assert run() == small
    assert Notification.objects.filter(kind="startpage_due").count() == 8


def test_the_job_reads_every_due_account_across_batches(cast: Cast, make_account: Any) -> None:
    made = [make_account() for _ in range(5)]
    assert startpage.check_startpages(now=NOW, batch=2) == 5
    assert {n.key.split(":")[1] for n in Notification.objects.all()} == {str(a.pk) for a in made}


# --- Automatic capture (real Chromium) -----------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_job_captures_a_public_start_page(cast: Cast, account: Account, start_page_server: str) -> None:
    """KAU-STARTPAGE: where the account allows it, Kanalvakt captures the page itself, and the
    capture answers the need: kept, stamped, recorded, the flag cleared and nobody reminded."""
    Account.objects.filter(pk=account.pk).update(url=f"{start_page_server}/konto", capture_start_page=True)
    account.refresh_from_db()
    assert flagged(account)
    assert startpage.check_startpages(now=NOW) == 1
    shot = Screenshot.objects.get(account=account, purpose=Screenshot.Purpose.STARTPAGE)
    assert (shot.source, shot.source_url, shot.taken_by) == (
        Screenshot.Source.CAPTURE,
        f"{start_page_server}/konto",
        None,
    )
    assert shot.stamped
    assert len(shot.sha256) == 64
    attempt = CaptureAttempt.objects.get(account=account)
    assert (attempt.outcome, attempt.http_status, attempt.requested_by) == ("captured", 200, None)
    account.refresh_from_db()
    assert account.last_startpage_at == shot.taken_at
    assert not flagged(account, now=shot.taken_at)
    assert not Notification.objects.exists()
    assert startpage.check_startpages(now=NOW + timedelta(hours=1)) == 0
    assert CaptureAttempt.objects.count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_failed_capture_reminds_the_owner_and_is_tried_once_a_day(
    cast: Cast, account: Account, start_page_server: str
) -> None:
    """KAU-STARTPAGE: a failed capture (here a 404) is recorded and the owner reminded to upload."""
    Account.objects.filter(pk=account.pk).update(url=f"{start_page_server}/missing", capture_start_page=True)
    startpage.check_startpages(now=NOW)
    attempt = CaptureAttempt.objects.get(account=account)
    assert (attempt.outcome, attempt.http_status) == ("failed", 404)
    assert keys(f"startpage:{account.pk}:")
    assert flagged(account)
    assert not Screenshot.objects.exists()
    sent = Notification.objects.count()
    assert startpage.check_startpages(now=NOW + timedelta(hours=2)) == 0  # not tried again today
    assert (CaptureAttempt.objects.count(), Notification.objects.count()) == (1, sent)
    startpage.check_startpages(now=NOW + timedelta(days=1))  # tried again the next day
    assert CaptureAttempt.objects.count() == 2
    assert Notification.objects.filter(kind="startpage_due").count() == 1  # still reminded once


# --- Closing (KAU-CLOSE) ---------------------------------------------------------------------------------


def test_closing_is_refused_until_the_final_start_page_screenshot_is_kept(
    cast: Cast, account: Account
) -> None:
    """KAU-CLOSE, KAU-STARTPAGE: "an account cannot be closed until its final start-page screenshot
    exists": a kept start-page screenshot taken after closing started."""
    upload(account, cast, at=NOW - timedelta(days=1))  # before closing: not the final one
    closing.start_closing(account, reason="Används inte längre.", by=cast["head_of_unit"], now=NOW)
    closing.confirm_commenting(account, commenting="off", by=cast["deputy"], now=NOW)
    with pytest.raises(followup.StepRefused) as refused:
        closing.close_account(account, by=cast["head_of_unit"], now=NOW)
    assert [error.code for error in refused.value.error_list] == ["screenshot"]
    # A date on the account is no screenshot.
    Account.objects.filter(pk=account.pk).update(last_startpage_at=NOW + timedelta(minutes=30))
    with pytest.raises(followup.StepRefused):
        closing.close_account(account, by=cast["head_of_unit"], now=NOW + timedelta(hours=1))
    assert not closing.has_final_startpage(account)
    # The owner uploads the final screenshot; now the head closes it.
    later = NOW + timedelta(hours=1)
    startpage.record_startpage_screenshot(
        account, data=png(colour=(5, 5, 5)), by=cast["communicator"], now=later
    )
    assert closing.has_final_startpage(account)
    closing.close_account(account, by=cast["head_of_unit"], now=later + timedelta(minutes=1))
    assert Account.objects.get(pk=account.pk).status == Account.Status.CLOSED


def test_the_closing_steps_show_the_final_screenshot(cast: Cast, account: Account) -> None:
    closing.start_closing(account, reason="Används inte längre.", by=cast["head_of_unit"], now=NOW)
    context = closing.detail_context(account, user=cast["communicator"], now=NOW)["closing"]
    assert context["final_startpage"] is False
    assert "screenshot" in context["missing"]
    assert context["startpage_url"] == reverse("archive:startpage", args=[account.pk])
    startpage.record_startpage_screenshot(
        account, data=png(), by=cast["communicator"], now=NOW + timedelta(minutes=1)
    )
    context = closing.detail_context(account, user=cast["communicator"], now=NOW)["closing"]
    assert context["final_startpage"] is True
    assert "screenshot" not in context["missing"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_do_not_both_act(cast: Cast, account: Account) -> None:
    """A run that finds another holding the job's lock (a second connection here) does nothing; the
    unique notification key would keep it from reminding twice anyway, but it must not capture twice."""
    import zlib

    from django.db import connections

    other = connections.create_connection("default")
    key = zlib.crc32(b"archive.check_startpages")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        assert startpage.check_startpages(now=NOW) == 0
        assert not Notification.objects.exists()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        assert startpage.check_startpages(now=NOW) == 1
    finally:
        other.close()
