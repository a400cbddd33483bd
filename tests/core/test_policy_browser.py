"""The policy page in real Chromium, at a laptop's and a phone's size: it passes axe (WCAG 2.1 AA,
KAU-ACCESS), fits without sideways scrolling, the keyboard reaches the table of contents, and a rule's
link leads to the page where the rule is met."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import Cast, browser_login
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_a_person_reads_the_rules_and_follows_one_to_its_page(
    page: Any, cast: Cast, make_account: Any, width: int, height: int
) -> None:
    account = make_account(name="Studentlivet")
    account.deputies.clear()  # KAU-RESP-OWNER: counted on the page

    page.set_viewport_size({"width": width, "height": height})
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto(reverse("core:policy"))
    page.wait_for_load_state()
    assert page.locator("nav.main-nav [data-nav=policy]").count() == 1
    assert page.locator("[data-rule]").count() == 41
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    if os.environ.get("KANALVAKT_SHOTS"):
        page.screenshot(
            path=os.path.join(os.environ["KANALVAKT_SHOTS"], f"policy-{width}.png"), full_page=True
        )

    # The keyboard reaches the table of contents, and its link moves to the rule.
    toc_reached = False
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('[data-policy-toc]')"):
            toc_reached = True
            break
    assert toc_reached
    page.locator("[data-policy-toc] a[href='#kau-resp-owner']").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**#kau-resp-owner")

    rule = page.locator("[data-rule=KAU-RESP-OWNER]")
    assert rule.locator("[data-figure] dd").first.inner_text().strip() == "1"
    rule.locator(f"[data-enforcement=accounts] a[href='{reverse('accounts:list')}']").first.click()
    page.wait_for_url(f"**{reverse('accounts:list')}")
    assert page.get_by_role("heading", level=1).inner_text() == "Kontoregister"
