"""In real Chromium: the owner connects an account by pasting a token (the stand-in Graph API accepts
it), and the connection page and the social media lead's overview pass axe (WCAG 2.1 AA)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.models import Connection
from tests.conftest import Cast, browser_login
from tests.connectors.standin import StandIn
from tests.connectors.test_connect import GOOD, PAGE_ID, graph
from tests.support import assert_accessible

__all__ = ["graph"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_connects_by_pasting_a_token_and_the_pages_pass_axe(
    page: Any, cast: Cast, make_account: Any, graph: StandIn, settings: Any
) -> None:
    settings.META_APP_ID = ""  # Facebook Login is not set up: the page offers the pasted token only
    account = make_account(
        platform="facebook_page", name="Karlstads universitet", handle="karlstadsuniversitet"
    )
    browser_login(page, "communicator", "pw-communicator-0123")
    page.get_by_role("button", name="In English").click()
    page.wait_for_load_state()
    page.goto(f"/konton/{account.pk}/")
    page.get_by_role("link", name="Connect the account").click()
    page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
    assert page.locator("[data-login-off]").is_visible()
    assert_accessible(page)

    # A wrong token first: the error names the field, and nothing is stored.
    page.get_by_label("Id on the platform").fill(PAGE_ID)
    page.get_by_label("Access token").fill("EAAExpired")
    page.get_by_role("button", name="Connect", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("#connect-errors").get_by_role("link", name="Access token").is_visible()
    assert page.get_by_label("Access token").input_value() == ""  # never sent back
    assert not Connection.objects.exists()
    assert_accessible(page)

    page.get_by_label("Id on the platform").fill(PAGE_ID)
    page.get_by_label("Access token").fill(GOOD)
    page.get_by_role("button", name="Connect", exact=True).click()
    page.wait_for_url(f"**/kopplingar/konto/{account.pk}/")
    assert page.get_by_text("The account is connected.").is_visible()
    assert page.locator("[data-health=active]").is_visible()
    assert GOOD not in page.content()
    assert Connection.objects.get().token == GOOD
    assert_accessible(page)

    page.get_by_role("link", name="Disconnect…").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_load_state()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/logga-in/**")
    page.get_by_role("button", name="På svenska").click()
    page.wait_for_load_state()
    browser_login(page, "social_media_lead", "pw-social_media_lead-0123")
    page.locator("nav.main-nav [data-nav=connections]").click()
    page.wait_for_url("**/kopplingar/")
    assert page.locator(f"[data-connection='{Connection.objects.get().pk}']").is_visible()
    assert_accessible(page)
