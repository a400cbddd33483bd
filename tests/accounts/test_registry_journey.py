"""The registry as the social media lead uses it, in real Chromium, and the public list beside it.

The lead filters the registry to one faculty's flagged accounts, opens one, changes its deputy and
sees the change in its history; the public list shows active accounts and no closed one
(KAU-RESP-OWNER, KTH-PRIVATE). Every page passes axe (WCAG 2.1 AA).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Cast, browser_login
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_lead_filters_opens_changes_a_deputy_and_sees_it_in_the_history(
    page: Any, cast: Cast, make_account: Any
) -> None:
    from accounts.models import Account

    flagged = make_account(
        name="Fakultetens flaggade konto", handle="flaggat_kau"
    )  # nothing confirmed: flagged
    elsewhere = make_account(
        unit="comms",
        owner="communications",
        deputies=("social_media_lead",),
        name="Centralt konto",
        handle="centralt_kau",
    )
    closed = make_account(name="Nedlagt konto", handle="nedlagt_kau", status=Account.Status.CLOSED)

    browser_login(page, "social_media_lead", "pw-social_media_lead-0123")
    page.goto("/konton/")
    page.select_option("#id_unit", str(cast.units["faculty"].pk))
    page.select_option("#id_flag", "any")
    page.locator("form.registry-filters [type=submit]").first.click()
    page.wait_for_load_state()
    table = page.locator("main table").first
    assert table.get_by_role("link", name="Fakultetens flaggade konto").count() == 1
    assert table.get_by_text("Centralt konto").count() == 0  # another faculty's unit
    assert table.get_by_text("Nedlagt konto").count() == 0  # closed accounts raise no flag
    assert_accessible(page)

    table.get_by_role("link", name="Fakultetens flaggade konto").click()
    page.wait_for_url(f"**/konton/{flagged.pk}/")
    assert_accessible(page)

    page.goto(f"/konton/{flagged.pk}/ansvariga/")
    assert_accessible(page)
    for box in page.locator('input[name="deputies"]:checked').all():
        box.uncheck()
    page.fill("#id_deputies_search", cast["dean"].email)
    page.check(f'input[name="deputies"][value="{cast["dean"].pk}"]')
    page.locator("main form.form [type=submit]").first.click()
    page.wait_for_url(f"**/konton/{flagged.pk}/")
    flagged.refresh_from_db()
    assert list(flagged.deputies.all()) == [cast["dean"]]
    latest = page.locator("section[aria-labelledby=h-history] li").first.inner_text()  # newest first
    assert "Dean" in latest  # the new deputy
    assert "Social Media Lead" in latest  # who changed it
    assert_accessible(page)

    page.context.clear_cookies()
    page.goto("/officiella-konton/")
    body = page.locator("main").inner_text()
    assert "Fakultetens flaggade konto" in body
    assert "Centralt konto" in body
    assert "Nedlagt konto" not in body
    assert_accessible(page)
    assert {elsewhere.status, closed.status} == {"active", "closed"}  # the rows the assertions are about


def test_recording_an_absence_warns_of_an_account_left_without_cover(
    page: Any, cast: Cast, make_account: Any
) -> None:
    """KAU-RESP-DAILY (USERS.md journey 6): Per records his absence and is told at once."""
    from accounts import coverage

    account = make_account(name="Ensamt konto", handle="ensamt_kau")
    today = timezone.localdate()
    coverage.record_absence(
        person=cast["communicator"],
        starts_on=today + timedelta(days=20),
        ends_on=today + timedelta(days=30),
        kind="vacation",
        note="",
        by=cast["communicator"],
        now=timezone.now(),
    )
    browser_login(page, "deputy", "pw-deputy-0123")
    page.goto("/konton/franvaro/")
    page.fill("#id_starts_on", (today + timedelta(days=22)).isoformat())
    page.fill("#id_ends_on", (today + timedelta(days=25)).isoformat())
    page.locator("main form.form [type=submit]").first.click()
    page.wait_for_load_state()
    assert "Ensamt konto" in page.locator("main").inner_text()
    assert account.pk
    assert_accessible(page)
