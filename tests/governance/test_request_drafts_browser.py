"""The draft in Chromium: a refused "Save and submit", fixed and sent again, submits the one draft;
what submitting asks for is marked from the start; deputies are found with a search box; a draft no
longer wanted is discarded after a confirmation (KAU-START-CHECKLIST, KAU-RESP-OWNER, KAU-ACCESS)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from governance.completeness import SUBMIT_FIELDS
from governance.models import AccountRequest
from tests.conftest import Cast, browser_login
from tests.governance.test_request_browser import ANSWERS, click_and_wait
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_all_but_goals(page: Any, cast: Cast) -> None:
    page.select_option("#id_unit", str(cast.units["department"].pk))
    page.select_option("#id_platform", "instagram")
    page.fill("#id_name", "Fysik vid KAU")
    page.fill("#id_handle", "fysik_kau")
    page.select_option("#id_sender_type", "subject")
    page.check('input[name="areas"][value="knowledge"]')
    page.check('input[name="audiences"][value="students"]')
    for selector, text in ANSWERS.items():
        if selector != "#id_checklist_goals":
            page.fill(selector, text)
    page.check("#id_terms_checked")
    page.select_option("#id_proposed_owner", str(cast["communicator"].pk))


def test_a_refused_submission_fixed_and_sent_again_submits_the_one_draft(page: Any, cast: Cast) -> None:
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto(reverse("governance:request_create"))
    fill_all_but_goals(page, cast)
    # The deputy is found by typing: the others leave the list, the chosen stay.
    search = page.locator("#id_proposed_deputies_search")
    expect(search).to_be_visible()
    search.fill(cast["deputy"].email)
    deputy = page.locator(f'input[name="proposed_deputies"][value="{cast["deputy"].pk}"]')
    outsider = page.locator(f'input[name="proposed_deputies"][value="{cast["outsider"].pk}"]')
    expect(outsider).to_be_hidden()
    deputy.check()
    search.fill("")
    expect(outsider).to_be_visible()
    search.press("Enter")  # does not send the form
    assert page.url.endswith(reverse("governance:request_create"))

    click_and_wait(page, 'button[name="action"][value="submit"]')
    draft = AccountRequest.objects.get()
    edit_url = reverse("governance:request_edit", args=[draft.pk])
    assert draft.status == "draft"
    # The page now names the draft, in the address bar too: a reload opens the draft.
    page.wait_for_function(f"window.location.pathname === {edit_url!r}")
    expect(page.locator("#form-errors")).to_be_focused()
    expect(page.locator('#form-errors a[href="#id_checklist_goals"]')).to_have_count(1)
    expect(deputy).to_be_checked()
    assert_accessible(page)

    page.fill("#id_checklist_goals", ANSWERS["#id_checklist_goals"])
    click_and_wait(page, 'button[name="action"][value="submit"]')
    assert list(AccountRequest.objects.values_list("pk", "status", "round")) == [(draft.pk, "submitted", 1)]
    assert page.url.endswith(draft.get_absolute_url())


def test_what_submitting_asks_for_is_marked_from_the_start(page: Any, cast: Cast) -> None:
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto(reverse("governance:request_create"))
    for name in SUBMIT_FIELDS:
        group = page.locator(f"fieldset.field--group:has(#id_{name}_0), div.field:has(#id_{name})").first
        expect(group.locator(".required")).to_have_count(1)
        if name not in ("areas", "audiences", "proposed_deputies"):
            expect(page.locator(f"#id_{name}")).to_have_attribute("aria-required", "true")
    # A field the policy leaves optional is not marked.
    expect(page.locator("div.field:has(#id_platform_other) .required")).to_have_count(0)
    assert_accessible(page)


def test_a_draft_is_discarded_after_ticking_the_confirmation(page: Any, cast: Cast) -> None:
    from tests.governance.factories import make_request

    req = make_request(cast)
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto(req.get_absolute_url())
    page.locator("#discard summary").click()
    assert_accessible(page)
    click_and_wait(page, '#discard button[type="submit"]')
    assert AccountRequest.objects.filter(pk=req.pk).exists()  # not confirmed: nothing happened
    expect(page.locator("#discard")).to_have_attribute("open", "")
    page.check("#id_discard-confirm")
    click_and_wait(page, '#discard button[type="submit"]')
    assert not AccountRequest.objects.filter(pk=req.pk).exists()
    assert page.url.endswith(reverse("governance:request_list"))
