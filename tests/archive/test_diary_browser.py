"""Diary registration in real Chromium (KAU-DIARY-ACTION): the owner builds the package from the item
page, the registrar finds it in the queue and records the registration number; the pages pass axe
(WCAG 2.1 AA)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from archive import diary_numbers, registration
from archive.models import DiaryPackage
from tests.archive.diary_support import NOW, account, make_item, media_root, registrable
from tests.conftest import Cast, browser_login
from tests.core.test_browser import assert_accessible

__all__ = ["account", "make_item", "media_root", "registrable"]  # fixtures used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_builds_the_package_and_the_registrar_records_the_number(
    page: Any, cast: Cast, registrable: Any
) -> None:
    item = registrable()
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto(f"/moderering/{item.pk}/")
    section = page.locator("[data-registration]")
    assert_accessible(page)
    form = section.locator("form[data-action=package-build]")
    assert form.locator("input[name=package-subject]").input_value()  # prefilled from the item
    form.locator("input[name=package-subject]").fill("Kritik mot antagningen på Instagram")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    package = DiaryPackage.objects.get()
    assert page.url.endswith(f"/diariepaket/{package.pk}/")
    assert page.locator("[data-field=subject]").inner_text() == "Kritik mot antagningen på Instagram"
    assert_accessible(page)

    page.context.clear_cookies()
    browser_login(page, "registrar", "pw-registrar-0123")
    page.goto("/arkiv/diariet/")
    row = page.locator(f"tr[data-package='{package.pk}']")
    assert row.count() == 1
    assert_accessible(page)
    row.locator("input[name=diary_number]").fill("KAU 2026/4711")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f"tr[data-package='{package.pk}']").count() == 0
    package.refresh_from_db()
    assert (package.diary_number, package.registered_by) == ("KAU 2026/4711", cast["registrar"])
    page.goto("/arkiv/diariet/?show=registered")
    assert "KAU 2026/4711" in page.locator(f"tr[data-package='{package.pk}']").inner_text()
    assert_accessible(page)


def test_the_registrar_corrects_a_number_with_the_reason_on_an_accessible_page(
    page: Any, cast: Cast, registrable: Any
) -> None:
    """KAU-DIARY-ACTION: the correction form, its error summary and the registration history pass
    axe; a refused correction changes nothing, a confirmed one shows in the history."""
    package = registration.build_package(
        registrable(), subject="Kritik", secrecy="", by=cast["communicator"], now=NOW
    )
    diary_numbers.register_package(package, diary_number="KAU 2026/12", by=cast["registrar"], now=NOW)
    browser_login(page, "registrar", "pw-registrar-0123")
    page.goto(reverse("archive:package", args=[package.pk]))
    form = page.locator("form[data-action=correct]")
    assert_accessible(page)
    form.locator("input[name=diary_number]").fill("KAU 2026/21")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#correct-errors").count() == 1  # the error summary names the reason
    assert_accessible(page)
    package.refresh_from_db()
    assert package.diary_number == "KAU 2026/12"
    form = page.locator("form[data-action=correct]")
    form.locator("textarea[name=reason]").fill("Siffrorna kastades om.")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    package.refresh_from_db()
    assert package.diary_number == "KAU 2026/21"
    history = page.locator("[data-number-history]").inner_text()
    assert "KAU 2026/12" in history
    assert "Siffrorna kastades om." in history
    assert_accessible(page)
