"""An account's start-page page (KAU-STARTPAGE) against every role: who sees the screenshots, who
uploads and captures, a bad upload refused with its reason and nothing kept, CSRF, the query count,
and a real capture of a page served on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts import closing
from accounts.models import Account
from archive import startpage
from archive.models import CaptureAttempt, LedgerEntry, Screenshot
from tests.archive.startpage_support import (  # noqa: F401 (fixtures)
    media_root_fixture,
    png,
    start_page_server_fixture,
)
from tests.conftest import Cast
from tests.support import HIDDEN, PEOPLE, assert_accessible, login

RECORDS = {"communicator", "deputy"}  # KAU-STARTPAGE: the account owner takes it; deputies stand in
VIEWS = RECORDS | {"head_of_unit", "dean", "communications", "social_media_lead", "registrar"}


def page_url(account: Account) -> str:
    return reverse("archive:startpage", args=[account.pk])


def assert_answered(response: Any, person: str, account: Account) -> None:
    """Nobody signed in is sent to sign in, those who may not see the account get 404, the owner and
    deputies are sent back to the page, and everyone else is refused (403)."""
    if person == "anonymous":
        assert response.status_code == 302
        assert "/logga-in/" in response["Location"]
    elif person in HIDDEN:
        assert response.status_code == 404
    elif person in RECORDS:
        assert response.status_code == 302
        assert response["Location"] == page_url(account)
    else:
        assert response.status_code == 403


def upload_data(**extra: Any) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data: dict[str, Any] = {"image": SimpleUploadedFile("startsida.png", png(), content_type="image/png")}
    data.update(extra)
    return data


@pytest.fixture
def account(make_account: Any) -> Account:
    made: Account = make_account()
    return made


# --- Seeing the screenshots -----------------------------------------------------------------------------


@pytest.mark.parametrize("person", PEOPLE)
def test_who_sees_the_start_page_screenshots(
    client: Client, cast: Cast, account: Account, person: str
) -> None:
    """KAU-STARTPAGE: owner and deputies, the head of the unit and above, the communications department,
    the social media lead and the registrar see them; nobody else learns the account exists."""
    login(client, cast, person)
    response = client.get(page_url(account))
    if person == "anonymous":
        assert response.status_code == 302
        assert "/logga-in/" in response["Location"]
    elif person in HIDDEN:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert response.context["can_record"] is (person in RECORDS)
        body = response.content.decode()
        assert ('enctype="multipart/form-data"' in body) is (person in RECORDS)


def test_a_colleague_granted_the_account_sees_it_but_not_its_start_pages(
    client: Client, cast: Cast, account: Account
) -> None:
    """A clear rule for 403: seeing an account through one extra grant is not seeing its records."""
    assign_perm("view_account", cast["security_officer"], account)
    client.force_login(cast["security_officer"])
    assert client.get(reverse("accounts:detail", args=[account.pk])).status_code == 200
    assert client.get(page_url(account)).status_code == 403


def test_the_page_shows_the_screenshots_with_their_stamped_copies_and_the_due_state(
    client: Client, cast: Cast, account: Account
) -> None:
    client.force_login(cast["head_of_unit"])
    response = client.get(page_url(account))
    assert response.context["state"].due is True
    assert response.context["screenshots"] == []
    shot = startpage.record_startpage_screenshot(
        account, data=png(), by=cast["communicator"], now=timezone.now()
    )
    response = client.get(page_url(account))
    body = response.content.decode()
    assert response.context["screenshots"] == [shot]
    assert response.context["state"].due is False
    assert f'src="{reverse("archive:stamped", args=[shot.pk])}"' in body
    assert 'data-due="no"' in body
    assert "archive-startpage.css" in body


def test_the_page_costs_the_same_queries_with_one_screenshot_or_four(
    client: Client, cast: Cast, account: Account, django_assert_num_queries: Any
) -> None:
    now = timezone.now()
    startpage.record_startpage_screenshot(account, data=png(), by=cast["communicator"], now=now)
    client.force_login(cast["deputy"])
    with CaptureQueriesContext(connection) as small:
        assert client.get(page_url(account)).status_code == 200
    for n in range(3):
        startpage.record_startpage_screenshot(
            account, data=png(colour=(n, 2 * n, 3 * n)), by=cast["deputy"], now=now + timedelta(seconds=n + 1)
        )
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(page_url(account))
    assert len(response.context["screenshots"]) == 4


# --- Uploading --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", PEOPLE)
def test_only_the_owner_and_deputies_upload(
    client: Client, cast: Cast, account: Account, person: str
) -> None:
    """KAU-STARTPAGE: the owner or a deputy uploads (302 to the page); those who only see the
    screenshots are refused (403); nothing is kept for them."""
    login(client, cast, person)
    response = client.post(page_url(account), upload_data())
    kept = Screenshot.objects.filter(account=account, purpose=Screenshot.Purpose.STARTPAGE)
    assert_answered(response, person, account)
    if person in RECORDS:
        shot = kept.get()
        assert (shot.taken_by, shot.source, shot.taken_from) == (cast[person], "upload", "127.0.0.1")
        assert Account.objects.get(pk=account.pk).last_startpage_at == shot.taken_at
        return
    assert not kept.exists()
    assert Account.objects.get(pk=account.pk).last_startpage_at is None


def test_an_upload_for_an_earlier_day_is_recorded_at_that_days_end(
    client: Client, cast: Cast, account: Account
) -> None:
    from core.calendar import STOCKHOLM

    client.force_login(cast["communicator"])
    day = timezone.localdate(timezone.now(), STOCKHOLM) - timedelta(days=3)
    assert client.post(page_url(account), upload_data(taken_on=day.isoformat())).status_code == 302
    taken = Account.objects.get(pk=account.pk).last_startpage_at
    assert taken is not None
    local = timezone.localtime(taken, STOCKHOLM)
    assert (local.date(), local.hour, local.minute) == (day, 23, 59)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"image": ("startsida.png", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>")}, "image"),
        ({"image": ("startsida.jpg", png()[:200])}, "image"),  # truncated
        ({}, "image"),  # no file
        ({"image": ("startsida.png", png()), "taken_on": "2999-01-01"}, "taken_on"),  # still to come
        ({"image": ("startsida.png", png()), "taken_on": "igår"}, "taken_on"),
    ],
)
def test_a_bad_upload_is_refused_with_the_reason_on_its_field_and_nothing_is_kept(
    client: Client, cast: Cast, account: Account, media_root: Any, data: dict[str, Any], field: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    posted = {
        key: SimpleUploadedFile(value[0], value[1], content_type="image/png") if key == "image" else value
        for key, value in data.items()
    }
    client.force_login(cast["communicator"])
    response = client.post(page_url(account), posted)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert 'role="alert"' in response.content.decode()
    assert not Screenshot.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert not media_root.exists() or not [p for p in media_root.rglob("*") if p.is_file()]
    assert Account.objects.get(pk=account.pk).last_startpage_at is None


def test_an_upload_without_the_csrf_token_is_refused(cast: Cast, account: Account) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["communicator"])
    response = client.post(page_url(account), upload_data())
    assert response.status_code == 403
    assert not Screenshot.objects.exists()
    page = client.get(page_url(account))
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()


def test_a_closed_account_takes_no_upload(client: Client, cast: Cast, make_account: Any) -> None:
    """KAU-CLOSE: the page shows what was kept and offers nothing more; an upload posted anyway is 409."""
    closed = make_account(status="closed", now=timezone.now())
    client.force_login(cast["communicator"])
    page = client.get(page_url(closed))
    assert page.status_code == 200
    assert page.context["can_record"] is False
    assert client.post(page_url(closed), upload_data()).status_code == 409
    assert not Screenshot.objects.exists()


def test_the_page_needs_get_or_post(client: Client, cast: Cast, account: Account) -> None:
    client.force_login(cast["communicator"])
    assert client.put(page_url(account)).status_code == 405
    assert client.get(reverse("archive:startpage_capture", args=[account.pk])).status_code == 405


# --- Capturing now ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", PEOPLE)
def test_who_may_ask_for_a_capture(client: Client, cast: Cast, make_account: Any, person: str) -> None:
    """The owner and deputies ask; without an address nothing is tried and they are told why."""
    account = make_account()  # no address: nothing reaches the browser
    login(client, cast, person)
    response = client.post(reverse("archive:startpage_capture", args=[account.pk]))
    assert_answered(response, person, account)
    assert not CaptureAttempt.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_capture_now_keeps_and_records_the_start_page(
    client: Client, cast: Cast, make_account: Any, start_page_server: str
) -> None:
    """KAU-STARTPAGE: a real Chromium captures the page served on 127.0.0.1; the account records it."""
    account = make_account(url=f"{start_page_server}/konto")
    client.force_login(cast["deputy"])
    page = client.get(page_url(account))
    assert page.context["can_capture"] is True
    response = client.post(reverse("archive:startpage_capture", args=[account.pk]), follow=True)
    assert response.status_code == 200
    shot = Screenshot.objects.get(account=account, purpose=Screenshot.Purpose.STARTPAGE)
    assert (shot.source, shot.taken_by) == ("capture", cast["deputy"])
    assert CaptureAttempt.objects.get().outcome == "captured"
    assert Account.objects.get(pk=account.pk).last_startpage_at == shot.taken_at
    assert [str(m) for m in response.context["messages"]]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_failed_capture_is_said_not_silent(
    client: Client, cast: Cast, make_account: Any, start_page_server: str
) -> None:
    account = make_account(url=f"{start_page_server}/missing")
    client.force_login(cast["communicator"])
    response = client.post(reverse("archive:startpage_capture", args=[account.pk]), follow=True)
    assert response.status_code == 200
    assert CaptureAttempt.objects.get().outcome == "failed"
    assert not Screenshot.objects.exists()
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Account.objects.get(pk=account.pk).last_startpage_at is None


# --- The closing page offers the upload (KAU-CLOSE) -----------------------------------------------------


def test_the_closing_page_offers_the_final_start_page_upload(
    client: Client, cast: Cast, account: Account
) -> None:
    """KAU-CLOSE, KAU-STARTPAGE: while closing, the page links to the upload until the final screenshot
    is kept, and then shows it done."""
    now = timezone.now()
    closing.start_closing(account, reason="Används inte längre.", by=cast["head_of_unit"], now=now)
    client.force_login(cast["head_of_unit"])
    closing_url = reverse("accounts:closing", args=[account.pk])
    body = client.get(closing_url).content.decode()
    assert f'href="{page_url(account)}"' in body
    assert 'data-final-startpage="no"' in body
    startpage.record_startpage_screenshot(
        account, data=png(), by=cast["communicator"], now=now + timedelta(seconds=1)
    )
    body = client.get(closing_url).content.decode()
    assert 'data-final-startpage="yes"' in body
    detail = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert page_url(account) in detail


# --- In a real browser: WCAG 2.1 AA (KAU-ACCESS) -------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_start_page_page_passes_axe_with_and_without_errors(
    page: Any, cast: Cast, make_account: Any, tmp_path: Any
) -> None:
    """KAU-ACCESS: the page, a refused upload with its error, and the page with a kept screenshot."""
    from tests.conftest import browser_login

    account = make_account()
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto(page_url(account))
    assert_accessible(page)
    bad = tmp_path / "startsida.png"
    bad.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    page.set_input_files("#id_image", str(bad))
    with page.expect_navigation():
        page.locator("form[enctype] button[type=submit]").click()
    assert page.locator("#startpage-errors").count() == 1
    assert_accessible(page)
    good = tmp_path / "bra.png"
    good.write_bytes(png())
    page.set_input_files("#id_image", str(good))
    with page.expect_navigation():
        page.locator("form[enctype] button[type=submit]").click()
    assert Screenshot.objects.filter(account=account).count() == 1
    assert page.locator("table.startpage-shots tbody tr").count() == 1
    assert_accessible(page)
