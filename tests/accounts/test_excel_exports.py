"""The registry as an Excel workbook beside its CSV: the same rows, real dates, headings in the
language of the interface, and only the accounts the person may see."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from django.conf import settings
from django.test import Client
from django.urls import reverse

from core import xlsxfile
from tests.conftest import Cast


def sheet(response: Any) -> Any:
    assert response.status_code == 200
    assert response["Content-Type"] == xlsxfile.CONTENT_TYPE
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def test_the_registry_as_a_workbook_has_typed_cells_and_english_headings(
    client: Client, cast: Cast, make_account: Any
) -> None:
    account = make_account(name="=1+1")
    client.force_login(cast["head_of_unit"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("accounts:export_xlsx"))
    assert response["Content-Disposition"].startswith('attachment; filename="kontoregister-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = sheet(response)
    heading = [cell.value for cell in rows[1]]
    assert heading[:4] == ["id", "unit", "platform", "name"]
    record = {heading[index]: cell for index, cell in enumerate(rows[2])}
    assert (record["id"].value, record["id"].data_type) == (account.pk, "n")
    assert (record["name"].value, record["name"].data_type) == ("=1+1", "s")
    assert record["registered"].is_date
    assert rows.freeze_panes == "A2"


def test_the_headings_follow_the_swedish_interface(client: Client, cast: Cast, make_account: Any) -> None:
    make_account()
    client.force_login(cast["head_of_unit"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = [cell.value for cell in sheet(client.get(reverse("accounts:export_xlsx")))[1]]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    swedish = [cell.value for cell in sheet(client.get(reverse("accounts:export_xlsx")))[1]]
    assert len(english) == len(swedish)
    # The CSV's headings, in whatever language the catalogue has: the same as the CSV gives.
    csv_heading = client.get(reverse("accounts:export")).content.decode("utf-8")[1:].split("\r\n")[0]
    assert csv_heading == ";".join(f'"{value}"' for value in swedish)


def test_a_person_gets_only_the_accounts_they_may_see_and_the_filter_applies(
    client: Client, cast: Cast, make_account: Any
) -> None:
    mine = make_account(platform="instagram")
    make_account(platform="linkedin", name="LinkedIn-konto")
    make_account(unit="other", owner="other_head", deputies=("social_media_lead",))
    client.force_login(cast["communicator"])
    ids = [row[0].value for row in sheet(client.get(reverse("accounts:export_xlsx"))).iter_rows(min_row=2)]
    assert len(ids) == 2
    filtered = sheet(client.get(reverse("accounts:export_xlsx"), {"platform": "instagram"}))
    assert [row[0].value for row in filtered.iter_rows(min_row=2)] == [mine.pk]


def test_the_registry_offers_csv_and_excel_side_by_side(
    client: Client, cast: Cast, make_account: Any
) -> None:
    make_account()
    client.force_login(cast["communicator"])
    page = client.get(reverse("accounts:list"), {"platform": "instagram", "sida": "1"}).content.decode()
    assert 'data-format="csv"' in page
    assert f'href="{reverse("accounts:export_xlsx")}?platform=instagram"' in page


def test_an_anonymous_visitor_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("accounts:export_xlsx"))
    assert response.status_code == 302
