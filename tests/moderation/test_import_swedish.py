"""The import in Swedish: column names and kinds in Swedish beside the English ones, matched without
regard to case or accents, a template file in the person's language that the import reads back, and
the inbox's link to the import for those who may import (KAU-RESPONSE-DEADLINE: the deadlines are
counted from the time received, whatever the columns are called)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.calendar import STOCKHOLM
from moderation import imports
from moderation.import_views import session_key
from moderation.models import Item
from tests.conftest import Cast
from tests.support import login

pytestmark = pytest.mark.usefixtures("fixed_clock")

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM)

SWEDISH_CSV = (
    "\ufeffPlattforms-ID;Typ;Författare;Text;Länk;Mottagen\r\n"
    "ig-1;Kommentar;@anna;När öppnar anmälan?;https://www.instagram.com/p/1/;2026-11-27 15:00\r\n"
    "ig-2;meddelande;@bo;Hej;;2026-11-27 15:00\r\n"
    "ig-3;INLÄGG;@kau;Välkomna!;;2026-11-27 15:00\r\n"
).encode()


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("författare", "author"),
        ("FORFATTARE", "author"),
        ("Author", "author"),
        ("mottagen", "received_at"),
        ("Received at", "received_at"),
        ("länk", "url"),
        ("LANK", "url"),
        ("typ", "kind"),
        ("plattforms-id", "platform_id"),
        ("platform id", "platform_id"),
        ("text", "text"),
        ("innehåll", "text"),
    ],
)
def test_a_column_is_known_by_its_swedish_or_english_name(header: str, field: str) -> None:
    assert imports.column(header) == field


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("kommentar", "comment"),
        ("Comment", "comment"),
        ("meddelande", "message"),
        ("direktmeddelande", "message"),
        ("inlägg", "post"),
        ("INLAGG", "post"),
        ("post", "post"),
    ],
)
def test_a_kind_is_known_by_its_swedish_or_english_name(value: str, kind: str) -> None:
    assert imports.kind_of(value) == kind


def test_a_swedish_file_is_read() -> None:
    result = imports.parse_items(SWEDISH_CSV, now=NOW)
    assert result.errors == []
    assert [(row.platform_id, row.kind) for row in result.rows] == [
        ("ig-1", "comment"),
        ("ig-2", "message"),
        ("ig-3", "post"),
    ]
    assert result.rows[0].url == "https://www.instagram.com/p/1/"
    assert result.rows[0].received_at == datetime(2026, 11, 27, 15, 0, tzinfo=STOCKHOLM)


def test_a_json_file_may_name_its_fields_in_swedish() -> None:
    data = (
        '[{"plattforms-id": "ig-9", "typ": "kommentar", "författare": "@anna", '
        '"text": "Hej", "mottagen": "2026-11-27 15:00"}]'
    ).encode()
    result = imports.parse_items(data, now=NOW)
    assert result.errors == []
    assert result.rows[0].kind == "comment"


def test_a_column_named_twice_in_two_languages_is_an_error() -> None:
    data = "platform_id;kind;author;författare;text;received_at\r\nx;comment;a;b;c;2026-11-27 15:00\r\n"
    result = imports.parse_items(data.encode(), now=NOW)
    assert not result.rows
    assert [(error.row, error.field) for error in result.errors] == [(1, "author")]


def test_an_unknown_kind_names_the_kinds_in_both_languages() -> None:
    data = "typ;plattforms-id;författare;text;mottagen\r\nrecension;x;a;b;2026-11-27 15:00\r\n"
    result = imports.parse_items(data.encode(), now=NOW)
    assert [(error.row, error.field) for error in result.errors] == [(2, "kind")]
    assert "kommentar" in result.errors[0].message
    assert "comment" in result.errors[0].message


def test_a_swedish_file_is_imported_through_the_page(client: Client, cast: Cast, account: Any) -> None:
    login(client, cast, "communicator")
    url = reverse("moderation:import", args=[account.pk])
    preview = client.post(
        url, {"file": SimpleUploadedFile("poster.csv", SWEDISH_CSV, content_type="text/csv")}
    )
    assert preview.status_code == 200
    assert preview.context["errors"] == []
    response = client.post(url, {"digest": client.session[session_key(account)]["digest"]})
    assert response.status_code == 302
    assert dict(Item.objects.filter(account=account).values_list("platform_id", "kind")) == {
        "ig-1": "comment",
        "ig-2": "message",
        "ig-3": "post",
    }


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("sv", '"plattforms-id";"typ";"författare";"text";"länk";"mottagen"'),
        ("en", '"platform_id";"kind";"author";"text";"url";"received_at"'),
    ],
)
def test_the_template_file_is_in_the_persons_language_and_imports_as_it_is(
    client: Client, cast: Cast, account: Any, language: str, heading: str
) -> None:
    login(client, cast, "deputy")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("moderation:import_template", args=[account.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff" + heading + "\r\n")
    assert len(body.strip().split("\r\n")) == 2
    result = imports.parse_items(response.content, now=NOW)
    assert result.errors == []
    assert [row.kind for row in result.rows] == ["comment"]


@pytest.mark.parametrize(
    ("person", "status"),
    [("communicator", 200), ("deputy", 200), ("head_of_unit", 403), ("outsider", 404), ("registrar", 404)],
)
def test_the_template_is_for_those_who_may_import(
    client: Client, cast: Cast, account: Any, person: str, status: int
) -> None:
    login(client, cast, person)
    assert client.get(reverse("moderation:import_template", args=[account.pk])).status_code == status


@pytest.mark.parametrize(
    ("person", "shown"), [("communicator", True), ("deputy", True), ("head_of_unit", False)]
)
def test_the_inbox_links_to_the_import_for_those_who_may_import(
    client: Client, cast: Cast, account: Any, person: str, shown: bool
) -> None:
    login(client, cast, person)
    page = client.get(reverse("moderation:inbox", args=[account.pk])).content.decode()
    assert (f'href="{reverse("moderation:import", args=[account.pk])}"' in page) is shown


def test_the_import_page_offers_the_template(client: Client, cast: Cast, account: Any) -> None:
    login(client, cast, "communicator")
    page = client.get(reverse("moderation:import", args=[account.pk])).content.decode()
    assert f'href="{reverse("moderation:import_template", args=[account.pk])}"' in page
