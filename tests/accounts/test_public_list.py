"""The public list of official accounts (KTH-PRIVATE): open to everyone, active accounts only,
nothing internal, as a page and as JSON, in a fixed number of queries."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from core.models import InstitutionSettings
from governance import services as governance_services
from tests.conftest import Cast
from tests.support import assert_accessible

PAGE = "/officiella-konton/"
FEED = "/official-accounts.json"


@pytest.fixture
def registry(cast: Cast, make_account: Any) -> dict[str, Account]:
    """One account in each state, and a second active one in another unit and platform."""
    return {
        "active": make_account(
            name="Fysik på Instagram", handle="fysik_kau", url="https://www.instagram.com/fysik_kau"
        ),
        "other": make_account(
            unit="comms",
            owner="social_media_lead",
            deputies=("communications",),
            platform="linkedin",
            name="Universitetet på LinkedIn",
            handle="uni",
            url="https://www.linkedin.com/school/uni",
        ),
        "paused": make_account(name="Pausat konto", status=Account.Status.PAUSED),
        "closing": being_closed(make_account(name="Konto under avveckling"), cast),
        "closed": make_account(name="Stängt konto", status=Account.Status.CLOSED),
    }


def being_closed(account: Account, cast: Cast) -> Account:
    from accounts import closing

    return closing.start_closing(
        account, reason="Används inte längre.", by=cast["social_media_lead"], now=timezone.now()
    )


def test_the_urls_are_the_public_ones() -> None:
    assert reverse("official_accounts") == PAGE
    assert reverse("official_accounts_json") == FEED


def test_anyone_sees_the_active_accounts_and_no_other(client: Client, cast: Cast, registry: Any) -> None:
    """KTH-PRIVATE: only what speaks in the university's name today; no sign-in needed."""
    response = client.get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    for key in ("active", "other"):
        assert registry[key].name in body
        assert registry[key].url in body
    for key in ("paused", "closing", "closed"):
        assert registry[key].name not in body
    assert registry["active"].handle in body
    assert InstitutionSettings.objects.get_solo().institution_name in body
    assert {account.pk for account in response.context["accounts"]} == {
        registry["active"].pk,
        registry["other"].pk,
    }


def test_the_page_says_what_the_list_means_in_the_institutions_name(client: Client, cast: Cast) -> None:
    governance_services.update_institution_settings(
        by=cast["social_media_lead"], institution_name="Exempeluniversitetet"
    )
    body = client.get(PAGE).content.decode()
    assert re.search(r"<h1>[^<]*Exempeluniversitetet", body)
    lead = re.search(r'<p class="lead">(.*?)</p>', body, re.S)
    assert lead is not None
    assert "Exempeluniversitetet" in lead.group(1)


def test_nothing_internal_is_shown(client: Client, cast: Cast, registry: Any) -> None:
    """KTH-PRIVATE: no owners, deputies, e-mail addresses, flags or people's ids."""
    body = client.get(PAGE).content.decode()
    feed = client.get(FEED).content.decode()
    for person in ("communicator", "deputy", "social_media_lead", "communications", "head_of_unit"):
        someone = cast[person]
        for text in (someone.email, someone.get_full_name(), someone.username):
            assert text not in body, text
            assert text not in feed, text
    for internal in ("KAU-", "kontoansvarig", "Account owner", "Deputies", "/konton/"):
        assert internal not in body
    assert 'class="main-nav"' not in body  # an anonymous visitor sees no navigation
    assert 'name="language"' in body  # only the language switch


def test_the_page_groups_by_unit_and_filters_by_unit_and_platform(
    client: Client, cast: Cast, registry: Any, make_account: Any
) -> None:
    other_department = make_account(
        unit="other", owner="other_head", deputies=("outsider",), name="Andra institutionen på Instagram"
    )
    body = client.get(PAGE).content.decode()
    assert body.count("<section") == 3  # three units with official accounts
    faculty = client.get(PAGE, {"enhet": cast.units["faculty"].pk})  # the faculty and the units below
    assert {a.pk for a in faculty.context["accounts"]} == {registry["active"].pk, other_department.pk}
    department = client.get(PAGE, {"enhet": cast.units["department"].pk})
    assert [a.pk for a in department.context["accounts"]] == [registry["active"].pk]
    linkedin = client.get(PAGE, {"plattform": "linkedin"})
    assert [a.pk for a in linkedin.context["accounts"]] == [registry["other"].pk]
    both = client.get(PAGE, {"enhet": cast.units["faculty"].pk, "plattform": "linkedin"})
    assert both.context["accounts"] == []
    assert "<section" not in both.content.decode()
    nonsense = client.get(PAGE, {"enhet": "x", "plattform": "myspace"})
    assert nonsense.status_code == 200
    assert len(nonsense.context["accounts"]) == 3


def test_the_feed_lists_active_accounts_with_only_public_fields(
    client: Client, cast: Cast, registry: Any
) -> None:
    """KTH-PRIVATE: the same list as JSON, for anyone, from anywhere."""
    response = client.get(FEED)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age=300" in response["Cache-Control"]
    data = json.loads(response.content)
    # KAU-PRIVATE: ambassadors and bloggers under keys of their own, apart from the official accounts.
    assert set(data) == {"institution", "generated_at", "accounts", "ambassadors_statement", "ambassadors"}
    assert data["ambassadors"] == []
    assert data["institution"] == InstitutionSettings.objects.get_solo().institution_name
    generated = datetime.fromisoformat(data["generated_at"])
    assert generated.utcoffset() is not None  # ISO 8601 with the offset
    assert re.search(r"[+-]\d\d:\d\d$", data["generated_at"])
    by_id = {row["id"]: row for row in data["accounts"]}
    assert set(by_id) == {registry["active"].pk, registry["other"].pk}
    active = registry["active"]
    assert by_id[active.pk] == {
        "id": active.pk,
        "unit": cast.units["department"].name,
        "platform": "instagram",
        "name": "Fysik på Instagram",
        "url": "https://www.instagram.com/fysik_kau",
        "handle": "fysik_kau",
    }
    assert "Fysik på Instagram" in response.content.decode()  # UTF-8, not \\u escapes


@pytest.mark.parametrize("url", [PAGE, FEED])
@pytest.mark.parametrize("person", ["anonymous", "outsider", "communicator", "social_media_lead"])
def test_everyone_may_read_the_list(client: Client, cast: Cast, registry: Any, url: str, person: str) -> None:
    if person != "anonymous":
        client.force_login(cast[person])
    response = client.get(url)
    assert response.status_code == 200
    assert registry["active"].name in response.content.decode()
    assert registry["closed"].name not in response.content.decode()


@pytest.mark.parametrize("url", [PAGE, FEED])
def test_the_list_is_read_only(client: Client, url: str) -> None:
    assert client.post(url).status_code == 405


@pytest.mark.parametrize("url", [PAGE, FEED])
def test_the_list_makes_the_same_queries_for_2_and_20_accounts(
    client: Client, cast: Cast, make_account: Any, django_assert_num_queries: Any, url: str
) -> None:
    units = ("department", "other", "comms")
    owners = {"department": ("communicator", ("deputy",)), "other": ("other_head", ("outsider",))}
    owners["comms"] = ("social_media_lead", ("communications",))

    def more(count: int, offset: int) -> None:
        for number in range(offset, offset + count):
            unit = units[number % 3]
            owner, deputies = owners[unit]
            make_account(
                unit=unit, owner=owner, deputies=deputies, platform=("instagram", "youtube")[number % 2]
            )
            make_account(unit=unit, owner=owner, deputies=deputies, status=Account.Status.CLOSED)

    more(2, 0)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    more(18, 2)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    if url == FEED:
        assert len(json.loads(response.content)["accounts"]) == 20
    else:
        assert len(response.context["accounts"]) == 20


# --- In the browser --------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_public_list_in_the_browser_passes_axe(page: Any, cast: Cast, registry: Any) -> None:
    """KTH-PRIVATE, KAU-ACCESS: an anonymous visitor sees the active account, not the closed one."""
    page.goto(PAGE)
    assert page.url.endswith(PAGE)  # not sent to sign in
    main = page.locator("main")
    assert main.get_by_text(registry["active"].name, exact=True).count() == 1
    assert main.get_by_text(registry["closed"].name).count() == 0
    assert page.locator("nav.main-nav").count() == 0
    assert_accessible(page)
    page.select_option("#filter-platform", "linkedin")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    assert main.get_by_text(registry["other"].name, exact=True).count() == 1
    assert main.get_by_text(registry["active"].name, exact=True).count() == 0
    assert_accessible(page)


def test_a_long_list_is_paged_in_the_database(
    client: Client, cast: Cast, registry: Any, make_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shared service lists thousands of accounts: the page shows one page of them at a time, and
    says how many there are in all (KTH-PRIVATE)."""
    from accounts import public_views

    make_account(unit="other", owner="other_head", deputies=("outsider",), name="Tredje kontot")
    monkeypatch.setattr(public_views, "PAGE_SIZE", 2)
    first = client.get(PAGE)
    second = client.get(PAGE, {"sida": 2})
    assert len(first.context["accounts"]) == 2
    assert len(second.context["accounts"]) == 1
    assert first.context["total"] == second.context["total"] == 3
    shown = {a.pk for a in first.context["accounts"]} | {a.pk for a in second.context["accounts"]}
    assert len(shown) == 3
    assert 'rel="next"' in first.content.decode()
    assert 'rel="prev"' in second.content.decode()
