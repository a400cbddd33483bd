"""*Min kö* in real Chromium, on a phone (390 by 844) and a laptop (1366 by 768): a threat leads the list
with its badge in words (KAU-THREAT), a late item says it once, nothing scrolls sideways, a person
takes an item with one press, and the page passes axe (WCAG 2.1 AA)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Cast, browser_login
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THREAT_TEXT = "Föreläsaren ska få se vad som händer efter tentan."
LATE_TEXT = "Varför har ingen svarat om antagningen?"
FRESH_TEXT = "Hur hittar jag till campus?"


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 768)])
def test_the_queue_shows_the_threat_first_with_its_badge_and_fits_the_screen(
    page: Any, cast: Cast, make_account: Any, width: int, height: int
) -> None:
    from moderation.services import Triage, log_item

    account = make_account(name="Studentlivet")
    now = timezone.now()
    log_item(
        account,
        kind="comment",
        author="@ny",
        text=FRESH_TEXT,
        received_at=now - timedelta(minutes=5),
        by=None,
        now=now,
    )
    log_item(
        account,
        kind="comment",
        author="@sen",
        text=LATE_TEXT,
        received_at=now - timedelta(days=20),
        by=None,
        now=now,
    )
    log_item(
        account,
        kind="comment",
        author="@arg",
        text=THREAT_TEXT,
        received_at=now - timedelta(hours=1),
        by=None,
        now=now,
        triage=Triage(threat=True),
    )

    page.set_viewport_size({"width": width, "height": height})
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto("/moderering/")
    page.wait_for_load_state()
    rows = page.locator("table[data-queue] tbody tr")
    assert rows.count() == 3
    first = rows.first
    assert THREAT_TEXT in first.inner_text()
    badge = first.locator("[data-severity=threat]")
    assert badge.is_visible()
    assert badge.inner_text().strip()  # in words, not colour alone
    late = rows.nth(1)
    assert LATE_TEXT in late.inner_text()
    assert late.locator("[data-overdue]").count() == 1  # said once
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)

    # "I'm handling this" on the threat: the row then names the person.
    first.locator("[data-handle-button]").click()
    page.wait_for_load_state()
    first = page.locator("table[data-queue] tbody tr").first
    assert first.locator("[data-handling]").get_attribute("data-holder") == str(cast["communicator"].pk)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Choose the fresh item and close it as needing no answer, after one confirmation.
    fresh_row = page.locator("table[data-queue] tbody tr", has_text=FRESH_TEXT)
    fresh_row.locator("input[data-choose]").check()
    page.locator("button[data-bulk=close]").click()
    page.wait_for_load_state()
    assert page.locator("[data-bulk-items] li").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    page.locator("form[data-bulk-confirm=close] button[type=submit]").click()
    page.wait_for_load_state()
    assert FRESH_TEXT not in page.locator("table[data-queue]").inner_text()
