"""A new-account request from form to registry, as four people in real Chromium.

The communicator fills the form and sees the profile-guide notice appear as they type, saves a
draft, comes back and submits; the communications department returns it with advice; the
communicator revises and submits again; the communications department accepts the deviation; the
head of unit approves; the account is in the registry and the decision record prints. Every page on
the way passes axe (WCAG 2.1 AA, KAU-ACCESS).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Account
from governance.models import AccountRequest
from tests.conftest import Cast, browser_login
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "Civilingenjörernas studentliv"
HANDLE = "civing_studentliv"
ANSWERS = {
    "#id_purpose": "Visa studentlivet på civilingenjörsprogrammen för blivande studenter i hela landet.",
    "#id_checklist_audience": "Gymnasieelever med intresse för teknik och våra nuvarande teknologer.",
    "#id_checklist_purpose": "Fler sökande till civilingenjörsprogrammen, enligt fakultetens mål.",
    "#id_checklist_goals": "De ska veta hur studierna ser ut, känna sig välkomna och söka till hösten.",
    "#id_checklist_staffing": "Två studentambassadörer publicerar; kommunikatören täcker vid frånvaro.",
    "#id_checklist_resources": "Inventeringen gav fyra timmar i veckan, en kamera och stöd från programmen.",
    "#id_content_strategy": "Vardagen på campus, labbar och projekt, berättat av studenterna själva.",
    "#id_editorial_goals": "Varje inlägg visar en del av utbildningen och svarar på en vanlig fråga.",
    "#id_editorial_stakeholders": "Blivande studenter, deras föräldrar, studievägledare och lärare.",
    "#id_planned_frequency": "Två inlägg i veckan",
    "#id_resource_hours_per_week": "4",
    "#id_resource_people": "Kommunikatören och två studentambassadörer",
    "#id_terms_note": "Villkoren strider inte mot universitetets värderingar; bilderna förblir våra.",
}


def sign_out(page: Any) -> None:
    page.locator('form[action="/logga-ut/"] button[type=submit]').click()
    page.wait_for_url("**/logga-in/")


def sign_in(page: Any, username: str) -> None:
    browser_login(page, username, f"pw-{username}-0123")


def click_and_wait(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def test_a_request_goes_from_form_to_registry(page: Any, cast: Cast) -> None:
    """KAU-START-COMMS, KAU-PROFILE-GUIDE, KAU-START-APPROVAL, KAU-START-CHECKLIST, KAU-RESP-OWNER:
    the whole path, each step taken by the person whose turn it is."""
    department = cast.units["department"]

    # The communicator fills the form; the deviation notice appears while they type.
    sign_in(page, "communicator")
    page.goto(reverse("governance:request_create"))
    assert_accessible(page)
    guide_check = page.locator("#guide-check")
    expect(guide_check).to_have_text("")
    page.select_option("#id_unit", str(department.pk))
    page.select_option("#id_platform", "instagram")
    page.fill("#id_name", NAME)
    page.select_option("#id_sender_type", "subject")
    page.select_option("#id_profile_picture", "university")
    page.fill("#id_handle", HANDLE)
    expect(guide_check).to_contain_text("_kau")
    expect(guide_check).to_contain_text(HANDLE)
    page.check('input[name="areas"][value="student_relations"]')
    page.check('input[name="audiences"][value="students"]')
    page.check('input[name="audiences"][value="public"]')
    for selector, text in ANSWERS.items():
        page.fill(selector, text)
    page.check("#id_terms_checked")
    page.select_option("#id_proposed_owner", str(cast["communicator"].pk))
    page.fill("#id_proposed_deputies_search", cast["deputy"].last_name or cast["deputy"].email)
    page.check(f'input[name="proposed_deputies"][value="{cast["deputy"].pk}"]')
    assert_accessible(page)
    click_and_wait(page, 'button[name="action"][value="draft"]')
    req = AccountRequest.objects.get()
    edit_url = reverse("governance:request_edit", args=[req.pk])
    detail_url = reverse("governance:request_detail", args=[req.pk])
    assert page.url.endswith(edit_url)
    assert (req.status, req.name, req.handle) == ("draft", NAME, HANDLE)
    assert [d["code"] for d in req.deviations] == ["handle"]
    page.goto(detail_url)
    assert_accessible(page)  # draft

    # They come back to the draft later and submit it.
    page.goto(edit_url)
    expect(page.locator("#id_handle")).to_have_value(HANDLE)
    expect(page.locator("#id_purpose")).to_have_value(ANSWERS["#id_purpose"])
    expect(guide_check).to_contain_text("_kau")
    click_and_wait(page, 'button[name="action"][value="submit"]')
    assert page.url.endswith(detail_url)
    req.refresh_from_db()
    assert (req.status, req.round) == ("submitted", 1)
    assert_accessible(page)  # submitted, as the requester sees it
    sign_out(page)

    # The communications department returns it with advice.
    sign_in(page, "communications")
    page.goto(detail_url)
    expect(page.get_by_text(ANSWERS["#id_checklist_goals"])).to_be_visible()
    assert_accessible(page)  # submitted, with the review form
    page.fill("#id_advice", "Beskriv hur ni hanterar kommentarer på helger.")
    click_and_wait(page, 'button[name="action"][value="return"]')
    req.refresh_from_db()
    assert req.status == "returned"
    assert_accessible(page)  # returned
    sign_out(page)

    # The communicator revises, keeping the handle, and submits again.
    sign_in(page, "communicator")
    page.goto(edit_url)
    expect(page.get_by_text("Beskriv hur ni hanterar kommentarer på helger.")).to_be_visible()
    assert_accessible(page)
    staffing = "Två studentambassadörer publicerar; kommunikatören svarar på kommentarer även på helger."
    page.fill("#id_checklist_staffing", staffing)
    click_and_wait(page, 'button[name="action"][value="submit"]')
    req.refresh_from_db()
    assert (req.status, req.round, req.checklist_staffing, req.handle) == ("submitted", 2, staffing, HANDLE)
    sign_out(page)

    # The communications department accepts the deviation explicitly.
    sign_in(page, "communications")
    page.goto(detail_url)
    page.check('input[name="accepted_deviations"][value="handle"]')
    page.fill("#id_advice", "Inget befintligt konto fyller behovet; handtaget är motiverat.")
    click_and_wait(page, 'button[name="action"][value="accept"]')
    req.refresh_from_db()
    assert (req.status, req.accepted_deviations, req.reviewed_by) == (
        "reviewed",
        ["handle"],
        cast["communications"],
    )
    assert_accessible(page)  # reviewed
    sign_out(page)

    # The head of unit approves with a sentence.
    sign_in(page, "head_of_unit")
    page.goto(detail_url)
    assert_accessible(page)  # reviewed, with the decision form
    page.fill("#id_reason", "Väl förberett, och resurserna är avsatta.")
    page.check("#id_confirm")
    click_and_wait(page, 'button[name="action"][value="approve"]')
    req.refresh_from_db()
    assert (req.status, req.decided_by) == ("approved", cast["head_of_unit"])
    assert_accessible(page)  # approved
    record_url = reverse("governance:request_record", args=[req.pk])
    pdf_url = reverse("governance:request_record_pdf", args=[req.pk])
    expect(page.locator(f'a[href="{pdf_url}"]')).to_have_count(1)
    click_and_wait(page, f'a[href="{record_url}"]')
    expect(page.get_by_text("Väl förberett, och resurserna är avsatta.", exact=True)).to_be_visible()
    assert_accessible(page)  # the decision record
    pdf = page.request.get(pdf_url)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    sign_out(page)

    # The account is in the registry, with its owner and deputy.
    account = Account.objects.get(request=req)
    assert (account.name, account.handle, account.owner, account.unit) == (
        NAME,
        HANDLE,
        cast["communicator"],
        department,
    )
    assert list(account.deputies.all()) == [cast["deputy"]]
    sign_in(page, "social_media_lead")
    page.goto(reverse("accounts:list"))
    expect(page.get_by_text(NAME)).to_be_visible()


def test_every_field_on_the_requesters_page_has_exactly_one_label(page: Any, cast: Cast) -> None:
    """KAU-ACCESS: a screen reader names each field by its own label."""
    from tests.governance.factories import make_request

    req = make_request(cast, state="submitted")
    sign_in(page, "communicator")
    page.goto(reverse("governance:request_detail", args=[req.pk]))
    fields = page.evaluate(
        """() => Array.from(document.querySelectorAll(
            'main textarea, main select, main input:not([type=hidden])'
        )).map(el => [el.name, el.labels.length])"""
    )
    assert fields
    assert [name for name, labels in fields if labels != 1] == []
