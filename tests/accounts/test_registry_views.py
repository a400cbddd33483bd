"""The registry in the browser's terms: the list, the CSV export, direct registration, the account page
and the confirmations, against every role, with the Django test client.

Anonymous visitors are sent to sign in; an account a person may not see is 404; a role that may not
act is 403; bad input is 400 with the field named and nothing stored.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, CoverageGap
from core.history import record
from moderation.models import Item
from tests.conftest import Cast
from tests.governance.factories import make_request
from tests.support import HIDDEN, PEOPLE, assert_accessible, assert_answer, in_english, login

REGISTERS = {"communications", "social_media_lead"}  # KAU-START-COMMS
CONFIRMS = {"communicator", "deputy", "communications", "social_media_lead"}  # KAU-INFORM, KAU-SENDER


def register_data(cast: Cast, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "unit": str(cast.units["department"].pk),
        "platform": "facebook_page",
        "platform_other": "",
        "name": "Fysikens Facebooksida",
        "handle": "fysikkau",
        "url": "https://www.facebook.com/fysikkau",
        "owner": str(cast["communicator"].pk),
        "deputies": [str(cast["deputy"].pk)],
        "status": "active",
        "private_account": "no",
    }
    data.update(overrides)
    return data


def state_of(account: Account) -> tuple[Any, ...]:
    fresh = Account.objects.get(pk=account.pk)
    return (
        fresh.notice_confirmed_at,
        fresh.notice_confirmed_by_id,
        fresh.sender_confirmed_at,
        fresh.last_startpage_at,
        fresh.startpage_needed_since,
        fresh.history.count(),
        Account.objects.count(),
    )


def bulk_accounts(cast: Cast, count: int, *, start: int = 0) -> None:
    """``count`` accounts in two units, each with a deputy, written in a few statements (the page's
    query count is the point here, not how the accounts came to be)."""
    units = [cast.units["department"], cast.units["other"]]
    accounts = Account.objects.bulk_create(
        Account(
            unit=units[number % 2],
            platform="instagram",
            name=f"Massa {number:04d}",
            handle=f"massa_{number}_kau",
            owner=cast["communicator"],
            followup_due_on=date(2999, 1, 1),
        )
        for number in range(start, start + count)
    )
    through = Account.deputies.through
    through.objects.bulk_create(
        through(account_id=account.pk, user_id=cast["deputy"].pk) for account in accounts
    )


# --- Who may do what ------------------------------------------------------------------------------------

VIEWS: dict[str, tuple[str, str, bool, dict[str, Any]]] = {
    # view: (method, url name, takes the account's pk, POST data)
    "list": ("get", "accounts:list", False, {}),
    "export": ("get", "accounts:export", False, {}),
    "register_form": ("get", "accounts:register", False, {}),
    "register": ("post", "accounts:register", False, {}),
    "detail": ("get", "accounts:detail", True, {}),
    "confirm": ("post", "accounts:confirm", True, {"what": "notice"}),
}


def expected_status(view: str, person: str) -> int:
    """The permission matrix of the registry's own pages."""
    if person == "anonymous":
        return 302
    if view in ("list", "export"):
        return 200  # everyone has a registry; it shows what they may see
    if view == "register_form":
        return 200 if person in REGISTERS else 403
    if view == "register":
        return 302 if person in REGISTERS else 403
    if person in HIDDEN:
        return 404
    if view == "detail":
        return 200
    return 302 if person in CONFIRMS else 403


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("view", list(VIEWS))
def test_permission_matrix(client: Client, cast: Cast, make_account: Any, view: str, person: str) -> None:
    """Every registry URL for every role: anonymous → sign in, not visible → 404, visible but not
    theirs to act on → 403, allowed → 200 or a redirect; a refused change changes nothing."""
    account = make_account(name="Institutionens konto")
    method, url_name, with_pk, data = VIEWS[view]
    url = reverse(url_name, args=[account.pk]) if with_pk else reverse(url_name)
    if view == "register":
        data = register_data(cast)
    before = state_of(account)
    login(client, cast, person)
    response = client.post(url, data) if method == "post" else client.get(url)
    expected = expected_status(view, person)
    assert_answer(response, person, expected)
    if expected != 302 or person == "anonymous":
        assert state_of(account) == before
    elif view == "register":
        assert Account.objects.filter(name="Fysikens Facebooksida", registered_by=cast[person]).exists()
    elif view == "confirm":
        assert Account.objects.get(pk=account.pk).notice_confirmed_by == cast[person]


def test_the_list_and_export_show_only_what_a_person_may_see(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """KAU-RESP-MANAGER: heads see their units and below; others their own accounts."""
    make_account(name="Synligt konto")
    make_account(unit="other", owner="other_head", deputies=("outsider",), name="Andra kontot")
    seen = {}
    for person in ("communicator", "other_head", "head_of_unit", "dean", "registrar", "security_officer"):
        client.force_login(cast[person])
        body = client.get(reverse("accounts:list")).content.decode()
        export = client.get(reverse("accounts:export")).content.decode("utf-8-sig")
        seen[person] = {name for name in ("Synligt konto", "Andra kontot") if name in body}
        assert seen[person] == {name for name in ("Synligt konto", "Andra kontot") if name in export}
    assert seen == {
        "communicator": {"Synligt konto"},
        "other_head": {"Andra kontot"},
        "head_of_unit": {"Synligt konto"},
        "dean": {"Synligt konto", "Andra kontot"},
        "registrar": {"Synligt konto", "Andra kontot"},
        "security_officer": set(),
    }


# --- Query counts ---------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?unit={faculty}&platform=instagram&status=active&flag=any&q=massa&sort=-followup",
        "?flag=strategy&sort=unit&sida=2",
    ],
)
@pytest.mark.parametrize("person", ["social_media_lead", "dean"])
def test_the_list_makes_the_same_queries_for_10_and_500_accounts(
    client: Client, cast: Cast, query: str, person: str
) -> None:
    """The registry page costs the same few queries whatever the page size and the registry's size."""
    url = reverse("accounts:list") + query.format(faculty=cast.units["faculty"].pk)
    client.force_login(cast[person])
    bulk_accounts(cast, 10)
    client.get(url)  # warm the session, the settings row and the content types
    small, response = _queries(client, url)
    assert len(response.context["rows"]) == 10  # ?sida=2 of one page shows the last page
    bulk_accounts(cast, 490, start=10)
    large, response = _queries(client, url)
    assert len(response.context["rows"]) == 50
    assert large == small
    assert small <= 12, small


@pytest.mark.parametrize("query", ["", "?unit={faculty}&flag=any&q=massa&sort=-registered"])
def test_the_export_makes_the_same_queries_for_10_and_500_accounts(
    client: Client, cast: Cast, query: str
) -> None:
    url = reverse("accounts:export") + query.format(faculty=cast.units["faculty"].pk)
    client.force_login(cast["social_media_lead"])
    bulk_accounts(cast, 10)
    client.get(url)
    small, response = _queries(client, url)
    assert len(response.content.decode("utf-8-sig").strip().splitlines()) == 11
    bulk_accounts(cast, 490, start=10)
    large, response = _queries(client, url)
    assert len(response.content.decode("utf-8-sig").strip().splitlines()) == 501
    assert large == small


def test_the_account_page_makes_the_same_queries_however_long_its_history(
    client: Client, cast: Cast, make_account: Any
) -> None:
    account = make_account()
    client.force_login(cast["social_media_lead"])
    url = reverse("accounts:detail", args=[account.pk])
    client.get(url)
    short, response = _queries(client, url)
    short_history = len(response.context["history"])
    for person in ("staff", "outsider", "registrar", "deputy", "staff", "deputy"):
        change_deputies(account, [cast[person]], by=cast["social_media_lead"], reason=f"byte till {person}")
    long, response = _queries(client, url)
    assert len(response.context["history"]) == short_history + 6
    assert long == short


# --- Filters, search, sorting and pagination --------------------------------------------------------------


def names(response: Any) -> list[str]:
    return [account.name for account, _flags in response.context["rows"]]


def test_the_unit_filter_keeps_the_unit_and_every_unit_below_it(
    client: Client, cast: Cast, make_account: Any
) -> None:
    make_account(name="Institutionens")
    make_account(unit="other", owner="other_head", deputies=("outsider",), name="Andras")
    make_account(unit="comms", owner="communications", deputies=("social_media_lead",), name="Kommunikation")
    client.force_login(cast["social_media_lead"])
    url = reverse("accounts:list")
    assert names(client.get(url, {"unit": cast.units["faculty"].pk})) == ["Andras", "Institutionens"]
    assert names(client.get(url, {"unit": cast.units["department"].pk})) == ["Institutionens"]
    assert len(names(client.get(url, {"unit": cast.units["university"].pk}))) == 3


def test_platform_status_and_flag_filters(client: Client, cast: Cast, make_account: Any) -> None:
    insta = make_account(name="Insta")
    make_account(name="Tuben", platform="youtube")
    make_account(name="Pausad", status="paused")
    Account.objects.filter(pk=insta.pk).update(
        notice_confirmed_at=timezone.now(), sender_confirmed_at=timezone.now()
    )
    client.force_login(cast["communications"])
    url = reverse("accounts:list")
    assert names(client.get(url, {"platform": "youtube"})) == ["Tuben"]
    assert names(client.get(url, {"status": "paused"})) == ["Pausad"]
    assert names(client.get(url, {"flag": "inform"})) == ["Pausad", "Tuben"]
    assert names(client.get(url, {"flag": "strategy"})) == ["Insta", "Pausad", "Tuben"]
    assert names(client.get(url, {"flag": "any", "platform": "instagram", "status": "active"})) == ["Insta"]
    # A value that is not one of the choices is ignored, not an error.
    assert len(names(client.get(url, {"flag": "nonsense", "platform": "myspace"}))) == 3


def test_search_by_name_handle_owner_and_deputy_without_duplicates(
    client: Client, cast: Cast, make_account: Any
) -> None:
    make_account(name="Fysik på Instagram", handle="fysik_kau")
    make_account(name="Kemi", handle="kemi_kau", deputies=("deputy", "dean"))
    make_account(name="Biologi", handle="bio_kau", owner="other_head", deputies=("outsider",), unit="other")
    client.force_login(cast["social_media_lead"])
    url = reverse("accounts:list")
    assert names(client.get(url, {"q": "fysik"})) == ["Fysik på Instagram"]
    assert names(client.get(url, {"q": "KEMI_KAU"})) == ["Kemi"]
    assert names(client.get(url, {"q": "other head"})) == ["Biologi"]  # the owner's name, two words
    assert names(client.get(url, {"q": "outsider"})) == ["Biologi"]  # a deputy's user name
    # Both deputies of "Kemi" match "e": the account is listed once.
    response = client.get(url, {"q": "de"})
    assert names(response) == ["Biologi", "Fysik på Instagram", "Kemi"]
    assert response.context["page"].paginator.count == 3
    assert names(client.get(url, {"q": "fysik kemi"})) == []


def test_sorting_by_each_column_both_ways(client: Client, cast: Cast, make_account: Any) -> None:
    a = make_account(
        name="Alfa", platform="youtube", unit="other", owner="other_head", deputies=("outsider",)
    )
    b = make_account(name="Beta", platform="instagram", status="paused")
    c = make_account(name="Gamma", platform="linkedin")
    Account.objects.filter(pk=a.pk).update(followup_due_on=date(2999, 3, 1))
    Account.objects.filter(pk=b.pk).update(followup_due_on=None)
    Account.objects.filter(pk=c.pk).update(followup_due_on=date(2999, 1, 1))
    client.force_login(cast["social_media_lead"])
    url = reverse("accounts:list")
    assert names(client.get(url)) == ["Alfa", "Beta", "Gamma"]
    assert names(client.get(url, {"sort": "-name"})) == ["Gamma", "Beta", "Alfa"]
    assert names(client.get(url, {"sort": "platform"})) == ["Beta", "Gamma", "Alfa"]
    assert names(client.get(url, {"sort": "unit"})) == ["Alfa", "Beta", "Gamma"]  # Andra institutionen first
    assert names(client.get(url, {"sort": "-unit"})) == ["Beta", "Gamma", "Alfa"]
    assert names(client.get(url, {"sort": "status"})) == ["Alfa", "Gamma", "Beta"]  # active before paused
    assert names(client.get(url, {"sort": "followup"})) == ["Gamma", "Alfa", "Beta"]  # no date last
    assert names(client.get(url, {"sort": "-followup"})) == ["Alfa", "Gamma", "Beta"]  # still last
    assert names(client.get(url, {"sort": "-registered"})) == ["Gamma", "Beta", "Alfa"]


def test_the_sorted_column_says_so_and_links_to_the_reverse_order(
    client: Client, cast: Cast, make_account: Any
) -> None:
    make_account()
    client.force_login(cast["social_media_lead"])
    body = client.get(reverse("accounts:list"), {"sort": "name", "status": "active"}).content.decode()
    assert 'aria-sort="ascending"' in body
    assert re.search(r'<a href="\?[^"]*sort=-name[^"]*"', body)
    assert "status=active" in re.search(r'<a href="(\?[^"]*sort=-name[^"]*)"', body).group(1)  # type: ignore[union-attr]


def test_pages_of_50_keep_the_filters_in_their_links(client: Client, cast: Cast) -> None:
    bulk_accounts(cast, 120)
    client.force_login(cast["social_media_lead"])
    url = reverse("accounts:list")
    response = client.get(url, {"status": "active", "q": "massa"})
    assert len(response.context["rows"]) == 50
    body = response.content.decode()
    assert "120" in body  # the count of results
    next_link = re.search(r'<a href="([^"]+)" rel="next"', body)
    assert next_link is not None
    link = next_link.group(1).replace("&amp;", "&")
    assert "sida=2" in link
    assert "status=active" in link
    assert "q=massa" in link
    page_two = client.get(url + link)
    assert names(page_two)[0] == "Massa 0050"
    last = client.get(url, {"status": "active", "q": "massa", "sida": "3"})
    assert len(last.context["rows"]) == 20
    export_link = re.search(r'href="(/konton/export\.csv[^"]*)"', body)
    assert export_link is not None
    assert "status=active" in export_link.group(1)
    assert "sida" not in export_link.group(1)


# --- The CSV export ---------------------------------------------------------------------------------------


def read_csv(response: Any) -> list[list[str]]:
    """The export as Swedish Excel reads it: cells separated by semicolons."""
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_the_export_is_utf8_with_a_byte_order_mark_and_the_flags_as_rule_ids(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """KAU-START-CHECKLIST and the other rules appear in the export by rule ID, for the annual report."""
    account = make_account(
        name="Älvstranden på Instagram",
        handle="alvstranden_kau",
        url="https://www.instagram.com/alvstranden_kau",
    )
    account.deputies.add(cast["dean"])
    Account.objects.filter(pk=account.pk).update(
        followup_due_on=date(2999, 5, 4),
        notice_confirmed_at=timezone.now(),
        sender_confirmed_at=timezone.now(),
    )
    make_account(name='=HYPERLINK("http://x")', handle="formel_kau", platform="youtube")
    client.force_login(cast["social_media_lead"])
    response = client.get(reverse("accounts:export"), {"platform": "instagram"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="kontoregister-')
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "Älvstranden".encode() in response.content
    rows = read_csv(response)
    assert len(rows) == 2  # the filter applies: the YouTube account is left out
    assert len(rows[0]) == 13
    row = dict(zip(range(13), rows[1], strict=True))
    assert row[0] == str(account.pk)
    assert row[1] == "Institutionen"
    assert row[2] == "Instagram"
    assert (row[3], row[4], row[5]) == (
        "Älvstranden på Instagram",
        "alvstranden_kau",
        "https://www.instagram.com/alvstranden_kau",
    )
    assert row[6] == "Communicator"
    assert row[7] == "Dean, Deputy"
    assert row[9] == timezone.localdate(account.created_at).isoformat()
    assert row[10] == "2999-05-04"
    assert row[11] == ""
    assert row[12] == "KAU-START-CHECKLIST KAU-STARTPAGE"


def test_the_export_keeps_a_formula_from_running_in_a_spreadsheet(
    client: Client, cast: Cast, make_account: Any
) -> None:
    make_account(name='=HYPERLINK("http://example.com")', handle="formel_kau")
    client.force_login(cast["social_media_lead"])
    rows = read_csv(client.get(reverse("accounts:export")))
    assert rows[1][3] == '\'=HYPERLINK("http://example.com")'


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("visitor;=1+1", "visitor;=1+1"),
        ("  =cmd", "'  =cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
    ],
)
def test_the_export_keeps_a_hostile_name_in_its_own_cell_as_text(
    client: Client, cast: Cast, make_account: Any, name: str, written: str
) -> None:
    """Every cell quoted, so a semicolon stays inside its cell in Swedish Excel; a formula trigger
    after leading whitespace is neutralised too (core.csvfile)."""
    account = make_account(handle="fientlig_kau")
    Account.objects.filter(pk=account.pk).update(name=name)
    client.force_login(cast["social_media_lead"])
    header, row = read_csv(client.get(reverse("accounts:export")))
    assert len(row) == len(header) == 13
    assert (row[0], row[3], row[4]) == (str(account.pk), written, "fientlig_kau")
    assert not any(cell.lstrip()[:1] in {"=", "+", "-", "@"} for cell in row)


# --- Direct registration --------------------------------------------------------------------------------


@pytest.mark.parametrize("person", sorted(REGISTERS))
def test_the_communications_department_registers_an_existing_account(
    client: Client, cast: Cast, person: str
) -> None:
    """KAU-START-COMMS: registered directly, with owner and deputies (KAU-RESP-OWNER); its strategy
    document is missing (KAU-START-CHECKLIST) until a request for it is approved."""
    client.force_login(cast[person])
    response = client.post(reverse("accounts:register"), register_data(cast, handle="@fysikkau"))
    account = Account.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[account.pk])
    assert (account.name, account.handle, account.platform, account.owner) == (
        "Fysikens Facebooksida",
        "fysikkau",
        "facebook_page",
        cast["communicator"],
    )
    assert list(account.deputies.all()) == [cast["deputy"]]
    assert account.registered_by == cast[person]
    assert account.followup_due_on is not None
    page = client.get(response["Location"])
    assert "KAU-START-CHECKLIST" in [flag.rule for flag in page.context["flags"]]
    body = page.content.decode()
    assert f"{reverse('governance:request_create')}?konto={account.pk}" in body
    history = account.history.order_by("history_id").first()
    assert history is not None
    assert (history.history_user, history.history_change_reason) == (cast[person], "registered directly")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"deputies": []}, "deputies"),
        ({"deputies": ["{communicator}"]}, "deputies"),
        ({"owner": ""}, "owner"),
        ({"name": ""}, "name"),
        ({"platform": "myspace"}, "platform"),
        ({"platform": "other", "platform_other": ""}, "platform_other"),
        ({"url": "inte en adress"}, "url"),
        ({"unit": "999999"}, "unit"),
        ({"status": "deleted"}, "status"),
        ({"handle": "taget_kau", "platform": "instagram"}, "handle"),
    ],
)
def test_bad_registration_is_refused_with_the_field_named_and_nothing_stored(
    client: Client, cast: Cast, make_account: Any, overrides: dict[str, Any], field: str
) -> None:
    make_account(handle="taget_kau", platform="instagram")
    before = Account.objects.count()
    if overrides.get("deputies"):
        overrides["deputies"] = [str(cast["communicator"].pk)]
    client.force_login(cast["communications"])
    response = client.post(reverse("accounts:register"), register_data(cast, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert f'href="#id_{field}"' in response.content.decode()
    assert Account.objects.count() == before


def test_an_inactive_deputy_cannot_be_registered(client: Client, cast: Cast) -> None:
    """KAU-RESP-OWNER: owner and deputies are active people."""
    cast["deputy"].is_active = False
    cast["deputy"].save()
    client.force_login(cast["communications"])
    response = client.post(reverse("accounts:register"), register_data(cast))
    assert response.status_code == 400
    assert "deputies" in response.context["form"].errors
    assert not Account.objects.exists()


def test_the_register_link_is_shown_only_to_those_who_may_register(
    client: Client, cast: Cast, make_account: Any
) -> None:
    make_account()
    for person, shown in (
        ("communications", True),
        ("social_media_lead", True),
        ("registrar", False),
        ("dean", False),
    ):
        client.force_login(cast[person])
        body = client.get(reverse("accounts:list")).content.decode()
        assert (reverse("accounts:register") in body) is shown, person


# --- The account page -------------------------------------------------------------------------------------


def change_deputies(
    account: Account, deputies: list[Any], *, by: Any, reason: str = "deputies changed"
) -> None:
    """A change of deputies as a service makes it: who and why recorded before the write."""
    account = Account.objects.get(pk=account.pk)
    record(account, by=by, reason=reason)
    account.save()
    account.deputies.set(deputies)


def test_the_history_shows_who_changed_the_deputies_from_whom_to_whom(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """KAU-RESP-OWNER, KAU-PUBLIC-RECORD: the history says who changed what, when, old → new."""
    account = make_account()
    change_deputies(
        account, [cast["dean"], cast["staff"]], by=cast["social_media_lead"], reason="ny ersättare"
    )
    client.force_login(cast["head_of_unit"])
    in_english(client)
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    latest = response.context["history"][0]
    assert latest.by == cast["social_media_lead"]
    assert latest.reason == "ny ersättare"
    assert [(c.label, c.old, c.new) for c in latest.changes] == [("Deputies", "Deputy", "Dean, Staff")]
    body = response.content.decode()
    section = body[body.index('id="h-history"') :]
    assert "Social Media Lead" in section
    assert "<del>Deputy</del>" in section
    assert "<ins>Dean, Staff</ins>" in section
    registered = response.context["history"][-1]
    assert registered.created
    assert registered.changes == []


def test_the_history_names_people_and_labels_fields(client: Client, cast: Cast, make_account: Any) -> None:
    account = make_account(name="Gammalt namn")
    fresh = Account.objects.get(pk=account.pk)
    fresh.owner, fresh.name, fresh.status = cast["staff"], "Nytt namn", "paused"
    record(fresh, by=cast["head_of_unit"], reason="byte av ansvarig")
    fresh.save()
    client.force_login(cast["social_media_lead"])
    in_english(client)
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    changes = {c.label: (c.old, c.new) for c in response.context["history"][0].changes}
    assert changes == {
        "Account owner": ("Communicator", "Staff"),
        "Account name": ("Gammalt namn", "Nytt namn"),
        "Status": ("Active", "Paused"),
    }
    assert response.context["history"][0].by == cast["head_of_unit"]


def test_the_account_page_shows_people_flags_dates_and_strategy(client: Client, cast: Cast) -> None:
    """KAU-START-CHECKLIST: an account from an approved request links to it as its strategy document."""
    req = make_request(cast, state="approved")
    account = req.account
    assert account is not None
    client.force_login(cast["deputy"])
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    body = response.content.decode()
    assert req.get_absolute_url() in body
    assert "?konto=" not in body
    assert "KAU-START-CHECKLIST" not in [flag.rule for flag in response.context["flags"]]
    assert "Head Of Unit" in body  # the head of the account's unit
    assert "Communicator" in body
    assert "Deputy" in body
    for flag in response.context["flags"]:
        assert flag.rule in body
        assert str(flag.explanation) in body


def test_the_account_page_lists_the_earliest_unanswered_items_first(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """KAU-RESPONSE-DEADLINE: up to ten, earliest limit first, and "more than ten" when there are more
    (never a count of the items table); handled ones left out."""
    account = make_account()
    now = timezone.now()
    for hours in range(12, 0, -1):
        limit = now + timedelta(hours=hours * 10)
        Item.objects.create(
            account=account,
            kind="comment",
            author=f"Besökare {hours}",
            text="Fråga",
            received_at=limit - timedelta(days=2),
            due_at=limit - timedelta(days=1),
            limit_at=limit,
        )
    Item.objects.create(
        account=account,
        kind="comment",
        author="Besvarad",
        text="Tack",
        received_at=now - timedelta(days=3),
        due_at=now - timedelta(days=2),
        limit_at=now - timedelta(days=1),
        handled_at=now,
        status=Item.Status.ANSWERED,
        answer="Svar",
    )
    client.force_login(cast["communicator"])
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.context["item_count"] == 10
    assert response.context["items_more"] is True
    assert [item.author for item in response.context["items"]] == [f"Besökare {n}" for n in range(1, 11)]
    assert "More than 10 unanswered" in response.content.decode() or "Fler än 10" in response.content.decode()


def test_the_action_links_follow_who_may_act(client: Client, cast: Cast, make_account: Any) -> None:
    """KAU-RESP-MANAGER: the head of the unit (or above) and the social media lead manage owner,
    deputies, name and closing; the owner records follow-ups and confirms."""
    account = make_account()
    people_url = reverse("accounts:people", args=[account.pk])
    followup_url = reverse("accounts:followup", args=[account.pk])
    confirm_url = reverse("accounts:confirm", args=[account.pk])
    expected = {
        "communicator": (False, True, True),
        "deputy": (False, True, True),
        "head_of_unit": (True, True, False),
        "dean": (True, True, False),
        "social_media_lead": (True, True, True),
        "communications": (False, False, True),
        "registrar": (False, False, False),
    }
    for person, (manages, follows_up, confirms) in expected.items():
        client.force_login(cast[person])
        body = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
        assert (people_url in body, followup_url in body, confirm_url in body) == (
            manages,
            follows_up,
            confirms,
        ), person


def test_the_account_page_includes_coverage_and_follow_up_when_they_have_something(
    client: Client, cast: Cast, make_account: Any, monkeypatch: Any
) -> None:
    from accounts import coverage, followup

    account = make_account()
    CoverageGap.objects.create(
        account=account, starts_on=date(2999, 1, 1), ends_on=date(2999, 1, 2), found_at=timezone.now()
    )
    seen: list[tuple[Any, Any]] = []

    def context(account: Any, *, user: Any, now: Any) -> dict[str, Any]:
        seen.append((account.pk, user))
        return {"extra_from_module": "ja"}

    monkeypatch.setattr(coverage, "detail_context", context)
    monkeypatch.setattr(followup, "detail_context", context)
    client.force_login(cast["communicator"])
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.context["extra_from_module"] == "ja"
    assert seen == [(account.pk, cast["communicator"])] * 2
    assert "KAU-RESP-DAILY" in [flag.rule for flag in response.context["flags"]]


# --- Confirmations ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", sorted(CONFIRMS))
@pytest.mark.parametrize(
    ("what", "field", "rule"), [("notice", "notice", "KAU-INFORM"), ("sender", "sender", "KAU-SENDER")]
)
def test_confirming_the_notice_or_the_sender_clears_its_flag(
    client: Client, cast: Cast, make_account: Any, person: str, what: str, field: str, rule: str
) -> None:
    """KAU-INFORM, KAU-SENDER: confirmed with who and when, kept in the history."""
    account = make_account()
    client.force_login(cast[person])
    url = reverse("accounts:detail", args=[account.pk])
    assert rule in [flag.rule for flag in client.get(url).context["flags"]]
    response = client.post(reverse("accounts:confirm", args=[account.pk]), {"what": what})
    assert response.status_code == 302
    fresh = Account.objects.get(pk=account.pk)
    assert getattr(fresh, f"{field}_confirmed_by") == cast[person]
    assert getattr(fresh, f"{field}_confirmed_at") is not None
    assert rule not in [flag.rule for flag in client.get(url).context["flags"]]
    latest = fresh.history.order_by("-history_id").first()
    assert latest is not None
    assert latest.history_user == cast[person]


def test_the_start_page_is_no_longer_recorded_by_a_day_alone(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """KAU-STARTPAGE: a start page counts only with its screenshot; a day alone is refused and changes
    nothing."""
    account = make_account()
    before = state_of(account)
    client.force_login(cast["deputy"])
    response = client.post(
        reverse("accounts:confirm", args=[account.pk]),
        {"what": "startpage", "taken_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert "what" in response.context["confirm_form"].errors
    assert state_of(account) == before


@pytest.mark.parametrize(
    ("person", "link", "upload"),
    [
        ("communicator", True, True),
        ("deputy", True, True),
        ("head_of_unit", True, False),
        ("dean", True, False),
        ("communications", True, False),
        ("social_media_lead", True, False),
        ("registrar", True, False),
    ],
)
def test_the_account_page_shows_the_last_start_page_and_links_to_the_screenshots(
    client: Client,
    cast: Cast,
    make_account: Any,
    settings: Any,
    tmp_path: Any,
    person: str,
    link: bool,
    upload: bool,
) -> None:
    """KAU-STARTPAGE: the last kept start page as a thumbnail of its stamped copy, a link to the
    account's start-page screenshots for those who see them, and the upload offered to the owner and
    the deputies."""
    import io

    from PIL import Image

    from archive.startpage import record_startpage_screenshot

    settings.MEDIA_ROOT = str(tmp_path / "media")
    account = make_account()
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (20, 90, 160)).save(out, "PNG")
    shot = record_startpage_screenshot(
        account, data=out.getvalue(), by=cast["communicator"], now=timezone.now()
    )
    client.force_login(cast[person])
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    body = response.content.decode()
    assert response.context["startpage_latest"] == shot
    assert (reverse("archive:startpage", args=[account.pk]) in body) is link
    assert (reverse("archive:stamped", args=[shot.pk]) in body) is link
    assert response.context["can_record_startpage"] is upload


@pytest.mark.parametrize(
    "data",
    [
        {"what": "everything"},
        {},
    ],
)
def test_a_bad_confirmation_is_refused_and_changes_nothing(
    client: Client, cast: Cast, make_account: Any, data: dict[str, str]
) -> None:
    account = make_account()
    before = state_of(account)
    client.force_login(cast["communicator"])
    response = client.post(reverse("accounts:confirm", args=[account.pk]), data)
    assert response.status_code == 400
    assert response.context["confirm_form"].errors
    assert 'role="alert"' in response.content.decode()
    assert state_of(account) == before


def test_a_confirmation_needs_a_post(client: Client, cast: Cast, make_account: Any) -> None:
    account = make_account()
    client.force_login(cast["communicator"])
    assert client.get(reverse("accounts:confirm", args=[account.pk])).status_code == 405


# --- In a real browser: WCAG 2.1 AA (KAU-ACCESS) ---------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_registry_pages_pass_axe_and_work_without_script(
    page: Any, cast: Cast, make_account: Any
) -> None:
    """KAU-ACCESS: the list filtered by a faculty and a flag, the account page with its history and
    confirmations, and direct registration with its errors, each without axe violations."""
    from playwright.sync_api import expect

    from tests.conftest import browser_login

    flagged = make_account(name="Institutionens Instagram")
    make_account(
        unit="comms", owner="communications", deputies=("social_media_lead",), name="Centrala kontot"
    )
    change_deputies(flagged, [cast["dean"]], by=cast["social_media_lead"])
    browser_login(page, "social_media_lead", "pw-social_media_lead-0123")

    page.goto(reverse("accounts:list"))
    assert_accessible(page)
    page.select_option("#id_unit", str(cast.units["faculty"].pk))
    page.select_option("#id_flag", "any")
    with page.expect_navigation():
        page.locator("form.registry-filters button[type=submit]").click()
    expect(page.locator("table.registry tbody tr")).to_have_count(1)
    expect(page.locator("table.registry")).to_contain_text("Institutionens Instagram")
    expect(page.locator("table.registry")).to_contain_text("KAU-START-CHECKLIST")
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Institutionens Instagram", exact=True).click()
    expect(page.locator("#h-history")).to_be_visible()
    expect(page.locator("ol.timeline")).to_contain_text("Dean")
    assert_accessible(page)
    with page.expect_navigation():
        page.locator('form[action$="/bekrafta/"] button').first.click()
    assert Account.objects.get(pk=flagged.pk).notice_confirmed_by == cast["social_media_lead"]
    assert_accessible(page)

    page.goto(reverse("accounts:register"))
    assert_accessible(page)
    page.fill("#id_name", "Utan ersättare")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("#form-errors")).to_be_visible()
    assert_accessible(page)
    assert not Account.objects.filter(name="Utan ersättare").exists()


def test_a_closed_account_takes_no_confirmation(client: Client, cast: Cast, make_account: Any) -> None:
    """KAU-CLOSE: the page offers nothing to confirm, and a confirmation posted anyway is a conflict."""
    account = make_account(status="closed")
    before = state_of(account)
    client.force_login(cast["communicator"])
    page = client.get(reverse("accounts:detail", args=[account.pk]))
    assert reverse("accounts:confirm", args=[account.pk]) not in page.content.decode()
    assert page.context["flags"] == []
    response = client.post(reverse("accounts:confirm", args=[account.pk]), {"what": "notice"})
    assert response.status_code == 409
    assert 'class="message message--error"' in response.content.decode()
    assert state_of(account) == before


@pytest.mark.parametrize(
    ("person", "sees_items"),
    [
        ("communicator", True),
        ("deputy", True),
        ("head_of_unit", True),
        ("social_media_lead", True),
        ("communications", False),
        ("registrar", False),
    ],
)
def test_the_account_page_shows_items_only_to_those_who_read_them(
    client: Client, cast: Cast, make_account: Any, person: str, sees_items: bool
) -> None:
    """KAU-PUBLIC-RECORD: what visitors wrote is read by the owner, the deputies, the head and the social
    media lead; the communications department and the registrar see the account, not its items."""
    from moderation.services import log_item

    account = make_account()
    log_item(
        account,
        kind="comment",
        author="@besokare",
        text="En hemlig fråga om antagningen",
        received_at=timezone.now() - timedelta(hours=1),
        by=cast["communicator"],
    )
    client.force_login(cast[person])
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.status_code == 200
    assert ("En hemlig fråga om antagningen" in response.content.decode()) is sees_items
    if sees_items:
        assert response.context["item_count"] == 1
    else:
        assert "item_count" not in response.context  # moderation's section is left out
