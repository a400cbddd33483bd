"""In real Chromium: people sign in, see their own navigation, and the pages pass axe (WCAG 2.1 AA)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cast, browser_login
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nav_keys(page: Any) -> set[str]:
    return set(page.locator("nav.main-nav [data-nav]").evaluate_all("els => els.map(e => e.dataset.nav)"))


def test_two_roles_sign_in_and_see_their_own_navigation(page: Any, cast: Cast) -> None:
    browser_login(page, "communicator", "pw-communicator-0123")
    assert page.get_by_role("heading", level=1).inner_text() == "Att göra"
    assert nav_keys(page) == {
        "home",
        "queue",
        "requests",
        "absences",
        "my_accounts",
        "organisation",
        "policy",
        "ambassadors",
        "campaigns",
        "consents",
    }
    assert page.get_by_role("link", name="Inställningar", exact=True).count() == 0
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/logga-in/")

    browser_login(page, "social_media_lead", "pw-social_media_lead-0123")
    assert nav_keys(page) == {
        "home",
        "cases",
        "replies",
        "consents",
        "crisis",
        "queue",
        "requests",
        "campaigns",
        "absences",
        "ambassadors",
        "report",
        "tokens",
        "connections",
        "archive",
        "secrecy",
        "closing",
        "accounts",
        "organisation",
        "settings",
        "policy",
    }
    page.get_by_role("link", name="Inställningar", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Inställningar för lärosätet"


def test_start_page_login_and_settings_have_no_axe_violations(
    page: Any, cast: Cast, make_account: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from moderation.services import log_item

    account = make_account()
    log_item(
        account,
        kind="comment",
        author="@elin",
        text="När öppnar antagningen?",
        received_at=timezone.now() - timedelta(days=5),
        by=None,
    )
    page.goto("/logga-in/")
    assert_accessible(page)
    browser_login(page, "communicator", "pw-communicator-0123")
    assert page.get_by_text("När öppnar antagningen?").is_visible()
    assert_accessible(page)
    assert page.request.get("/logga-ut/").status == 405  # sign-out is a POST, with its CSRF token
    page.goto("/")
    page.get_by_role("button", name="Logga ut").click()
    browser_login(page, "social_media_lead", "pw-social_media_lead-0123")
    for path in ("/", "/organisation/", "/organisation/installningar/", "/konton/"):
        page.goto(path)
        assert_accessible(page)


def test_the_interface_switches_to_english(page: Any, cast: Cast) -> None:
    browser_login(page, "communicator", "pw-communicator-0123")
    page.get_by_role("button", name="In English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "My tasks"
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page)
    page.get_by_role("button", name="På svenska").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Att göra"
