"""The moderation journey in real Chromium: a moderator answers the overdue item at the top of "my
queue" and it leaves the queue; a threat flagged in the browser reaches the security officer's start
page (KAU-THREAT); the pages pass axe (WCAG 2.1 AA).

The live server runs on the real clock, so the items are placed relative to timezone.now(): twenty
days back is overdue whatever the calendar (no Swedish holiday season has twenty days off), and a
minute ago is not.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Cast, browser_login
from tests.core.test_browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERDUE_TEXT = "Varför har ingen svarat om antagningen?"
FRESH_TEXT = "Hur hittar jag till campus?"
THREAT_TEXT = "Föreläsaren ska få se vad som händer efter tentan."


def test_a_moderator_answers_the_overdue_item_and_flags_a_threat_for_the_security_officer(
    page: Any, cast: Cast, make_account: Any
) -> None:
    from moderation.models import Item
    from moderation.services import log_item

    account = make_account(name="Studentlivet")
    now = timezone.now()
    for text, ago, author in (
        (FRESH_TEXT, timedelta(minutes=1), "@ny"),
        (THREAT_TEXT, timedelta(minutes=30), "@arg"),
        (OVERDUE_TEXT, timedelta(days=20), "@sen"),
    ):
        log_item(account, kind="comment", author=author, text=text, received_at=now - ago, by=None, now=now)

    browser_login(page, "communicator", "pw-communicator-0123")
    page.locator("nav.main-nav [data-nav=queue]").click()
    page.wait_for_load_state()
    rows = page.locator("table[data-queue] tbody tr")
    assert rows.count() == 3
    first = rows.first
    assert OVERDUE_TEXT in first.inner_text()
    assert first.get_attribute("data-overdue-row") is not None
    assert first.locator("[data-overdue]").count() == 1  # marked in words, not only by colour
    assert_accessible(page)

    # Open it, answer it.
    first.get_by_role("link", name=OVERDUE_TEXT).click()
    page.wait_for_load_state()
    assert page.locator("[data-item-text]").inner_text().strip() == OVERDUE_TEXT
    assert_accessible(page)
    answer = page.locator("form[data-action=answer]")
    answer.locator("textarea").fill("Antagningen öppnar den 15 mars. Välkommen att söka!")
    answer.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("dl[data-status]").get_attribute("data-status") == "answered"
    assert page.locator("table[data-log] tbody tr[data-log-action=answered]").count() == 1

    # It has left the queue; the others remain.
    page.locator("nav.main-nav [data-nav=queue]").click()
    page.wait_for_load_state()
    queue = page.locator("table[data-queue]")
    assert OVERDUE_TEXT not in queue.inner_text()
    assert page.locator("table[data-queue] tbody tr").count() == 2

    # The account's inbox keeps the answered item; the form to log a new one is a click away.
    page.locator(f"a[href='/moderering/konto/{account.pk}/']").first.click()
    page.wait_for_load_state()
    page.locator("select[name=status]").select_option("done")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state()
    assert OVERDUE_TEXT in page.locator("table[data-inbox]").inner_text()
    assert_accessible(page)
    page.locator("a[data-log-item]").click()
    page.wait_for_load_state()
    assert page.locator("form.item-form").is_visible()
    assert_accessible(page)
    page.locator("nav.main-nav [data-nav=queue]").click()
    page.wait_for_load_state()

    # Flag the second item as a threat on its page. Choosing "criticism" proposes registration
    # (KAU-DIARY-ACTION) before anything is saved: the script ticks the box.
    page.get_by_role("link", name=THREAT_TEXT).click()
    page.wait_for_load_state()
    page.locator("details[data-disclosure=classify] > summary").click()
    classify = page.locator("form[data-action=classify]")
    registration = classify.locator("input[name=triage-requires_registration]")
    assert not registration.is_checked()
    classify.locator("select[name=triage-classification]").select_option("criticism")
    assert registration.is_checked()
    classify.locator("input[name=triage-threat]").check()
    classify.locator("button[type=submit]").click()
    page.wait_for_load_state()
    item = Item.objects.get(text=THREAT_TEXT)
    assert item.threat
    assert item.requires_registration
    assert item.classification == "criticism"
    assert item.alerts.filter(kind="threat", target="security").exists()

    # The security officer signs in and finds it among the items routed to them (KAU-THREAT).
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/logga-in/")
    browser_login(page, "security_officer", "pw-security_officer-0123")
    alerts = page.locator("section[aria-labelledby=todo-alerts]")
    assert alerts.locator("h2#todo-alerts").is_visible()
    row = alerts.locator("tr[data-alert-kind=threat]")
    assert row.count() == 1
    assert THREAT_TEXT in row.inner_text()
    assert_accessible(page)

    # The officer reads the item (a threat), and acknowledges the alert from the start page.
    row.get_by_role("link", name=THREAT_TEXT).click()
    page.wait_for_load_state()
    assert page.locator("[data-item-text]").inner_text().strip() == THREAT_TEXT
    assert page.locator("form[data-action]").count() == 0  # a reader sees no forms
    page.go_back()
    page.locator(
        "section[aria-labelledby=todo-alerts] tr[data-alert-kind=threat] button[type=submit]"
    ).click()
    page.wait_for_load_state()
    assert page.locator("section[aria-labelledby=todo-alerts] tr[data-alert-kind=threat]").count() == 0
