"""Crisis mode in real Chromium, with axe on every page (WCAG 2.1 AA): the social media lead declares a
crisis with the link to the university's website (KTH-COMPLEMENT, KAU-ACCESS) and adds its saved reply;
a communicator sees the banner and the crisis on *Min kö*, answers an item with the crisis's saved
reply and logs what the account published; the lead ends the crisis with a summary, and the banner is
gone (KAU-CRISIS)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast, browser_login
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEBSITE = "https://www.kau.se/kris/brand-hus-21"
REPLY = f"Vi vet om branden i hus 21. Den senaste informationen finns på {WEBSITE}"


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/logga-in/")


def _fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_a_crisis_from_declaring_to_ending_kau_crisis_kth_complement(
    page: Any, cast: Cast, make_account: Any, width: int, height: int
) -> None:
    from moderation.models import Crisis, CrisisLogEntry, Item
    from moderation.services import log_item

    account = make_account(name="Studentlivet")
    now = timezone.now()
    item = log_item(
        account,
        kind="comment",
        author="@undrande",
        text="Vad händer i hus 21? Det luktar rök.",
        received_at=now - timedelta(minutes=20),
        by=None,
        now=now,
    )
    page.set_viewport_size({"width": width, "height": height})

    # The lead declares, from the menu's "Crisis".
    browser_login(page, "social_media_lead", "pw-social_media_lead-0123")
    if page.locator(".nav-toggle").is_visible():  # on a phone the menu is folded
        page.locator(".nav-toggle").click()
    page.locator("nav.main-nav [data-nav=crisis]").click()
    page.wait_for_load_state()
    assert page.locator("[data-no-active-crisis]").count() == 1
    assert_accessible(page)
    page.locator("[data-declare-crisis]").click()
    page.wait_for_load_state()
    form = page.locator("form[data-declare-form]")
    form.locator("button[type=submit]").click()  # empty: refused, on the fields
    page.wait_for_load_state()
    assert page.locator("#id_website_url_error").count() == 1
    assert_accessible(page)
    page.locator("#id_title").fill("Brand i hus 21")
    page.locator("#id_what_happened").fill("Hus 21 är utrymt. Ingen är skadad.")
    page.locator("#id_website_url").fill(WEBSITE)
    page.locator("form[data-declare-form] button[type=submit]").click()
    page.wait_for_load_state()
    crisis = Crisis.objects.get()
    assert page.url.endswith(reverse("moderation:crisis", args=[crisis.pk]))
    assert page.locator("[data-banner=crisis][role=alert]").is_visible()
    # Its saved reply, offered first on every item while it lasts.
    page.locator("form[data-crisis-reply-form]").locator("xpath=..").locator("summary").click()
    page.locator("#id_reply-title").fill("Brand i hus 21")
    page.locator("#id_reply-text").fill(REPLY)
    page.locator("form[data-crisis-reply-form] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-crisis-replies] li").count() == 1
    _fits(page, width)
    assert_accessible(page)
    _sign_out(page)

    # A communicator: the banner on every page, the crisis on "Min kö".
    browser_login(page, "communicator", "pw-communicator-0123")
    banner = page.locator("[data-banner=crisis]")
    assert banner.is_visible()
    assert banner.locator("[data-banner-external]").get_attribute("href") == WEBSITE
    page.goto(reverse("moderation:queue"))
    page.wait_for_load_state()
    if os.environ.get("KANALVAKT_SHOTS"):
        page.screenshot(path=os.path.join(os.environ["KANALVAKT_SHOTS"], f"crisis-queue-{width}.png"))
    notice = page.locator(f"[data-crisis-notice='{crisis.pk}']")
    assert notice.is_visible()
    assert notice.locator("[data-crisis-website]").get_attribute("href") == WEBSITE
    _fits(page, width)
    assert_accessible(page)

    # Answers the item with the crisis's saved reply.
    page.locator(f"tr[data-item='{item.pk}'] [data-item-link]").click()
    page.wait_for_load_state()
    answer = page.locator("form[data-action=answer]")
    options = answer.locator("select[name=reply] option")
    assert options.nth(1).inner_text().endswith("Brand i hus 21")  # first after the prompt
    answer.locator("select[name=reply]").select_option(index=1)
    answer.locator("[data-insert-reply]").click()
    assert answer.locator("textarea[name$=answer]").input_value() == REPLY
    assert_accessible(page)
    answer.locator(".answer-form__actions button[type=submit]").click()
    page.wait_for_load_state()
    item.refresh_from_db()
    assert item.status == Item.Status.ANSWERED
    assert item.answer == REPLY

    # Logs what the account published, from the banner's link to the crisis page.
    page.locator("[data-banner=crisis] [data-banner-link]").click()
    page.wait_for_load_state()
    assert page.locator(f"[data-not-posted] [data-account='{account.pk}']").count() == 1
    page.locator("form[data-log-form]").locator("xpath=..").locator("summary").click()
    page.locator("#id_log-account").select_option(str(account.pk))
    page.locator("#id_log-where").fill("Inlägg på Instagram")
    page.locator("#id_log-text").fill(f"Hus 21 är utrymt. Läs mer på {WEBSITE}")
    page.locator("form[data-log-form] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-crisis-log] tr[data-entry]").count() == 1
    if os.environ.get("KANALVAKT_SHOTS"):
        page.screenshot(
            path=os.path.join(os.environ["KANALVAKT_SHOTS"], f"crisis-page-{width}.png"), full_page=True
        )
    assert page.locator("[data-every-account-posted]").count() == 1
    assert CrisisLogEntry.objects.get().recorded_by == cast["communicator"]
    assert page.locator("form[data-end-form]").count() == 0  # the lead or communications end it
    _fits(page, width)
    assert_accessible(page)
    _sign_out(page)

    # The lead ends it with a summary; the banner is gone, the page stays as a record.
    browser_login(page, "social_media_lead", "pw-social_media_lead-0123")
    page.goto(reverse("moderation:crisis", args=[crisis.pk]))
    page.wait_for_load_state()
    page.locator("form[data-end-form] button[type=submit]").click()  # no summary: refused
    page.wait_for_load_state()
    assert page.locator("#end-errors").is_visible()
    assert_accessible(page)
    page.locator("#id_end-summary").fill("Utrymningen gick lugnt. Alla inlägg pekade på webben.")
    page.locator("form[data-end-form] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-banner=crisis]").count() == 0
    assert page.locator("[data-crisis-summary]").is_visible()
    assert_accessible(page)
    page.goto(reverse("moderation:crises"))
    assert page.locator(f"[data-past-crises] tr[data-crisis='{crisis.pk}']").count() == 1
    assert page.locator("[data-banner=crisis]").count() == 0
    _fits(page, width)
    assert_accessible(page)
