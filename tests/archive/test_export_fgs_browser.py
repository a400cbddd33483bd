"""In the browser (KAU-PUBLIC-RECORD): the registrar searches an account and a period, chooses the FGS
2.0 / E-ARK SIP package format with the keyboard-reachable radio buttons, waits for the package to be
ready and downloads it: a zip whose root folder holds METS.xml. The page passes axe (WCAG 2.1 AA)."""

from __future__ import annotations

import zipfile
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


def test_the_registrar_exports_a_delivery_package_for_riksarkivet_and_downloads_it(
    page: Any, cast: Cast, archive: Archive, tmp_path: Path
) -> None:
    browser_login(page, "registrar", "pw-registrar-0123")
    page.goto("/arkiv/sok/")
    page.select_option("#id_account", str(archive.account.pk))
    page.fill("#id_start", "2026-11-01")
    page.fill("#id_end", "2026-11-30")
    page.locator("form.archive-search button[type=submit]").click()
    page.wait_for_selector("#h-results")
    assert page.locator("#id_package_format_0").is_checked()  # the BagIt bag is the default
    page.get_by_label("FGS 2.0 / E-ARK SIP (Riksarkivet)").check()  # found by its label
    assert_accessible(page)
    page.fill("#id_description", "Leverans till arkivet 2026")
    page.locator(".archive-export-box button[type=submit]").click()
    page.wait_for_url("**/arkiv/export/*/")
    job = ExportJob.objects.get()
    assert (job.package_format, job.description) == ("fgs", "Leverans till arkivet 2026")

    exports.run_export(job.pk, now=NOW)  # the worker's part, in the test's process
    page.locator("[data-export-download]").wait_for(state="visible", timeout=20_000)
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.locator("[data-export-download] a").click()
    download = download_info.value
    assert download.suggested_filename == f"kanalvakt-export-{job.pk}-fgs.zip"
    saved = tmp_path / "package.zip"
    download.save_as(saved)
    names = zipfile.ZipFile(saved).namelist()
    assert f"kanalvakt-export-{job.pk}/METS.xml" in names
    assert f"kanalvakt-export-{job.pk}/metadata/preservation/premis.xml" in names
