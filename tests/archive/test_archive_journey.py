"""The archive's journey in real Chromium (KAU-DIARY-ACTION, KAU-PUBLIC-RECORD): the moderator marks an
item as requiring registration and keeps a screenshot of the post, the diary package is built, the
registrar records the registration number, and the archivist exports the period and downloads the bag,
which validates. Every page on the way passes axe (WCAG 2.1 AA)."""

from __future__ import annotations

import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import bagit
import pytest
from django.utils import timezone
from PIL import Image

from archive import exports
from archive.models import DiaryPackage, ExportJob, Screenshot
from moderation import services
from moderation.models import Item
from tests.conftest import Cast, browser_login
from tests.core.test_browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CRITICISM = "Det är under all kritik hur antagningen har skötts i år."


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def png_file(tmp_path: Path) -> Path:
    path = tmp_path / "inlagg-och-svar.png"
    Image.new("RGB", (320, 200), (240, 240, 250)).save(path, "PNG")
    return path


def test_registration_to_export_kau_diary_action_kau_public_record(
    page: Any, cast: Cast, make_account: Any, tmp_path: Path
) -> None:
    account = make_account()
    # The live server runs on the real clock, so the item is received relative to it.
    item = services.log_item(
        account,
        kind="comment",
        author="@missnojd",
        text=CRITICISM,
        url="https://www.instagram.com/p/kritik1/",
        received_at=timezone.now() - timedelta(hours=3),
        by=cast["communicator"],
    )

    # The moderator marks the item as requiring registration and keeps a screenshot of it.
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto(f"/moderering/{item.pk}/")
    page.locator("details[data-disclosure=classify] > summary").click()
    classify = page.locator("form[data-action=classify]")
    classify.locator("select[name=triage-classification]").select_option("criticism")
    assert classify.locator("input[name=triage-requires_registration]").is_checked()  # proposed
    classify.locator("button[type=submit]").click()
    page.wait_for_load_state()
    item.refresh_from_db()
    assert item.requires_registration

    page.locator("details[data-disclosure=screenshots] > summary").click()
    upload = page.locator("form[data-action=item-screenshot]")
    upload.locator("input[type=file]").set_input_files(str(png_file(tmp_path)))
    upload.locator("button[type=submit]").click()
    page.wait_for_load_state()
    shot = Screenshot.objects.get(item=item)
    assert shot.stamped  # the date stamp is on a derived copy
    assert shot.stamped_sha256 != shot.sha256
    page.locator("details[data-disclosure=screenshots] > summary").click()
    assert page.locator(f"[data-screenshot='{shot.pk}'] img").is_visible()
    assert_accessible(page)

    # The diary package is built from the item page.
    build = page.locator("[data-registration] form[data-action=package-build]")
    build.locator("input[name=package-subject]").fill("Kritik mot antagningen på Instagram")
    build.locator("button[type=submit]").click()
    page.wait_for_load_state()
    package = DiaryPackage.objects.get(item=item)
    assert page.url.endswith(f"/diariepaket/{package.pk}/")
    assert_accessible(page)

    # The registrar records the registration number from the queue; Kanalvakt invents none.
    page.context.clear_cookies()
    browser_login(page, "registrar", "pw-registrar-0123")
    page.locator("nav.main-nav [data-nav=registry_queue]").click()
    page.wait_for_load_state()
    row = page.locator(f"tr[data-package='{package.pk}']")
    row.locator("input[name=diary_number]").fill("KAU 2026/815")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    package.refresh_from_db()
    assert package.diary_number == "KAU 2026/815"
    assert_accessible(page)

    # The archivist (the same role) exports the period and downloads the bag.
    page.locator("nav.main-nav [data-nav=archive]").click()
    page.wait_for_load_state()
    today = timezone.localdate()
    page.fill("#id_start", (today - timedelta(days=7)).isoformat())
    page.fill("#id_end", today.isoformat())
    page.locator("form.archive-search button[type=submit]").click()
    page.wait_for_selector("#h-results")
    assert CRITICISM in page.locator("#h-items ~ table").inner_text()
    assert_accessible(page)
    page.fill("#id_description", "Begäran om allmän handling: antagningen 2026")
    page.locator(".archive-export-box button[type=submit]").click()
    page.wait_for_url("**/arkiv/export/*/")
    job = ExportJob.objects.get()
    assert job.requested_by == cast["registrar"]  # the export is logged: who, what, when
    # The worker's part, run here (a real worker runs it in tests/archive/test_export_worker.py).
    exports.run_export(job.pk, now=timezone.now())
    page.locator("[data-export-download]").wait_for(state="visible", timeout=20_000)
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.locator("[data-export-download] a").click()
    saved = tmp_path / "bag.zip"
    download_info.value.save_as(saved)

    with zipfile.ZipFile(saved) as bag_zip:
        bag_zip.extractall(tmp_path / "unzipped")
    (root,) = (tmp_path / "unzipped").iterdir()
    bag = bagit.Bag(str(root))
    bag.validate()  # full validation: every file against both manifests
    names = {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}
    assert f"data/packages/{package.pk}.pdf" in names
    assert f"data/screenshots/original/{shot.sha256}.png" in names
    items_csv = (root / "data" / "records" / "items.csv").read_text("utf-8-sig")
    assert CRITICISM in items_csv
    assert Item.objects.get(pk=item.pk).requires_registration
    assert saved.stat().st_size == ExportJob.objects.get().size
