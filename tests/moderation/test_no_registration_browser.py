"""KAU-DIARY-NONE in real Chromium: the account owner decides on the item page, with one click, that
a question needs no registration; the registrar finds it by a word in the archive search, with its
decision and where it can be found. Every page passes axe (WCAG 2.1 AA)."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.models import Item, LogEntry, Registration
from tests.conftest import Cast, browser_login
from tests.moderation.conftest import account, make_item
from tests.support import assert_accessible

__all__ = ["account", "make_item"]  # fixtures used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_decides_kau_diary_none_and_the_registrar_finds_it_in_the_search(
    page: Any, cast: Cast, make_item: Any
) -> None:
    item = make_item(
        text="Hur lång är utbildningen i miljövetenskap?",
        url="https://www.instagram.com/p/miljo1/",
    )
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto(f"/moderering/{item.pk}/")
    section = page.locator("[data-registration]")
    assert section.locator("[data-registration-decision=undecided]").count() == 1
    assert_accessible(page)
    section.locator("form[data-action=no-registration] button[type=submit]").click()
    page.wait_for_load_state()
    decision = page.locator("[data-registration-state] [data-registration-decision=not_needed]")
    assert decision.count() == 1
    assert "KAU-DIARY-NONE" in decision.inner_text()
    assert decision.locator("a[data-found-at]").get_attribute("href") == item.url
    assert page.locator("form[data-action=no-registration]").count() == 0
    assert_accessible(page)
    fresh = Item.objects.get(pk=item.pk)
    assert fresh.registration == Registration.NOT_NEEDED
    assert fresh.registration_decided_by == cast["communicator"]
    assert fresh.log.filter(action=LogEntry.Action.REGISTRATION).count() == 1

    page.context.clear_cookies()
    browser_login(page, "registrar", "pw-registrar-0123")
    page.goto("/arkiv/sok/")
    page.locator("input[name=text]").fill("miljövetenskap")
    page.locator("select[name=registration]").select_option("not_needed")
    page.locator("form.archive-search button[type=submit]").click()
    page.wait_for_load_state()
    cell = page.locator("td[data-registration=not_needed]")
    assert cell.count() == 1
    assert "KAU-DIARY-NONE" in cell.inner_text()
    assert str(item.pk) in cell.inner_text()
    assert cell.locator("a[data-found-at]").get_attribute("href") == item.url
    assert_accessible(page)
