"""The consent register in real Chromium (KAU-CONSENT, KAU-CREDIT): a communicator records a consent with
its signed form, links it to a published post (which warns that no photographer is credited), the
consent is withdrawn, and the account owner sees the affected post on the start page and marks it
handled. Every page passes axe (WCAG 2.1 AA), and the register fits a phone's width."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast, browser_login
from tests.moderation.consent_support import pdf_bytes
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_record_link_withdraw_and_handle_a_consent_kau_consent_kau_credit(
    page: Any, cast: Cast, make_account: Any, tmp_path: Path, settings: Any
) -> None:
    from moderation.models import AffectedPost, Consent
    from moderation.platform import keep_publication

    settings.MEDIA_ROOT = str(tmp_path / "media")
    account = make_account(name="Studentlivet")
    publication, _created = keep_publication(
        account,
        platform_id="post-77",
        kind="post",
        text="Bilder från introduktionsveckan!",
        published_at=timezone.now() - timedelta(days=1),
    )
    form_file = tmp_path / "blankett.pdf"
    form_file.write_bytes(pdf_bytes())

    browser_login(page, "communicator", "pw-communicator-0123")
    page.locator("nav.main-nav [data-nav=consents]").first.click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.locator(f"a[href='{reverse('moderation:consent_create')}']").click()
    page.wait_for_load_state()
    assert_accessible(page)

    page.fill("#id_person_name", "Sara Lind")
    page.fill("#id_material", "Porträtt från introduktionsveckan")
    page.check("#id_social_media")
    page.check("input[name=form][value=written]")
    page.set_input_files("#id_file", str(form_file))
    page.fill("#id_given_on", "2026-11-20")
    page.check(f"input[name=accounts][value='{account.pk}']")
    page.locator("form[data-consent-form] button[type=submit]").click()
    page.wait_for_load_state()
    consent = Consent.objects.get()
    assert page.locator(f"[data-consent='{consent.pk}']").count() == 1
    assert consent.file_type == "application/pdf"
    assert_accessible(page)

    page.goto(reverse("moderation:publication", args=[publication.pk]))
    page.select_option("#id_record", f"consent:{consent.pk}")
    page.locator("form[data-action=link] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-post-links] li").count() == 1
    assert page.locator("[data-credit-missing]").is_visible()  # KAU-CREDIT
    assert_accessible(page)

    page.goto(reverse("moderation:consent", args=[consent.pk]))
    page.fill("#id_note", "Per e-post den 25 november.")
    page.locator("form[data-action=withdraw] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-withdrawn]").is_visible()
    assert page.locator("[data-affected] li").count() == 1
    assert_accessible(page)

    # The owner's start page lists the affected post until it is marked handled.
    row = AffectedPost.objects.get()
    page.goto("/")
    item = page.locator(f"[data-affected-post='{row.pk}']")
    assert "Bilder från introduktionsveckan" in item.inner_text()
    assert_accessible(page)
    item.locator("input[name=outcome][value=removed]").check()
    item.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f"[data-affected-post='{row.pk}']").count() == 0
    row.refresh_from_db()
    assert row.outcome == AffectedPost.Outcome.REMOVED
    assert row.handled_by == cast["communicator"]


def test_the_register_fits_a_phone(page: Any, cast: Cast, make_account: Any) -> None:
    make_account()
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, "deputy", "pw-deputy-0123")
    page.goto(reverse("moderation:consents"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    page.goto(reverse("moderation:credit_create"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
