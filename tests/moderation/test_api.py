"""The connector API, end to end with DRF's test client: the deadlines of the three examples
(KAU-RESPONSE-DEADLINE), idempotent replays, and every refusal (400, 401, 403, 404, 409) storing
nothing. Also the OpenAPI schema at /api/schema/.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Account
from core.calendar import STOCKHOLM
from moderation import tokens
from moderation.api.views import ConnectorThrottle
from moderation.models import Alert, ApiToken, Item, LogEntry
from tests.conftest import Cast
from tests.moderation.conftest import NOW

# The API's clock: Wednesday 2 December 2026, 12:00, after every example below (none is "in the future").
API_NOW = datetime(2026, 12, 2, 12, 0, tzinfo=STOCKHOLM)


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("moderation.api.views.timezone", SimpleNamespace(now=lambda: API_NOW))


@pytest.fixture
def issued(cast: Cast, account: Account) -> tuple[ApiToken, str]:
    """A token for ``account`` only, issued by the social media lead."""
    return tokens.issue_token(
        name="Instagram-koppling", accounts=[account], by=cast["social_media_lead"], now=NOW
    )


@pytest.fixture
def api(issued: tuple[ApiToken, str]) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued[1]}")
    return client


def items_url(account: Account | int) -> str:
    return f"/api/v1/accounts/{getattr(account, 'pk', account)}/items/"


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "platform_id": "ig-17890001",
        "kind": "comment",
        "author": "@besokare",
        "text": "När öppnar anmälan till hösten?",
        "url": "https://www.instagram.com/p/abc123/",
        "received_at": "2026-11-24T10:00:00+01:00",
    }
    data.update(overrides)
    return data


def stored() -> tuple[int, int, int, int]:
    """What a refused or replayed request must leave as it was: items, log, alerts, item history."""
    return Item.objects.count(), LogEntry.objects.count(), Alert.objects.count(), Item.history.count()


# --- The three examples (KAU-RESPONSE-DEADLINE) -----------------------------------------------------------

EXAMPLES = [
    # Tuesday 10:00 → due Wednesday 10:00, limit Thursday 10:00.
    ("2026-11-24T10:00:00+01:00", "2026-11-25T10:00:00+01:00", "2026-11-26T10:00:00+01:00"),
    # Friday 15:00 → the weekend does not count: due Monday 15:00, limit Tuesday 15:00.
    ("2026-11-27T15:00:00+01:00", "2026-11-30T15:00:00+01:00", "2026-12-01T15:00:00+01:00"),
    # Saturday 11:00 → counted from Monday 00:00: due Tuesday 00:00, limit Wednesday 00:00.
    ("2026-11-28T11:00:00+01:00", "2026-12-01T00:00:00+01:00", "2026-12-02T00:00:00+01:00"),
]


@pytest.mark.parametrize(("received", "due", "limit"), EXAMPLES)
def test_the_three_examples_hold_through_the_api_kau_response_deadline(
    api: APIClient, account: Account, received: str, due: str, limit: str
) -> None:
    response = api.post(items_url(account), body(received_at=received), format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["received_at"], data["due_at"], data["limit_at"]) == (received, due, limit)
    item = Item.objects.get(pk=data["id"])
    assert item.source == Item.Source.API
    assert item.due_at.astimezone(STOCKHOLM).isoformat() == due
    assert response["Location"] == f"/api/v1/accounts/{account.pk}/items/{item.pk}/"

    read = api.get(response["Location"])
    assert read.status_code == 200
    assert (read.json()["due_at"], read.json()["limit_at"]) == (due, limit)


def test_response_names_every_field_with_times_in_stockholm(api: APIClient, account: Account) -> None:
    """A time sent in UTC comes back on the Stockholm clock, with its offset."""
    response = api.post(items_url(account), body(received_at="2026-11-24T09:00:00Z"), format="json")

    assert response.status_code == 201
    data = response.json()
    assert set(data) == {
        "id",
        "account",
        "platform_id",
        "kind",
        "author",
        "text",
        "url",
        "received_at",
        "due_at",
        "limit_at",
        "status",
        "page_url",
    }
    assert data["received_at"] == "2026-11-24T10:00:00+01:00"
    assert data["due_at"] == "2026-11-25T10:00:00+01:00"
    assert data["account"] == account.pk
    assert data["status"] == "open"
    assert data["page_url"].endswith(f"/moderering/{data['id']}/")
    assert response["Content-Type"] == "application/json"


def test_the_url_may_be_left_out(api: APIClient, account: Account) -> None:
    data = body()
    del data["url"]
    response = api.post(items_url(account), data, format="json")
    assert response.status_code == 201
    assert response.json()["url"] == ""


def test_item_is_logged_by_nobody_and_its_log_starts(api: APIClient, account: Account) -> None:
    response = api.post(items_url(account), body(), format="json")
    entry = LogEntry.objects.get(item_id=response.json()["id"])
    assert entry.action == LogEntry.Action.LOGGED
    assert entry.actor is None
    assert entry.at == API_NOW


# --- Idempotency ---------------------------------------------------------------------------------------


def test_replay_returns_the_stored_item_with_200_and_creates_nothing(
    api: APIClient, account: Account
) -> None:
    first = api.post(items_url(account), body(), format="json")
    assert first.status_code == 201
    before = stored()

    again = api.post(items_url(account), body(), format="json")
    changed = api.post(items_url(account), body(text="Ändrad text", kind="message"), format="json")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert changed.status_code == 200
    assert changed.json()["id"] == first.json()["id"]
    assert changed.json()["text"] == "När öppnar anmälan till hösten?"  # the stored item, as stored
    assert stored() == before


def test_the_same_platform_id_on_another_account_is_another_item(
    cast: Cast, make_account: Any, account: Account
) -> None:
    other = make_account()
    _token, secret = tokens.issue_token(name="Alla", all_accounts=True, by=None, now=NOW)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    first = client.post(items_url(account), body(), format="json")
    second = client.post(items_url(other), body(), format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


# --- 400: bad input names the field and stores nothing --------------------------------------------------

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("platform_id missing", {"platform_id": None}, "platform_id"),
    ("platform_id blank", {"platform_id": "  "}, "platform_id"),
    ("platform_id too long", {"platform_id": "x" * 201}, "platform_id"),
    ("kind missing", {"kind": None}, "kind"),
    ("kind unknown", {"kind": "tweet"}, "kind"),
    ("author missing", {"author": None}, "author"),
    ("author blank", {"author": "   "}, "author"),
    ("author too long", {"author": "a" * 201}, "author"),
    ("text missing", {"text": None}, "text"),
    ("text blank", {"text": " \n "}, "text"),
    ("url not a url", {"url": "inte en länk"}, "url"),
    ("url too long", {"url": "https://example.se/" + "a" * 490}, "url"),
    ("received_at missing", {"received_at": None}, "received_at"),
    ("received_at naive", {"received_at": "2026-11-24T10:00:00"}, "received_at"),
    ("received_at a date", {"received_at": "2026-11-24"}, "received_at"),
    ("received_at nonsense", {"received_at": "i tisdags"}, "received_at"),
    ("received_at a number", {"received_at": 1795000000}, "received_at"),
    ("received_at impossible", {"received_at": "2026-11-31T10:00:00+01:00"}, "received_at"),
    ("received_at in the future", {"received_at": "2026-12-02T12:06:00+01:00"}, "received_at"),
    ("unknown field", {"likes": 12}, "likes"),
]


@pytest.mark.parametrize(("change", "field"), [(c, f) for _name, c, f in BAD], ids=[n for n, _c, _f in BAD])
def test_bad_input_is_400_naming_the_field_and_stores_nothing(
    api: APIClient, account: Account, change: dict[str, Any], field: str
) -> None:
    data = body(**{key: value for key, value in change.items() if value is not None})
    for key in [key for key, value in change.items() if value is None]:
        del data[key]
    before = stored()

    response = api.post(items_url(account), data, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert stored() == before


def test_naive_received_at_is_refused_rather_than_guessed(api: APIClient, account: Account) -> None:
    response = api.post(items_url(account), body(received_at="2026-11-24T10:00:00"), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["received_at"]
    assert not Item.objects.exists()


def test_five_minutes_of_clock_skew_are_accepted(api: APIClient, account: Account) -> None:
    response = api.post(items_url(account), body(received_at="2026-12-02T12:04:00+01:00"), format="json")
    assert response.status_code == 201


def test_unknown_fields_are_named_together_with_other_errors(api: APIClient, account: Account) -> None:
    response = api.post(items_url(account), body(kind="tweet", likes=1, shares=2), format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "likes", "shares"}
    assert not Item.objects.exists()


@pytest.mark.parametrize("payload", ["[]", '"text"', "{not json", ""])
def test_a_body_that_is_not_a_json_object_is_400(api: APIClient, account: Account, payload: str) -> None:
    response = api.generic("POST", items_url(account), payload, content_type="application/json")
    assert response.status_code == 400
    assert not Item.objects.exists()


def test_a_form_encoded_body_is_refused(api: APIClient, account: Account) -> None:
    response = api.post(items_url(account), body(), format="multipart")
    assert response.status_code == 415
    assert not Item.objects.exists()


# --- 401: no token, a wrong one, a revoked one ------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer kv_wrong-token-0123456789",
        "Bearer",
        "Bearer two parts",
        "Token kv_wrong",
        "Basic Y29tbXVuaWNhdG9yOnB3",
    ],
)
def test_missing_or_wrong_token_is_401_json_never_a_redirect(account: Account, header: str | None) -> None:
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)

    response = client.post(items_url(account), body(), format="json")
    read = client.get(f"{items_url(account)}1/")

    for answer in (response, read):
        assert answer.status_code == 401
        assert answer["Content-Type"] == "application/json"
        assert answer["WWW-Authenticate"].startswith("Bearer")
        assert "detail" in answer.json()
    assert not Item.objects.exists()


def test_revoked_token_is_401(
    cast: Cast, api: APIClient, account: Account, issued: tuple[ApiToken, str]
) -> None:
    assert api.post(items_url(account), body(), format="json").status_code == 201
    tokens.revoke_token(issued[0], by=cast["social_media_lead"], now=NOW)
    before = stored()

    response = api.post(items_url(account), body(platform_id="ig-2"), format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert stored() == before


def test_a_signed_in_person_is_not_a_connector(cast: Cast, account: Account) -> None:
    """The item endpoints take a token only; a browser session gets 401, not a write."""
    client = APIClient()
    client.force_login(cast["social_media_lead"])
    response = client.post(items_url(account), body(), format="json")
    assert response.status_code == 401
    assert not Item.objects.exists()


def test_the_database_holds_only_the_hash_of_a_token(
    issued: tuple[ApiToken, str], api: APIClient, account: Account
) -> None:
    token, secret = issued
    api.post(items_url(account), body(), format="json")  # used, so last_used_at is written too

    row = ApiToken.objects.values().get(pk=token.pk)
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in row.values())
    assert all(secret not in str(value) for value in ApiToken.history.filter(id=token.pk).values().values())
    assert secret[12:] not in row["prefix"]


def test_last_used_is_recorded_without_a_history_row(
    issued: tuple[ApiToken, str], api: APIClient, account: Account
) -> None:
    token = issued[0]
    history = ApiToken.history.count()
    api.post(items_url(account), body(), format="json")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert ApiToken.history.count() == history


# --- 403 and 404: the token's accounts ------------------------------------------------------------------


def test_an_account_outside_the_tokens_scope_is_403(api: APIClient, make_account: Any) -> None:
    other = make_account(unit="other", owner="deputy", deputies=("communicator",))
    before = stored()

    response = api.post(items_url(other), body(), format="json")
    read = api.get(f"{items_url(other)}1/")

    assert response.status_code == 403
    assert read.status_code == 403
    assert "detail" in response.json()
    assert stored() == before


def test_a_token_for_every_account_writes_to_any(make_account: Any) -> None:
    other = make_account(unit="other", owner="deputy", deputies=("communicator",))
    _token, secret = tokens.issue_token(name="Alla", all_accounts=True, by=None, now=NOW)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.post(items_url(other), body(), format="json").status_code == 201


def test_an_unknown_account_is_404(api: APIClient) -> None:
    missing = (Account.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    response = api.post(items_url(missing), body(), format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert not Item.objects.exists()


def test_an_item_of_another_account_or_none_is_404(
    cast: Cast, api: APIClient, account: Account, make_account: Any
) -> None:
    other = make_account()
    from moderation.services import log_item

    foreign = log_item(
        other, kind="post", author="@a", text="Hej", received_at=NOW - timedelta(hours=1), by=None, now=NOW
    )
    assert api.get(f"{items_url(account)}{foreign.pk}/").status_code == 404
    assert api.get(f"{items_url(account)}{foreign.pk + 1000}/").status_code == 404


def test_get_returns_the_item_with_its_current_status(cast: Cast, api: APIClient, account: Account) -> None:
    created = api.post(items_url(account), body(), format="json").json()
    from moderation.services import close_item

    close_item(Item.objects.get(pk=created["id"]), reason="Spam", by=cast["communicator"], now=API_NOW)

    response = api.get(f"{items_url(account)}{created['id']}/")

    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["due_at"] == created["due_at"]


# --- A closed account (KAU-CLOSE) ---------------------------------------------------------------------------


def test_a_closed_account_takes_no_new_items_409_kau_close(api: APIClient, account: Account) -> None:
    assert api.post(items_url(account), body(), format="json").status_code == 201
    # Set up the state directly: closing is a workflow of its own, not what is tested here.
    Account.objects.filter(pk=account.pk).update(status=Account.Status.CLOSED, closed_at=NOW)
    before = stored()

    new = api.post(items_url(account), body(platform_id="ig-new"), format="json")
    replay = api.post(items_url(account), body(), format="json")

    assert new.status_code == 409
    assert new.json()["code"] == "account_closed"
    assert replay.status_code == 200
    assert stored() == before


# --- Throttling -----------------------------------------------------------------------------------------


def test_a_connector_is_throttled_per_token(
    monkeypatch: pytest.MonkeyPatch, api: APIClient, account: Account
) -> None:
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(ConnectorThrottle, "THROTTLE_RATES", {"connector": "2/min"})
    statuses = [api.get(f"{items_url(account)}1/").status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
    cache.clear()


# --- The schema -------------------------------------------------------------------------------------------


def test_schema_for_a_signed_in_person_names_the_items_path(cast: Cast) -> None:
    client = Client()
    client.force_login(cast["communicator"])
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/accounts/{account_id}/items/" in schema["paths"]
    assert "/api/v1/accounts/{account_id}/items/{item_id}/" in schema["paths"]
    assert "connectorToken" in schema["components"]["securitySchemes"]


def test_schema_for_a_token(api: APIClient) -> None:
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/accounts/{account_id}/items/" in response.json()["paths"]


def test_schema_is_refused_anonymously() -> None:
    response = Client().get("/api/schema/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
