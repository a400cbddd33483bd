"""In the browser (KAU-PUBLIC-RECORD): the registrar searches a unit and a period, exports the
results, watches the progress update without a page reload until the bag can be downloaded, and
downloads it. The pages pass axe (WCAG 2.1 AA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archive import exports
from archive.models import ExportJob
from tests.archive.export_support import NOW, Archive, account, archive, make_item, media_root
from tests.conftest import Cast, browser_login
from tests.core.test_browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# The shared fixtures, used here by name.
FIXTURES = (account, archive, make_item, media_root)


def test_the_registrar_exports_a_unit_and_a_period_and_downloads_the_bag(
    page: Any, cast: Cast, archive: Archive, tmp_path: Path
) -> None:
    browser_login(page, "registrar", "pw-registrar-0123")
    page.goto("/arkiv/sok/")
    assert_accessible(page)
    page.select_option("#id_unit", str(cast.units["department"].pk))
    page.fill("#id_start", "2026-11-01")
    page.fill("#id_end", "2026-11-30")
    page.locator("form.archive-search button[type=submit]").click()
    page.wait_for_selector("#h-results")
    assert page.locator("#h-items ~ table tbody tr").count() == 2
    assert_accessible(page)

    page.fill("#id_description", "Begäran om allmän handling 2026/17")
    page.locator(".archive-export-box button[type=submit]").click()
    page.wait_for_url("**/arkiv/export/*/")
    job = ExportJob.objects.get()
    assert job.description == "Begäran om allmän handling 2026/17"
    assert page.locator("[data-export-download]").is_hidden()
    assert_accessible(page)

    # The worker's part, here in the test's process; the page follows it by itself, without reloading.
    page.evaluate("window.__samePage = true")
    exports.run_export(job.pk, now=NOW)
    page.locator("[data-export-download]").wait_for(state="visible", timeout=20_000)
    assert page.evaluate("window.__samePage") is True
    assert page.locator("#export-progress").get_attribute("value") == "100"
    assert page.locator("[data-export-refresh]").is_hidden()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.locator("[data-export-download] a").click()
    download = download_info.value
    assert download.suggested_filename == f"kanalvakt-export-{job.pk}-bagit.zip"
    saved = tmp_path / "bag.zip"
    download.save_as(saved)
    job.refresh_from_db()
    assert saved.stat().st_size == job.size

    page.goto("/arkiv/export/")
    assert page.locator(f'a[href="/arkiv/export/{job.pk}/ladda-ned/"]').count() == 2  # own, and all
    assert_accessible(page)
