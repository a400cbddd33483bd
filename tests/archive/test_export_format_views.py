"""The package format on the export pages (KAU-PUBLIC-RECORD): the archivist chooses a BagIt bag (the
default) or an FGS 2.0 / E-ARK SIP on the search page's export form; the format obeys the export's
permissions; the list and the status page show it; the download's name says which it is."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from archive import exports
from archive.models import ExportJob
from tests.archive.export_support import (
    ARCHIVISTS,
    NOT_ARCHIVISTS,
    NOW,
    Archive,
    account,
    archive,
    make_item,
    media_root,
)
from tests.conftest import Cast
from tests.support import in_english, login

pytestmark = pytest.mark.django_db
# The shared fixtures, used here by name.
FIXTURES = (account, archive, make_item, media_root)

CRITERIA = {"unit": "", "start": "2026-11-01", "end": "2026-11-30"}


def fgs_job(cast: Cast, *, person: str = "registrar") -> ExportJob:
    job = exports.request_export(
        by=cast[person],
        now=NOW,
        criteria={"text": "biblioteket"},
        description="Leverans",
        package_format="fgs",
    )
    exports.run_export(job.pk, now=NOW)
    return ExportJob.objects.get(pk=job.pk)


@pytest.mark.parametrize("person", ARCHIVISTS)
def test_the_archivist_chooses_fgs_on_the_export_form(client: Client, cast: Cast, person: str) -> None:
    login(client, cast, person)
    data = {**CRITERIA, "unit": cast.units["department"].pk, "package_format": "fgs"}
    response = client.post(reverse("archive:exports"), data)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert (job.package_format, job.requested_by) == ("fgs", cast[person])


def test_without_a_choice_the_export_is_a_bag(client: Client, cast: Cast) -> None:
    login(client, cast, "registrar")
    client.post(reverse("archive:exports"), {**CRITERIA, "unit": cast.units["department"].pk})
    assert ExportJob.objects.get().package_format == "bagit"


def test_an_unknown_format_is_400_naming_the_field_and_stores_nothing(client: Client, cast: Cast) -> None:
    login(client, cast, "registrar")
    data = {**CRITERIA, "unit": cast.units["department"].pk, "package_format": "warc"}
    response = client.post(reverse("archive:exports"), data)
    assert response.status_code == 400
    assert "package_format" in response.context["form"].errors
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("person", NOT_ARCHIVISTS)
def test_nobody_else_may_ask_for_a_delivery_package(client: Client, cast: Cast, person: str) -> None:
    login(client, cast, person)
    data = {"text": "biblioteket", "package_format": "fgs"}
    assert client.post(reverse("archive:exports"), data).status_code == 403
    assert not ExportJob.objects.exists()


def test_anonymous_visitors_asking_for_a_delivery_package_are_sent_to_sign_in(client: Client) -> None:
    response = client.post(reverse("archive:exports"), {"text": "biblioteket", "package_format": "fgs"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert not ExportJob.objects.exists()


def test_the_search_page_offers_the_formats_as_labelled_radio_buttons(
    client: Client, cast: Cast, archive: Archive
) -> None:
    login(client, cast, "registrar")
    body = in_english(client).get(reverse("archive:search"), {"text": "biblioteket"})
    html = body.content.decode()
    assert '<fieldset class="field field--group"' in html
    assert "<legend>Package format" in html
    assert 'type="radio" name="package_format" value="bagit"' in html
    assert 'type="radio" name="package_format" value="fgs"' in html
    bagit = html[html.index('value="bagit"') : html.index(">", html.index('value="bagit"'))]
    assert "checked" in bagit  # the bag stays the default
    for pk in ("id_package_format_0", "id_package_format_1"):
        assert f'for="{pk}"' in html


@pytest.mark.parametrize("person", ARCHIVISTS)
def test_the_list_and_the_status_page_show_the_format(
    client: Client, cast: Cast, archive: Archive, person: str
) -> None:
    job = fgs_job(cast)
    login(client, cast, person)
    in_english(client)
    listing = client.get(reverse("archive:exports")).content.decode()
    detail = client.get(reverse("archive:export", args=[job.pk])).content.decode()
    assert "FGS 2.0 / E-ARK SIP (Riksarkivet)" in listing
    assert "FGS 2.0 / E-ARK SIP (Riksarkivet)" in detail
    assert "Download the delivery package" in detail
    status = client.get(reverse("archive:export", args=[job.pk]), {"format": "json"}).json()
    assert status["package_format"] == "fgs"


@pytest.mark.parametrize("person", ARCHIVISTS)
def test_the_delivery_package_downloads_under_a_name_that_says_fgs(
    client: Client, cast: Cast, archive: Archive, person: str
) -> None:
    job = fgs_job(cast)
    login(client, cast, person)
    response = client.get(reverse("archive:export_download", args=[job.pk]))
    assert response.status_code == 200
    assert f"kanalvakt-export-{job.pk}-fgs.zip" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert f"kanalvakt-export-{job.pk}/METS.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()


@pytest.mark.parametrize("person", NOT_ARCHIVISTS)
def test_a_delivery_package_is_not_found_by_anyone_else(
    client: Client, cast: Cast, archive: Archive, person: str
) -> None:
    job = fgs_job(cast)
    login(client, cast, person)
    assert client.get(reverse("archive:export", args=[job.pk])).status_code == 404
    assert client.get(reverse("archive:export_download", args=[job.pk])).status_code == 404


def test_the_list_takes_the_same_queries_whatever_the_formats(
    client: Client, cast: Cast, archive: Archive, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fgs_job(cast)
    login(client, cast, "registrar")
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("archive:exports"))
    for package_format in ("fgs", "bagit") * 3:
        exports.request_export(
            by=cast["registrar"],
            now=NOW,
            criteria={"text": "x"},
            description="",
            package_format=package_format,
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(reverse("archive:exports")).status_code == 200
