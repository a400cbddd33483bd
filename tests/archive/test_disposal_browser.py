"""In the browser (arkivlagen 10 §): the archivist opens a proposed disposal list, takes a record off
it, approves it with the decision's reference and the confirmation, and after the work sees the list
carried out; the item page then shows its disposal note. The pages pass axe (WCAG 2.1 AA)."""

from __future__ import annotations

from typing import Any

import pytest

from archive import disposal as disposals
from archive.disposal_execution import execute_disposal
from archive.models import Disposal
from moderation.models import Item
from tests.archive.disposal_support import DECISION, NOW, Old, account, make_item, media_root, old, set_period
from tests.conftest import Cast, browser_login
from tests.support import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIXTURES = (account, make_item, media_root, old)


def test_the_archivist_reviews_and_approves_a_disposal_list(page: Any, cast: Cast, old: Old) -> None:
    set_period("item", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    kept = disposal.entries.get(record_id=old.late_held.pk)

    browser_login(page, "registrar", "pw-registrar-0123")
    page.goto("/arkiv/gallring/forslag/")
    assert_accessible(page)
    page.locator(f'[data-disposal="{disposal.pk}"] a').click()
    page.wait_for_url(f"**/arkiv/gallring/forslag/{disposal.pk}/")
    assert page.locator("[data-entries] tbody tr").count() == 2
    assert_accessible(page)

    page.locator(f'[data-entry="{kept.pk}"] button').click()
    page.wait_for_url(f"**/arkiv/gallring/forslag/{disposal.pk}/")
    assert page.locator(f'[data-entry="{kept.pk}"]').get_attribute("data-state") == "excluded"

    # Without the reference nothing is approved, and the error names the field.
    page.locator("form[data-action=approve] button[type=submit]").click()
    page.locator("#approve-errors").wait_for()
    assert page.locator('#approve-errors a[href="#id_decision_reference"]').count() == 1
    assert_accessible(page)
    disposal.refresh_from_db()
    assert disposal.status == Disposal.Status.PROPOSED

    page.fill("#id_decision_reference", DECISION)
    page.check("#id_confirm")
    page.locator("form[data-action=approve] button[type=submit]").click()
    page.wait_for_selector('[data-status="approved"]')
    assert page.locator("[data-decision]").inner_text() == DECISION

    # The worker's part, here in the test's process.
    execute_disposal(disposal.pk, now=NOW)
    page.reload()
    assert page.locator("[data-disposal]").get_attribute("data-status") == "done"
    assert page.locator(f'[data-entry="{kept.pk}"]').get_attribute("data-state") == "excluded"
    assert_accessible(page)

    assert Item.objects.get(pk=old.disposed.pk).disposed_at is not None
    assert Item.objects.get(pk=old.late_held.pk).disposed_at is None


def test_the_schedule_and_the_holds_pages_pass_axe(page: Any, cast: Cast, old: Old) -> None:
    set_period("item", 12, by=cast["registrar"])
    set_period("evidence", None, by=cast["registrar"])  # the seeded rows are gone after a flush
    browser_login(page, "registrar", "pw-registrar-0123")
    page.goto("/arkiv/gallring/")
    assert page.locator('[data-rule="item"]').count() == 1
    assert_accessible(page)
    page.locator('[data-rule="evidence"] a').click()
    page.fill("#id_period", "2")
    page.locator("form[data-action=rule] button[type=submit]").click()
    page.locator("#rule-errors").wait_for()  # a period without its legal basis
    assert_accessible(page)
    page.goto("/arkiv/gallring/sparr/")
    assert page.locator("[data-hold]").count() == 1
    assert_accessible(page)
