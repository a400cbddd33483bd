"""A paid campaign in real Chromium (KAU-ADS): a communicator files it, the communications department
approves it before it starts, the communicator sees it approved; on a subsidiary's account no approval
is needed. Every page on the way passes axe (WCAG 2.1 AA)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from core.calendar import local_today
from governance.campaign_models import Campaign
from tests.conftest import Cast, browser_login
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Any, username: str) -> None:
    browser_login(page, username, f"pw-{username}-0123")


def sign_out(page: Any) -> None:
    page.locator('form[action="/logga-ut/"] button[type=submit]').click()
    page.wait_for_url("**/logga-in/")


def click_and_wait(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def file_campaign(page: Any, account: Any, subject: str) -> Campaign:
    today = local_today(timezone.now())
    page.goto(reverse("governance:campaign_create"))
    assert_accessible(page)
    page.select_option("#id_account", str(account.pk))
    page.select_option("#id_kind", "programme")
    page.fill("#id_subject", subject)
    page.fill("#id_starts_on", (today + timedelta(days=10)).isoformat())
    page.fill("#id_ends_on", (today + timedelta(days=30)).isoformat())
    page.fill("#id_budget", "15000")
    click_and_wait(page, "form.form button[type=submit]")
    campaign = Campaign.objects.get(subject=subject)
    assert page.url.endswith(campaign.get_absolute_url())
    assert_accessible(page)
    click_and_wait(page, 'form[action$="/skicka/"] button[type=submit]')
    return campaign


def test_kau_ads_a_campaign_is_filed_approved_by_the_department_and_seen_approved(
    page: Any, cast: Cast, make_account: Any
) -> None:
    account = make_account()
    sign_in(page, "communicator")
    page.locator("nav.main-nav [data-nav=campaigns]").click()
    page.wait_for_url("**" + reverse("governance:campaign_list"))
    assert_accessible(page)
    campaign = file_campaign(page, account, "Civilingenjör i datateknik")
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "submitted")
    sign_out(page)

    sign_in(page, "communications")
    page.goto(reverse("core:home"))
    expect(page.locator(f'a[href="{campaign.get_absolute_url()}"]').first).to_be_visible()
    page.goto(reverse("governance:campaign_list") + "?phase=awaiting")
    assert_accessible(page)
    click_and_wait(page, f'table a[href="{campaign.get_absolute_url()}"]')
    assert_accessible(page)
    page.locator('input[name="action"][value="approve"]').check()
    click_and_wait(page, 'form[action$="/besluta/"] button[type=submit]')
    assert_accessible(page)
    sign_out(page)

    sign_in(page, "communicator")
    page.goto(campaign.get_absolute_url())
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "approved")
    assert Campaign.objects.get(pk=campaign.pk).decided_by == cast["communications"]


def test_kau_ads_a_subsidiarys_account_says_no_approval_is_needed(
    page: Any, cast: Cast, make_account: Any
) -> None:
    from accounts import people

    account = make_account()
    people.change_details(
        account, name=account.name, handle=account.handle, url="", subsidiary=True,
        by=cast["social_media_lead"], now=timezone.now(),
    )  # fmt: skip
    sign_in(page, "communicator")
    page.goto(reverse("accounts:detail", args=[account.pk]))
    expect(page.locator("[data-subsidiary]")).to_contain_text("KAU-ADS")
    assert_accessible(page)
    campaign = file_campaign(page, account, "Uppdragsutbildning i ledarskap")
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "not_required")
    assert_accessible(page)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.NOT_REQUIRED
