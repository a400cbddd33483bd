"""The archive search's tables as CSV and Excel (KAU-PUBLIC-RECORD): one kind of record per file, the
same criteria and the same people as the search page, full texts and Stockholm times."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from core import xlsxfile
from tests.archive.export_support import (
    ARCHIVISTS,
    NOT_ARCHIVISTS,
    Archive,
    account,
    archive,
    make_item,
    media_root,
)
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
FIXTURES = (account, archive, make_item, media_root)
NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


def workbook_rows(response: Any) -> list[list[Any]]:
    assert response.status_code == 200
    assert response["Content-Type"] == xlsxfile.CONTENT_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_items_found_as_a_workbook(client: Client, cast: Cast, archive: Archive) -> None:
    client.force_login(cast["registrar"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("archive:search_export_xlsx"), {**NOVEMBER, "kind": "items"})
    heading, *rows = workbook_rows(response)
    assert heading[:3] == ["id", "received", "account"]
    assert {row[0] for row in rows} == {archive.criticism.pk, archive.threat.pk, archive.prohibited.pk}
    criticism = next(row for row in rows if row[0] == archive.criticism.pk)
    assert criticism[1] == datetime(2026, 11, 24, 9, 0)  # Stockholm wall-clock time, as received
    assert criticism[4] == "Varför stänger ni biblioteket på lördagar?"
    assert response["Content-Disposition"].startswith('attachment; filename="sokning-items-')


def test_the_same_table_as_csv_in_the_swedish_dialect(client: Client, cast: Cast, archive: Archive) -> None:
    client.force_login(cast["social_media_lead"])
    response = client.get(reverse("archive:search_export"), {"author": "@kritiker", "kind": "items"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert len(rows) == 2
    assert rows[1][0] == str(archive.criticism.pk)
    assert rows[1][1] == "2026-11-24 09:00"


@pytest.mark.parametrize("kind", ["items", "publications", "log", "decisions", "screenshots"])
def test_every_kind_has_a_table(client: Client, cast: Cast, archive: Archive, kind: str) -> None:
    client.force_login(cast["registrar"])
    heading, *_rows = workbook_rows(
        client.get(reverse("archive:search_export_xlsx"), {"start": "2026-01-01", "kind": kind})
    )
    assert heading


def test_the_search_page_offers_both_formats_for_each_table(
    client: Client, cast: Cast, archive: Archive
) -> None:
    client.force_login(cast["registrar"])
    page = client.get(reverse("archive:search"), NOVEMBER).content.decode()
    assert 'data-export-links="items"' in page
    assert (
        f'href="{reverse("archive:search_export_xlsx")}?start=2026-11-01&amp;end=2026-11-30&amp;kind=items"'
        in page
    )


@pytest.mark.parametrize("person", NOT_ARCHIVISTS)
def test_anyone_else_is_refused(client: Client, cast: Cast, archive: Archive, person: str) -> None:
    client.force_login(cast[person])
    assert client.get(reverse("archive:search_export_xlsx"), {**NOVEMBER, "kind": "items"}).status_code == 403


@pytest.mark.parametrize("person", ARCHIVISTS)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"kind": "items"}, "__all__"),  # nothing to search by
        ({**NOVEMBER, "kind": "nonsense"}, "kinds"),
        ({**NOVEMBER, "kinds": "log", "kind": "items"}, "kinds"),  # a kind not searched
        ({"start": "2026-13-01", "kind": "items"}, "start"),
    ],
)
def test_bad_criteria_are_refused_with_the_field_named(
    client: Client, cast: Cast, archive: Archive, person: str, query: dict[str, str], field: str
) -> None:
    client.force_login(cast[person])
    response = client.get(reverse("archive:search_export"), query)
    assert response.status_code == 400
    assert field in response.context["form"].errors
