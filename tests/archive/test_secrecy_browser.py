"""In the browser (KAU-PUBLIC-RECORD, OSL): the registrar searches the department's November, opens a
secrecy review of the results, marks the author of a comment as not to be released under OSL 21 kap.
7 §, releases the copy to an anonymous requester and downloads it. No script is needed; the pages pass
axe (WCAG 2.1 AA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archive.models import Release, SecrecyMark, SecrecyReview
from tests.archive.secrecy_support import Archive, account, archive, make_item, media_root
from tests.conftest import Cast, browser_login
from tests.core import pdf_support
from tests.core.test_browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIXTURES = (account, archive, make_item, media_root)


def test_the_registrar_reviews_a_search_masks_a_field_releases_and_downloads(
    page: Any, cast: Cast, archive: Archive, tmp_path: Path
) -> None:
    browser_login(page, "registrar", "pw-registrar-0123")
    page.goto("/arkiv/sok/")
    page.select_option("#id_unit", str(cast.units["department"].pk))
    page.fill("#id_start", "2026-11-01")
    page.fill("#id_end", "2026-11-30")
    page.locator("form.archive-search button[type=submit]").click()
    page.wait_for_selector("#h-results")
    page.locator("[data-secrecy-open]").click()
    page.wait_for_url("**/arkiv/sekretess/ny/**")
    assert page.locator('[data-count="items"]').inner_text() == "2"
    assert_accessible(page)

    page.fill("#id_requested_on", "2026-11-25")
    page.locator("form.secrecy-open button[type=submit]").click()
    page.wait_for_url("**/arkiv/sekretess/*/")
    review = SecrecyReview.objects.get()
    assert review.requester == ""
    assert_accessible(page)

    # A mark without a ground: the error summary names the field, and nothing is stored.
    page.select_option("#mark_record", f"item:{archive.criticism.pk}")
    page.select_option("#mark_field", "author")
    page.locator("form.secrecy-mark button[type=submit]").click()
    page.wait_for_selector("#mark-errors")
    assert page.locator('#mark-errors a[href="#mark_ground"]').count() == 1
    assert not SecrecyMark.objects.exists()
    assert_accessible(page)

    page.select_option("#mark_record", f"item:{archive.criticism.pk}")
    page.select_option("#mark_field", "author")
    page.select_option("#mark_ground", "OSL 21 kap. 7 §")
    page.locator("form.secrecy-mark button[type=submit]").click()
    page.wait_for_selector(f'[data-item="{archive.criticism.pk}"] [data-masked]')
    assert SecrecyMark.objects.get().field == "author"

    page.locator(f'a[href="/arkiv/sekretess/{review.pk}/utlamna/"]').click()
    page.wait_for_url("**/utlamna/")
    assert_accessible(page)
    page.fill("#id_recipient", "Anonym begärande, per e-post")
    page.check("#id_confirm")
    page.locator("form.secrecy-release button[type=submit]").click()
    page.wait_for_selector("[data-download]")
    release = Release.objects.get()
    assert release.recipient == "Anonym begärande, per e-post"
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.locator("[data-download]").click()
    saved = tmp_path / "copy.pdf"
    download_info.value.save_as(saved)
    data = saved.read_bytes()
    assert len(data) == release.size
    text = pdf_support.text(data)
    assert "@kritiker" not in text
    assert "OSL 21 kap. 7 §" in text

    # On a phone's screen the review still reads without sideways scrolling of the page.
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"/arkiv/sekretess/{review.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
