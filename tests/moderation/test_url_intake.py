"""An item's link that Kanalvakt could never capture is refused where it comes in, with the field
named and nothing stored: the connector API (400, ``url``), the form (an error on the field), the
import (a row error in the ``url`` column), and an account's address on the registry form. Refused: any
other scheme than http or https, a user name or password, another port than 80 or 443, and an
address in a range Kanalvakt never fetches written as the host, in any spelling (core.outbound).
Intake does no DNS: a name is judged when it is fetched.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.forms import AccountRegisterForm
from moderation.imports import parse_items
from moderation.models import Item
from tests.conftest import Cast
from tests.moderation.conftest import NOW
from tests.moderation.test_api import _clock, api, body, issued, items_url, stored

__all__ = ["_clock", "api", "issued"]

REFUSED = [
    "http://127.0.0.1/",
    "http://127.0.0.1:8000/admin/",
    "http://[::1]/",
    "http://10.0.0.1/intranet",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://localhost/",
    "https://www.facebook.com@127.0.0.1/",
    "https://user:secret@www.instagram.com/p/abc/",
    "https://www.instagram.com:8443/p/abc/",
    "ftp://ftp.example.org/post",
]
ACCEPTED = [
    "https://www.facebook.com/kau/posts/123",
    "https://www.instagram.com/p/abc123/",
    "http://www.kau.se/nyheter",
    "https://www.linkedin.com/feed/update/urn:li:activity:1/",
]


@pytest.fixture(autouse=True)
def _no_allowance(settings: Any) -> None:
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = []


@pytest.mark.parametrize("url", REFUSED)
def test_the_api_refuses_a_link_it_could_never_capture(api: APIClient, account: Any, url: str) -> None:
    before = stored()
    response = api.post(items_url(account), body(url=url), format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()) == ["url"]
    assert stored() == before


@pytest.mark.parametrize("url", ACCEPTED)
def test_the_api_keeps_accepting_public_links(api: APIClient, account: Any, url: str) -> None:
    response = api.post(items_url(account), body(url=url), format="json")
    assert response.status_code == 201, response.json()
    assert Item.objects.get().url == url


@pytest.fixture
def at_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.mark.parametrize("url", REFUSED)
def test_the_form_names_the_link_field(
    client: Client, cast: Cast, account: Any, at_now: None, url: str
) -> None:
    client.force_login(cast["communicator"])
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    data = {
        "kind": "comment",
        "author": "@elin",
        "text": "När öppnar anmälan?",
        "url": url,
        "platform_id": "ig-1",
        "received_at": "2026-11-26T08:30",
    }
    response = client.post(reverse("moderation:item_create", args=[account.pk]), data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["url"]
    assert not Item.objects.exists()


@pytest.mark.parametrize("url", REFUSED)
def test_the_import_names_the_row_and_the_url_column(url: str) -> None:
    header = "platform_id,kind,author,text,url,received_at"
    line = f"fb-1,comment,@anna,Hej,{url},2026-11-25T15:00:00+01:00"
    with translation.override("en"):
        result = parse_items(f"{header}\r\n{line}\r\n".encode(), now=NOW)
    assert result.rows == []
    assert [(error.row, error.field) for error in result.errors] == [(2, "url")]


def test_an_inside_address_is_named_plainly_at_import() -> None:
    header = "platform_id,kind,author,text,url,received_at"
    line = "fb-1,comment,@anna,Hej,http://169.254.169.254/latest/,2026-11-25T15:00:00+01:00"
    with translation.override("en"):
        [error] = parse_items(f"{header}\r\n{line}\r\n".encode(), now=NOW).errors
    assert "169.254.169.254 is not a public address (link-local)" in error.message


@pytest.mark.parametrize("url", REFUSED)
def test_an_accounts_address_is_refused_on_the_registry_form(url: str) -> None:
    with pytest.raises(ValidationError):
        AccountRegisterForm.base_fields["url"].clean(url)


@pytest.mark.parametrize("url", ACCEPTED)
def test_an_accounts_public_address_is_accepted(url: str) -> None:
    assert AccountRegisterForm.base_fields["url"].clean(url) == url
