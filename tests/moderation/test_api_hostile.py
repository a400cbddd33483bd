"""Hostile bodies sent to the connector API: each is answered in JSON, 400 naming the problem (the
field, or ``detail`` for the body as a whole) or 413 for a body too large to read, and nothing is
stored. No body reaches a 500 (KAU-RESPONSE-DEADLINE: a connector that gets a 500 cannot tell whether
its item arrived), and no time is stored that every later page would pay to count working hours from.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account
from core.calendar import STOCKHOLM
from moderation import tokens
from moderation.models import ApiToken, Item, LogEntry
from tests.conftest import Cast
from tests.moderation.conftest import NOW

pytestmark = pytest.mark.django_db

# The API's clock: Wednesday 2 December 2026, 12:00 in Stockholm.
API_NOW = datetime(2026, 12, 2, 12, 0, tzinfo=STOCKHOLM)

GOOD: dict[str, Any] = {
    "platform_id": "ig-17890001",
    "kind": "comment",
    "author": "@besokare",
    "text": "När öppnar anmälan till hösten?",
    "received_at": "2026-11-24T10:00:00+01:00",
}


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: API_NOW)


@pytest.fixture
def issued(cast: Cast, account: Account) -> tuple[ApiToken, str]:
    return tokens.issue_token(name="Koppling", accounts=[account], by=cast["social_media_lead"], now=NOW)


@pytest.fixture
def api(issued: tuple[ApiToken, str]) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued[1]}")
    return client


def items_url(account: Account) -> str:
    return f"/api/v1/accounts/{account.pk}/items/"


def send(api: APIClient, account: Account, body: bytes, content_type: str = "application/json") -> Any:
    """POST ``body`` as it is: the client sends bytes, whatever its stubs say."""
    data: Any = body
    return api.generic("POST", items_url(account), data, content_type=content_type)


def stored() -> tuple[int, int, int]:
    return Item.objects.count(), LogEntry.objects.count(), Item.history.count()


def with_(**overrides: Any) -> bytes:
    return json.dumps({**GOOD, **overrides}).encode()


def raw_with(field: str, raw_json_value: str) -> bytes:
    """The good body with ``field`` set to a literal JSON text (which json.dumps would not write)."""
    others = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in GOOD.items() if k != field)
    return f"{{{others}, {json.dumps(field)}: {raw_json_value}}}".encode()


def nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


# --- Times out of bounds: 400 on received_at ---------------------------------------------------------------

HOSTILE_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00-12:00",
    "0001-01-01T23:59:59.999999+14:00",
    "1899-12-31T23:00:00+01:00",
    "1989-12-31T23:59:59+01:00",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59+14:00",
    "2026-12-02T12:06:00+01:00",  # six minutes ahead of the API's clock
    "2026-02-30T10:00:00+01:00",
    "2026-11-24T10:00:00+24:00",
    "2026-11-24T10:00:00+01:00" + "0" * 100_000,
]


@pytest.mark.parametrize("value", HOSTILE_TIMES, ids=lambda v: v[:32])
def test_a_time_out_of_bounds_is_400_on_received_at_and_stores_nothing(
    api: APIClient, account: Account, value: str
) -> None:
    """KAU-RESPONSE-DEADLINE: an item is received from 1 January 1990 (Stockholm) up to five minutes
    from now; anything else, or no time at all, is refused on its field."""
    before = stored()
    response = send(api, account, with_(received_at=value))
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["received_at"]
    assert stored() == before


@pytest.mark.parametrize(
    "value", ["1990-01-01T00:00:00+01:00", "1989-12-31T23:00:00Z", "2026-12-02T12:05:00+01:00"]
)
def test_the_bounds_themselves_are_accepted(api: APIClient, account: Account, value: str) -> None:
    """The first instant of 1990 in Stockholm, given in any offset, and now plus five minutes."""
    response = api.post(items_url(account), {**GOOD, "received_at": value}, format="json")
    assert response.status_code == 201, response.content


# --- Bodies that are not a good JSON object: 400 naming the problem -------------------------------------

HOSTILE_BODIES: list[tuple[str, bytes, str, str]] = [
    # (name, body, content type, the key that must name the problem)
    ("truncated", b'{"platform_id": ', "application/json", "detail"),
    ("trailing garbage", with_() + b" x", "application/json", "detail"),
    ("a list", b"[]", "application/json", "non_field_errors"),
    ("a string", b'"item"', "application/json", "non_field_errors"),
    ("null", b"null", "application/json", "non_field_errors"),
    ("nested 1,000 deep", nested(1_000).encode(), "application/json", "detail"),
    ("nested 100,000 deep", nested(100_000).encode(), "application/json", "detail"),
    ("a field nested 1,000 deep", raw_with("text", nested(1_000)), "application/json", "detail"),
    (
        "an object nested 5,000 deep",
        ('{"a":' * 5_000 + "1" + "}" * 5_000).encode(),
        "application/json",
        "detail",
    ),
    ("a number of 5,000 digits", raw_with("platform_id", "1" * 5_000), "application/json", "detail"),
    ("NaN", raw_with("platform_id", "NaN"), "application/json", "detail"),
    ("Infinity", raw_with("platform_id", "-Infinity"), "application/json", "detail"),
    ("NUL in the text", with_(text="Hej\x00då"), "application/json", "text"),
    ("NUL in the author", with_(author="@a\x00b"), "application/json", "author"),
    (
        "NUL in the time",
        with_(received_at="2026-11-24T10:00:00\x00+01:00"),
        "application/json",
        "received_at",
    ),
    ("NUL in a field name", with_(**{"te\x00xt": "x"}), "application/json", "te\x00xt"),
    (
        "a lone surrogate in the text",
        raw_with("text", '"Hej \\ud800 d\\u00e5"'),
        "application/json",
        "text",
    ),
    ("a lone surrogate in the author", raw_with("author", '"\\udfff"'), "application/json", "author"),
    ("a lone surrogate in the kind", raw_with("kind", '"\\ud83d"'), "application/json", "kind"),
    ("a lone surrogate deep in a field", raw_with("text", '[{"a": "\\ud800"}]'), "application/json", "text"),
    ("a lone surrogate in a field name", with_()[:-1] + b', "\\udc00": 1}', "application/json", "detail"),
    ("invalid UTF-8", with_(text="Hej")[:-2] + b'\xff\xfe"}', "application/json", "detail"),
    ("a byte-order mark", b"\xef\xbb\xbf" + with_(), "application/json", "detail"),
    ("UTF-16 announced, UTF-8 sent", with_(text="Hej å"), "application/json; charset=utf-16", "detail"),
    ("received_at as a number", raw_with("received_at", "1764583200"), "application/json", "received_at"),
    ("received_at as an object", raw_with("received_at", '{"year": 1}'), "application/json", "received_at"),
]


@pytest.mark.parametrize(
    ("body", "content_type", "key"),
    [case[1:] for case in HOSTILE_BODIES],
    ids=[case[0] for case in HOSTILE_BODIES],
)
def test_a_hostile_body_is_a_json_400_naming_the_problem_and_stores_nothing(
    api: APIClient, account: Account, body: bytes, content_type: str, key: str
) -> None:
    """KAU-RESPONSE-DEADLINE: a connector always learns, in JSON, why its item was not taken."""
    before = stored()
    response = send(api, account, body, content_type)
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert key in answer, answer
    assert all(message for messages in answer.values() for message in messages), answer
    assert stored() == before


def test_a_body_too_large_to_read_is_a_json_413_and_stores_nothing(api: APIClient, account: Account) -> None:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused, in JSON, before it is read or parsed."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = with_(text="x" * limit)
    assert len(body) > limit
    before = stored()
    response = send(api, account, body)
    assert response.status_code == 413, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    assert stored() == before


def test_a_body_just_within_the_limit_is_read(api: APIClient, account: Account) -> None:
    """The control: the limit is the limit, a long text below it is taken."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    text = "x" * (limit - len(with_(text="")) - 1)
    response = send(api, account, with_(text=text))
    assert response.status_code == 201, response.content[:300]


def test_ten_thousand_unknown_fields_are_named_at_most_a_few_at_a_time(
    api: APIClient, account: Account
) -> None:
    """A body of many unknown fields is refused by naming the first of them, not by an answer as large
    as the body."""
    body = with_(**{f"extra{i}": i for i in range(10_000)})
    before = stored()
    response = send(api, account, body)
    assert response.status_code == 400
    answer = response.json()
    assert "extra0" in answer
    assert len(answer) <= 21
    assert len(response.content) < 5_000
    assert stored() == before


def test_an_unexpected_failure_behind_a_token_is_answered_in_json(
    api: APIClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error page is rendered for a connector, not a person: it has no groups or menu, and a
    failure inside a view must still end in a plain JSON 500 rather than a second failure."""
    from moderation.api import views

    def broken(**_kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views, "receive_item", broken)
    api.raise_request_exception = False
    before = Item.objects.count()
    response = send(api, account, json.dumps(GOOD).encode())
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    assert Item.objects.count() == before
