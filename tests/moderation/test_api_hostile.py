"""Hostile times sent to the connector API: each is answered with a JSON 400 on ``received_at`` and
nothing is stored (KAU-RESPONSE-DEADLINE: no time is stored that every later page would pay to count
working hours from, and none that cannot be turned into Stockholm time).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account
from moderation import tokens
from moderation.deadlines import STOCKHOLM
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
