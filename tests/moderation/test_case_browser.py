"""The security officer's threat case in real Chromium at a laptop's and a phone's size: the item's
text, the actions taken and the form fit without sideways scrolling, an action is recorded, and the
page passes axe (WCAG 2.1 AA). KAU-THREAT."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Cast, browser_login
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THREAT_TEXT = "Föreläsaren ska få se vad som händer efter tentan. Vi vet var hen bor."


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_the_security_officer_follows_a_threat_case(
    page: Any, cast: Cast, make_account: Any, width: int, height: int
) -> None:
    from moderation.models import ThreatCase
    from moderation.services import Triage, classify_item, log_item

    account = make_account(name="Studentlivet")
    now = timezone.now()
    item = log_item(
        account,
        kind="comment",
        author="@arg",
        text=THREAT_TEXT,
        received_at=now - timedelta(minutes=30),
        by=None,
        now=now,
    )
    classify_item(
        item,
        triage=Triage(classification="comment", threat=True, prohibited=(4,)),
        by=cast["communicator"],
        now=now,
    )
    case = ThreatCase.objects.get(item=item)

    page.set_viewport_size({"width": width, "height": height})
    browser_login(page, "security_officer", "pw-security_officer-0123")
    page.goto("/")
    page.wait_for_load_state()
    assert page.locator("nav.main-nav [data-nav=cases]").count() == 1
    assert page.locator("nav.main-nav [data-nav=queue]").count() == 0
    page.locator("[data-alerts] [data-case-link]").first.click()
    page.wait_for_load_state()
    assert page.locator("[data-item-text]").inner_text().strip() == THREAT_TEXT
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    if os.environ.get("KANALVAKT_SHOTS") and width == 1366:
        page.screenshot(path=os.path.join(os.environ["KANALVAKT_SHOTS"], "case-after.png"))

    form = page.locator("form[data-action=case-record]")
    form.locator("input[value=police_report]").check()
    form.locator("textarea").fill("Polisanmälan gjord, K-123-26.")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-step=police_report]").get_attribute("data-step-done") == "yes"
    assert page.locator("[data-case-record] li[data-entry-kind=police_report]").count() == 1
    assert case.entries.filter(kind="police_report", by=cast["security_officer"]).exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)

    if page.locator(".nav-toggle").is_visible():  # on a phone the menu is folded
        page.locator(".nav-toggle").click()
    page.locator("nav.main-nav [data-nav=cases]").click()
    page.wait_for_load_state()
    assert page.locator(f"[data-cases=open] tr[data-case='{case.pk}']").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)


def test_the_email_settings_page_fits_a_phone_and_passes_axe(page: Any, cast: Cast) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, "communicator", "pw-communicator-0123")
    page.locator("[data-email-settings]").click()
    page.wait_for_load_state()
    page.locator("select[name=request_commented]").select_option("daily")
    page.locator("form[data-email-settings-form] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("select[name=request_commented]").input_value() == "daily"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
