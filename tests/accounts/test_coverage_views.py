"""Owner and deputies, name and address, and absences in the browser, against every role
(KAU-RESP-OWNER, KAU-RESP-DAILY, KAU-STARTPAGE).

Anonymous visitors are sent to sign in; people who may not see an account get 404; people who see it
but may not change it get 403; bad input is 400 with the field named, and nothing changes unless the
response says it did. The views read the clock once; the tests set it to NOW.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import coverage
from accounts.models import Absence, Account
from core.models import User
from tests.conftest import Cast
from tests.support import absence_of, assert_accessible, assert_answer, login, people

NOW = datetime(2026, 12, 21, 5, 0, tzinfo=UTC)  # Monday 21 December 2026, 06:00 in Stockholm

PEOPLE = people(owner="owner", without={"security_officer"})
HIDDEN = {"outsider", "other_head"}  # nothing ties them to the department's account
MANAGERS = {"head_of_unit", "dean", "social_media_lead"}  # KAU-RESP-MANAGER, and the lead


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The views read the time once, from ``timezone.now()``; here it is NOW."""
    monkeypatch.setattr("accounts.coverage_views.timezone", SimpleNamespace(now=lambda: NOW))


def state_of(account: Account) -> tuple[Any, ...]:
    fresh = Account.objects.get(pk=account.pk)
    return (
        fresh.owner_id,
        sorted(fresh.deputies.values_list("pk", flat=True)),
        fresh.name,
        fresh.handle,
        fresh.url,
        fresh.startpage_needed_since,
        fresh.history.count(),
    )


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


# view: (method, url name, POST data builder)
VIEWS = {
    "people_form": ("get", "accounts:people"),
    "people_save": ("post", "accounts:people"),
    "details_form": ("get", "accounts:details"),
    "details_save": ("post", "accounts:details"),
}


def post_data(cast: Cast, view: str) -> dict[str, Any]:
    if view == "people_save":
        return {"owner": str(cast["staff"].pk), "deputies": [str(cast["deputy"].pk)]}
    return {
        "name": "Institutionen på Instagram",
        "handle": "inst_kau",
        "url": "https://instagram.com/inst_kau",
    }


def expected_status(view: str, person: str) -> int:
    """The permission matrix (KAU-RESP-OWNER, KAU-RESP-MANAGER)."""
    if person == "anonymous":
        return 302  # to the sign-in page
    if person in HIDDEN:
        return 404
    if person not in MANAGERS:
        return 403
    return 200 if VIEWS[view][0] == "get" else 302


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("view", list(VIEWS))
def test_permission_matrix(client: Client, cast: Cast, make_account: Any, view: str, person: str) -> None:
    """Anonymous → sign in; cannot see → 404; sees but may not change → 403; head above and lead → allowed.
    A refused change changes nothing."""
    account = make_account()
    method, url_name = VIEWS[view]
    url = reverse(url_name, args=[account.pk])
    before = state_of(account)
    login(client, cast, person)
    response = client.post(url, post_data(cast, view)) if method == "post" else client.get(url)
    expected = expected_status(view, person)
    assert_answer(response, person, expected)
    if expected != 302 or person == "anonymous":
        assert state_of(account) == before
    elif view == "people_save":
        assert state_of(account)[:2] == (cast["staff"].pk, [cast["deputy"].pk])
        assert response["Location"] == reverse("accounts:detail", args=[account.pk])
    elif view == "details_save":
        assert state_of(account)[2:5] == (
            "Institutionen på Instagram",
            "inst_kau",
            "https://instagram.com/inst_kau",
        )
        assert response["Location"] == reverse("accounts:detail", args=[account.pk])


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def post_people(client: Client, cast: Cast, account: Account, owner: str, deputies: list[str]) -> Any:
    """Posts the account's owner and deputies, named by their place in the cast ("" for no owner)."""
    data = {"owner": str(cast[owner].pk) if owner else "", "deputies": [str(cast[p].pk) for p in deputies]}
    return client.post(reverse("accounts:people", args=[account.pk]), data)


def test_a_new_owner_asks_for_a_new_start_page_screenshot(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """KAU-STARTPAGE: the message says a new screenshot is needed; the history names the head."""
    account = make_account()
    client.force_login(cast["head_of_unit"])
    response = post_people(client, cast, account, "deputy", ["staff"])
    assert response.status_code == 302
    [message] = messages_of(response)
    assert "KAU-STARTPAGE" in message
    account.refresh_from_db()
    assert account.startpage_needed_since == NOW
    assert account.history.first().history_user == cast["head_of_unit"]


def test_a_change_of_deputies_alone_does_not_ask_for_a_screenshot(
    client: Client, cast: Cast, make_account: Any
) -> None:
    account = make_account()
    client.force_login(cast["social_media_lead"])
    response = post_people(client, cast, account, "communicator", ["deputy", "staff"])
    assert response.status_code == 302
    assert not any("KAU-STARTPAGE" in message for message in messages_of(response))
    account.refresh_from_db()
    assert account.startpage_needed_since is None


def test_the_form_shows_the_current_people(client: Client, cast: Cast, make_account: Any) -> None:
    account = make_account()
    User.objects.filter(pk=cast["outsider"].pk).update(is_active=False)
    client.force_login(cast["dean"])
    body = client.get(reverse("accounts:people", args=[account.pk])).content.decode()
    assert f'<option value="{cast["communicator"].pk}" selected>' in body
    assert f'name="deputies" value="{cast["deputy"].pk}" id="id_deputies_0" checked>' in body  # first
    assert f'value="{cast["outsider"].pk}"' not in body  # people who have left are not offered


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"owner": "communicator", "deputies": []}, "deputies"),
        ({"owner": "communicator", "deputies": ["communicator"]}, "deputies"),
        ({"owner": "communicator", "deputies": ["deputy", "communicator"]}, "deputies"),
        ({"owner": "", "deputies": ["deputy"]}, "owner"),
        ({"owner": "outsider", "deputies": ["deputy"]}, "owner"),  # has left
        ({"owner": "communicator", "deputies": ["outsider"]}, "deputies"),  # has left
    ],
)
def test_bad_people_are_refused_with_the_field_named(
    client: Client, cast: Cast, make_account: Any, data: dict[str, Any], field: str
) -> None:
    """KAU-RESP-OWNER: at least one deputy, the owner is not a deputy, all active; 400, nothing changed."""
    account = make_account()
    User.objects.filter(pk=cast["outsider"].pk).update(is_active=False)
    before = state_of(account)
    client.force_login(cast["head_of_unit"])
    response = post_people(client, cast, account, data["owner"], data["deputies"])
    assert response.status_code == 400
    assert f'href="#id_{field}"' in response.content.decode()
    assert state_of(account) == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "handle": "a_kau", "url": ""}, "name"),
        ({"name": "Konto", "handle": "a_kau", "url": "inte en adress"}, "url"),
        ({"name": "Konto", "handle": "taget_kau", "url": ""}, "handle"),  # another open account has it
    ],
)
def test_bad_details_are_refused_with_the_field_named(
    client: Client, cast: Cast, make_account: Any, data: dict[str, str], field: str
) -> None:
    make_account(handle="taget_kau")
    account = make_account()
    before = state_of(account)
    client.force_login(cast["social_media_lead"])
    response = client.post(reverse("accounts:details", args=[account.pk]), data)
    assert response.status_code == 400
    assert f'href="#id_{field}"' in response.content.decode()
    assert state_of(account) == before


def test_a_rename_asks_for_a_screenshot_and_a_new_address_does_not(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """KAU-STARTPAGE: rename and new handle are major changes; the address alone is not."""
    account = make_account()
    client.force_login(cast["head_of_unit"])
    url = reverse("accounts:details", args=[account.pk])
    response = client.post(url, {"name": account.name, "handle": account.handle, "url": "https://x.example/"})
    assert response.status_code == 302
    assert not any("KAU-STARTPAGE" in message for message in messages_of(response))
    assert Account.objects.get(pk=account.pk).startpage_needed_since is None
    response = client.post(url, {"name": "Nytt namn", "handle": account.handle, "url": "https://x.example/"})
    assert any("KAU-STARTPAGE" in message for message in messages_of(response))
    assert Account.objects.get(pk=account.pk).startpage_needed_since == NOW


def test_automatic_start_page_capture_is_set_on_the_details_page(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """KAU-STARTPAGE: the checkbox shows the current setting and saves it through the service."""
    account = make_account(url="https://x.example/konto")
    client.force_login(cast["social_media_lead"])
    url = reverse("accounts:details", args=[account.pk])
    form = client.get(url).context["form"]
    assert form["capture_start_page"].value() is False
    data = {"name": account.name, "handle": account.handle, "url": account.url, "capture_start_page": "on"}
    assert client.post(url, data).status_code == 302
    fresh = Account.objects.get(pk=account.pk)
    assert fresh.capture_start_page is True
    assert fresh.startpage_needed_since is None  # not a major change
    assert fresh.history.first().history_user == cast["social_media_lead"]
    assert client.get(url).context["form"]["capture_start_page"].value() is True
    data.pop("capture_start_page")
    assert client.post(url, data).status_code == 302
    assert Account.objects.get(pk=account.pk).capture_start_page is False


def test_a_closed_account_shows_no_form(client: Client, cast: Cast, make_account: Any) -> None:
    account = make_account(status=Account.Status.CLOSED)
    client.force_login(cast["social_media_lead"])
    response = client.get(reverse("accounts:people", args=[account.pk]))
    assert response.status_code == 200
    assert 'name="owner"' not in response.content.decode()
    before = state_of(account)
    response = post_people(client, cast, account, "staff", ["deputy"])
    assert response.status_code == 400
    assert state_of(account) == before


def test_the_account_page_has_the_coverage_section(client: Client, cast: Cast, make_account: Any) -> None:
    """The account page includes the coverage section, with the links for those who manage."""
    account = make_account()
    client.force_login(cast["dean"])
    body = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert 'id="h-coverage"' in body
    assert reverse("accounts:people", args=[account.pk]) in body
    client.force_login(cast["deputy"])
    body = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert 'id="h-coverage"' in body
    assert reverse("accounts:people", args=[account.pk]) not in body


# --- Absences ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", PEOPLE)
def test_everyone_signed_in_has_an_absence_page(client: Client, cast: Cast, person: str) -> None:
    login(client, cast, person)
    response = client.get(reverse("accounts:absences"))
    if person == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == 200
        assert ('name="person"' in response.content.decode()) == (person == "social_media_lead")


def test_recording_an_absence_warns_which_account_has_nobody_on_which_days(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """Journey 6, KAU-RESP-DAILY: Per records his leave and is told at once that one account will have
    nobody for two weeks in July; the covered account is not named."""
    make_account(name="Sommarkontot")
    make_account(name="Det täckta kontot", deputies=("deputy", "staff"))
    absence_of(cast["communicator"], d(7, 6, 2027), d(7, 19, 2027), now=NOW)
    client.force_login(cast["deputy"])
    response = client.post(
        reverse("accounts:absences"),
        {"starts_on": "2027-06-28", "ends_on": "2027-08-08", "kind": "leave", "note": "Föräldraledig"},
        follow=True,
    )
    assert response.status_code == 200
    absence = Absence.objects.get(person=cast["deputy"])
    assert (absence.starts_on, absence.ends_on, absence.kind, absence.created_by) == (
        d(6, 28, 2027),
        d(8, 8, 2027),
        "leave",
        cast["deputy"],
    )
    body = response.content.decode()
    assert "Sommarkontot" in body
    assert "6 jul 2027–19 jul 2027" in body
    assert "Det täckta kontot" not in body
    assert any("1" in message for message in messages_of(response))


def test_an_absence_with_full_cover_says_so(client: Client, cast: Cast, make_account: Any) -> None:
    make_account(name="Kontot", deputies=("deputy", "staff"))
    client.force_login(cast["deputy"])
    response = client.post(
        reverse("accounts:absences"),
        {"starts_on": "2027-01-04", "ends_on": "2027-01-08", "kind": "vacation", "note": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert 'class="notice notice--warn"' not in response.content.decode()
    assert Absence.objects.filter(person=cast["deputy"]).count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"starts_on": "2027-01-08", "ends_on": "2027-01-04", "kind": "vacation"}, "ends_on"),
        ({"starts_on": "2026-12-01", "ends_on": "2026-12-04", "kind": "vacation"}, "ends_on"),  # over
        ({"starts_on": "", "ends_on": "2027-01-04", "kind": "vacation"}, "starts_on"),
        ({"starts_on": "2027-01-04", "ends_on": "2027-01-04", "kind": "sabbatical"}, "kind"),
    ],
)
def test_a_bad_absence_is_refused_with_the_field_named(
    client: Client, cast: Cast, data: dict[str, str], field: str
) -> None:
    client.force_login(cast["deputy"])
    response = client.post(reverse("accounts:absences"), {**data, "note": ""})
    assert response.status_code == 400
    assert f'href="#id_{field}"' in response.content.decode()
    assert not Absence.objects.exists()


def record_leave_for(client: Client, person: User) -> Any:
    """Post a week's leave on the absence page, naming the person it is for."""
    data = {"person": str(person.pk), "starts_on": "2027-01-04", "ends_on": "2027-01-08", "kind": "leave"}
    return client.post(reverse("accounts:absences"), data)


def test_the_lead_records_an_absence_for_someone_else(client: Client, cast: Cast) -> None:
    client.force_login(cast["social_media_lead"])
    response = record_leave_for(client, cast["deputy"])
    assert response.status_code == 302
    absence = Absence.objects.get()
    assert (absence.person, absence.created_by) == (cast["deputy"], cast["social_media_lead"])


def test_nobody_else_can_record_for_another_person(client: Client, cast: Cast) -> None:
    """Without the lead's role the person field is not read: the absence is one's own."""
    client.force_login(cast["head_of_unit"])
    response = record_leave_for(client, cast["deputy"])
    assert response.status_code == 302
    assert Absence.objects.get().person == cast["head_of_unit"]


def test_the_page_lists_own_absences_upcoming_past_and_cancelled(client: Client, cast: Cast) -> None:
    then = datetime(2026, 11, 2, 9, tzinfo=UTC)
    past, _w = absence_of(cast["deputy"], d(11, 2), d(11, 6), now=then, note="Höstlov")
    coming, _w = absence_of(cast["deputy"], d(12, 28), d(12, 30), now=NOW, note="Mellandagarna")
    cancelled, _w = absence_of(
        cast["deputy"], d(1, 11, 2027), d(1, 12, 2027), now=NOW, kind="other", note="Kurs"
    )
    coverage.cancel_absence(cancelled, by=cast["deputy"], now=NOW)
    absence_of(cast["communicator"], d(12, 28), d(12, 30), now=NOW, note="Någon annans")
    client.force_login(cast["deputy"])
    body = client.get(reverse("accounts:absences")).content.decode()
    for note in ("Höstlov", "Mellandagarna", "Kurs"):
        assert note in body
    assert "Någon annans" not in body
    assert reverse("accounts:absence_cancel", args=[coming.pk]) in body
    assert reverse("accounts:absence_cancel", args=[cancelled.pk]) not in body  # shown as cancelled
    assert reverse("accounts:absence_cancel", args=[past.pk]) not in body  # past stays as it was
    client.force_login(cast["social_media_lead"])
    body = client.get(reverse("accounts:absences")).content.decode()
    assert "Någon annans" in body
    assert "Mellandagarna" in body


def test_the_warning_of_someone_elses_absence_is_not_shown(
    client: Client, cast: Cast, make_account: Any
) -> None:
    make_account(name="Hemliga kontot")
    absence_of(cast["communicator"], d(12, 24), d(12, 24), now=NOW)
    absence, _w = absence_of(cast["deputy"], d(12, 24), d(12, 24), now=NOW)
    client.force_login(cast["outsider"])
    body = client.get(reverse("accounts:absences") + f"?franvaro={absence.pk}").content.decode()
    assert "Hemliga kontot" not in body
    client.force_login(cast["deputy"])
    body = client.get(reverse("accounts:absences") + f"?franvaro={absence.pk}").content.decode()
    assert "Hemliga kontot" in body


def test_the_absence_page_reads_in_a_fixed_number_of_queries(client: Client, cast: Cast) -> None:
    def add(count: int) -> None:
        for n in range(count):
            absence_of(cast["social_media_lead"], d(1, 4 + n, 2027), d(1, 4 + n, 2027), now=NOW)
            absence_of(
                cast["deputy"], d(1, 4 + n, 2027), d(1, 4 + n, 2027), now=NOW, by=cast["social_media_lead"]
            )

    client.force_login(cast["social_media_lead"])
    url = reverse("accounts:absences")
    add(2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add(10)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)


@pytest.mark.parametrize("person", PEOPLE)
def test_only_the_person_or_the_lead_cancels_an_absence(client: Client, cast: Cast, person: str) -> None:
    """Someone else's absence is not found; the person and the lead cancel it; it is kept, cancelled."""
    absence, _w = absence_of(cast["deputy"], d(12, 28), d(12, 30), now=NOW)
    login(client, cast, person)
    response = client.post(reverse("accounts:absence_cancel", args=[absence.pk]))
    absence.refresh_from_db()
    if person == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert absence.cancelled_at is None
    elif person in ("deputy", "social_media_lead"):
        assert response.status_code == 302
        assert absence.cancelled_at == NOW
        assert Absence.objects.filter(pk=absence.pk).exists()
    else:
        assert response.status_code == 404
        assert absence.cancelled_at is None


def test_cancelling_is_a_post(client: Client, cast: Cast) -> None:
    absence, _w = absence_of(cast["deputy"], d(12, 28), d(12, 30), now=NOW)
    client.force_login(cast["deputy"])
    assert client.get(reverse("accounts:absence_cancel", args=[absence.pk])).status_code == 405
    absence.refresh_from_db()
    assert absence.cancelled_at is None


def test_an_absence_that_has_ended_is_not_cancelled(client: Client, cast: Cast) -> None:
    absence, _w = absence_of(cast["deputy"], d(12, 1), d(12, 4), now=datetime(2026, 11, 30, 9, tzinfo=UTC))
    client.force_login(cast["deputy"])
    response = client.post(reverse("accounts:absence_cancel", args=[absence.pk]))
    assert response.status_code == 409
    absence.refresh_from_db()
    assert absence.cancelled_at is None


# --- In the browser ---------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_per_records_his_leave_and_the_head_adds_a_deputy(page: Any, cast: Cast, make_account: Any) -> None:
    """Journey 6 (KAU-RESP-DAILY, KAU-RESP-OWNER, KAU-ACCESS): the deputy records his leave and is warned
    that one account has nobody for two weeks in July; the head adds a deputy; no axe violations."""
    from tests.conftest import browser_login

    account = make_account(name="Sommarkontot")
    absence_of(cast["communicator"], d(7, 6, 2027), d(7, 19, 2027), now=NOW)

    browser_login(page, "deputy", "pw-deputy-0123")
    page.goto(reverse("accounts:absences"))
    assert_accessible(page)
    page.fill("#id_starts_on", "2027-06-28")
    page.fill("#id_ends_on", "2027-08-08")
    page.select_option("#id_kind", "leave")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    warning = page.locator("section.notice--warn")
    assert "Sommarkontot" in warning.inner_text()
    assert "6 jul 2027–19 jul 2027" in warning.inner_text()
    assert_accessible(page)
    page.locator('form[action="/logga-ut/"] button[type=submit]').click()
    page.wait_for_url("**/logga-in/")

    browser_login(page, "head_of_unit", "pw-head_of_unit-0123")
    page.goto(reverse("accounts:people", args=[account.pk]))
    assert_accessible(page)
    for person in ("deputy", "staff"):
        page.check(f'input[name="deputies"][value="{cast[person].pk}"]')
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    assert set(Account.objects.get(pk=account.pk).deputies.all()) == {cast["deputy"], cast["staff"]}
    page.goto(reverse("accounts:details", args=[account.pk]))
    assert_accessible(page)
    page.fill("#id_name", "")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    assert page.locator(".form-errors").is_visible()
    assert_accessible(page)  # the form with its errors
