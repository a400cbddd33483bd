"""The response-time report as an Excel workbook beside its CSV (KAU-RESPONSE-DEADLINE): the same rows,
the figures as numbers, a formula in an account's name kept as text, and the same refusals."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from core import xlsxfile
from core.calendar import STOCKHOLM
from moderation import services
from tests.conftest import Cast

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=STOCKHOLM)
PERIOD = {"start": "2026-11-01", "end": "2026-11-26"}


def test_the_report_as_a_workbook(client: Client, cast: Cast, make_account: Any, make_item: Any) -> None:
    account = make_account(name="=HYPERLINK(1)")
    item = make_item(account, received_at=datetime(2026, 11, 20, 9, 0, tzinfo=STOCKHOLM), now=NOW)
    services.answer_item(
        item,
        answer="Svar.",
        by=cast["communicator"],
        now=NOW,
        answered_at=datetime(2026, 11, 20, 11, 0, tzinfo=STOCKHOLM),
    )
    client.force_login(cast["social_media_lead"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("moderation:report_export_xlsx"), PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"] == xlsxfile.CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="svarstider-2026-11-01-2026-11-26.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    heading = [cell.value for cell in sheet[1]]
    assert heading[:3] == ["account", "details", "received"]
    first = {heading[index]: cell for index, cell in enumerate(sheet[2])}
    assert (first["account"].value, first["account"].data_type) == ("=HYPERLINK(1)", "s")
    assert (first["received"].value, first["received"].data_type) == (1, "n")
    assert first["median working hours to an answer"].data_type == "n"
    assert first["median working hours to an answer"].value == pytest.approx(2.0)
    assert sheet.auto_filter.ref == f"A1:N{sheet.max_row}"


def test_the_report_page_offers_csv_and_excel_with_the_filters(client: Client, cast: Cast) -> None:
    client.force_login(cast["social_media_lead"])
    page = client.get(reverse("moderation:report"), PERIOD).content.decode()
    assert f'href="{reverse("moderation:report_export")}?start=2026-11-01&amp;end=2026-11-26"' in page
    assert f'href="{reverse("moderation:report_export_xlsx")}?start=2026-11-01&amp;end=2026-11-26"' in page


@pytest.mark.parametrize(("person", "status"), [("communicator", 403), ("outsider", 403), ("dean", 200)])
def test_the_workbook_is_refused_as_the_report_is(
    client: Client, cast: Cast, person: str, status: int
) -> None:
    client.force_login(cast[person])
    assert client.get(reverse("moderation:report_export_xlsx"), PERIOD).status_code == status


def test_a_bad_period_is_refused_with_the_field_named(client: Client, cast: Cast) -> None:
    client.force_login(cast["social_media_lead"])
    response = client.get(reverse("moderation:report_export_xlsx"), {"start": "2026-11-30", "end": "x"})
    assert response.status_code == 400
    assert "end" in response.context["form"].errors
