"""A student ambassador from proposal to the public list, in real Chromium (KAU-PRIVATE, KTH-BLOG).

A communicator proposes a student ambassador for the department's Instagram; the head of the
department finds the proposal on the start page and approves it; the public list of official accounts
shows the ambassador in a section of its own, with the statement that they speak from their own
perspective and are not official spokespersons. Every page passes axe (WCAG 2.1 AA), also at a phone's
width.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Cast, browser_login
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_kau_private_kth_blog_a_communicator_proposes_the_head_approves_the_public_sees(
    page: Any, cast: Cast, make_account: Any
) -> None:
    from accounts.models import Ambassador

    account = make_account(
        name="Fysik på Instagram", handle="fysik_kau", url="https://www.instagram.com/fysik_kau"
    )
    today = timezone.localdate()

    browser_login(page, "communicator", "pw-communicator-0123")
    assert (
        page.locator('nav.main-nav a[data-nav="ambassadors"]').get_attribute("href")
        == "/konton/ambassadorer/"
    )
    page.goto("/konton/ambassadorer/")
    assert_accessible(page)
    page.locator('a[href$="/konton/ambassadorer/foresla/"]').click()
    page.wait_for_url("**/foresla/")
    assert_accessible(page)
    page.fill("#id_name", "Elin Student")
    page.select_option("#id_kind", "student_ambassador")
    page.select_option("#id_unit", str(cast.units["department"].pk))
    page.select_option("#id_account", str(account.pk))
    page.fill("#id_starts_on", today.isoformat())
    page.fill("#id_ends_on", (today + timedelta(days=120)).isoformat())
    page.fill("#id_duties", "Tar över Instagram en vecka i månaden.")
    # Not employed, and no assignment yet: refused on the field, nothing stored (KTH-BLOG).
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator("#id_assignment_error").is_visible()
    assert_accessible(page)
    assert not Ambassador.objects.exists()
    page.fill("#id_assignment", "Institutionen ger Elin i uppdrag att visa studentlivet.")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    ambassador = Ambassador.objects.get()
    page.wait_for_url(f"**/konton/ambassadorer/{ambassador.pk}/")
    assert page.locator('main [data-rule="KAU-PRIVATE"]').is_visible()
    assert_accessible(page)

    page.context.clear_cookies()
    browser_login(page, "head_of_unit", "pw-head_of_unit-0123")
    with page.expect_navigation():
        page.locator(f'main a[href="{ambassador.get_absolute_url()}"]').first.click()
    assert_accessible(page)
    page.check('input[name="action"][value="approve"]')
    with page.expect_navigation():
        page.locator('form[action$="/beslut/"] button[type=submit]').click()
    assert Ambassador.objects.get().status == Ambassador.Status.APPROVED
    assert_accessible(page)

    page.context.clear_cookies()
    page.goto("/officiella-konton/")
    section = page.locator("section.public-ambassadors")
    assert "Elin Student" in section.inner_text()
    assert section.locator('[data-rule="KAU-PRIVATE"]').is_visible()
    # Apart from the official accounts: the ambassador is not a row of an account table.
    assert page.locator("table.official-accounts").filter(has_text="Elin Student").count() == 0
    assert_accessible(page)
    page.set_viewport_size({"width": 375, "height": 800})
    assert_accessible(page)
