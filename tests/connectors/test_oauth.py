"""Facebook Login for Business against the stand-in Graph API: the signed single-use state, the code
exchanged for a long-lived user token, the page token kept (never the user's), choosing among pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from connectors.meta import oauth
from connectors.models import Connection
from tests.conftest import Cast
from tests.connectors.standin import Request, StandIn, stand_in
from tests.support import in_english, login

PAGE_TOKEN = "EAAPageTokenLongLived"
OTHER_TOKEN = "EAAOtherPageToken"
SHORT = "EAAShortUserToken"
LONG = "EAALongUserToken"
PAGES: list[dict[str, Any]] = [
    {
        "id": "104857600123",
        "name": "Karlstads universitet",
        "access_token": PAGE_TOKEN,
        "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
        "instagram_business_account": {"id": "17841400000000001", "username": "karlstadsuniversitet"},
    },
    {"id": "200000000000002", "name": "Fysik vid KAU", "access_token": OTHER_TOKEN, "tasks": ["MODERATE"]},
]


@pytest.fixture
def meta(settings: Any) -> Iterator[StandIn]:
    """Meta's Graph API stood in for, and the app configured."""
    with stand_in("/v24.0") as api:
        settings.META_GRAPH_URL = api.base_url
        settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
        settings.META_APP_ID, settings.META_APP_SECRET = "1234", "app-secret"
        settings.META_LOGIN_CONFIG_ID = ""
        settings.KANALVAKT_BASE_URL = "https://kanalvakt.example.se"

        def access_token(request: Request) -> tuple[int, Any]:
            params = request.query
            if params.get("grant_type") == "fb_exchange_token":
                assert params["fb_exchange_token"] == SHORT
                return 200, {"access_token": LONG, "token_type": "bearer", "expires_in": 5183944}
            if params.get("code") != "good-code":
                return 400, {"error": {"message": "Invalid verification code format.", "code": 100}}
            assert params["redirect_uri"] == "https://kanalvakt.example.se/kopplingar/facebook/tillbaka/"
            return 200, {"access_token": SHORT, "token_type": "bearer", "expires_in": 5183}

        def accounts(request: Request) -> tuple[int, Any]:
            assert request.query["access_token"] == LONG
            return 200, {"data": api.pages, "paging": {"cursors": {"before": "a", "after": "b"}}}  # type: ignore[attr-defined]

        def node(request: Request) -> tuple[int, Any]:
            tokens = {page["access_token"]: page for page in api.pages}  # type: ignore[attr-defined]
            page = tokens.get(request.query.get("access_token", ""))
            assert request.match is not None
            wanted = request.match.group(1)
            if page is None:
                return 400, {"error": {"message": "Invalid OAuth access token.", "code": 190}}
            instagram = page.get("instagram_business_account") or {}
            if wanted == instagram.get("id"):
                return 200, {"id": wanted, "username": instagram["username"]}
            if wanted != page["id"]:
                return 400, {"error": {"message": "Unsupported get request.", "code": 100}}
            return 200, {"id": page["id"], "name": page["name"]}

        def debug(request: Request) -> tuple[int, Any]:
            return 200, {"data": {"is_valid": True, "expires_at": 0, "scopes": list(oauth.PERMISSIONS)}}

        api.pages = [dict(page) for page in PAGES]  # type: ignore[attr-defined]
        api.route("GET", r"/v24\.0/oauth/access_token", access_token)
        api.route("GET", r"/v24\.0/me/accounts", accounts)
        api.route("GET", r"/v24\.0/([0-9]+)", node)
        api.route("GET", r"/v24\.0/debug_token", debug)
        yield api


@pytest.fixture
def account(make_account: Any) -> Account:
    return make_account(platform="facebook_page", name="Karlstads universitet", handle="karlstadsuniversitet")


def _start(client: Client, account: Account) -> dict[str, str]:
    response = client.post(reverse("connectors:oauth_start", args=[account.pk]))
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def test_the_login_dialog_gets_the_app_the_absolute_return_address_a_state_and_the_permissions(
    client: Client, cast: Cast, account: Account, meta: StandIn, settings: Any
) -> None:
    login(client, cast, "communicator")
    response = client.post(reverse("connectors:oauth_start", args=[account.pk]))
    assert response["Location"].startswith("https://www.facebook.com/v24.0/dialog/oauth?")
    params = _start(client, account)
    assert params["client_id"] == "1234"
    assert params["redirect_uri"] == "https://kanalvakt.example.se/kopplingar/facebook/tillbaka/"
    assert params["response_type"] == "code"
    assert params["scope"].split(",") == list(oauth.PERMISSIONS)
    assert "config_id" not in params
    assert len(params["state"]) > 30
    settings.META_LOGIN_CONFIG_ID = "987654"
    params = _start(client, account)
    assert params["config_id"] == "987654"
    assert "scope" not in params


def test_a_good_login_keeps_the_long_lived_page_token_not_the_users(
    client: Client, cast: Cast, account: Account, meta: StandIn
) -> None:
    login(client, cast, "deputy")
    state = _start(client, account)["state"]
    response = client.get(reverse("connectors:oauth_callback"), {"code": "good-code", "state": state})
    assert response.status_code == 302, response.content[:400]
    assert response["Location"] == reverse("connectors:account", args=[account.pk])
    made = Connection.objects.get()
    assert (made.external_id, made.token, made.name_on_platform) == (
        "104857600123",
        PAGE_TOKEN,
        "Karlstads universitet",
    )
    assert made.connected_by == cast["deputy"]
    assert made.health == "active"
    assert made.scopes == sorted(oauth.PERMISSIONS)
    assert made.token_expires_at is None
    exchange = meta.sent("GET", r"/v24\.0/oauth/access_token")
    assert exchange[0].query["client_secret"] == "app-secret"
    assert exchange[0].query["code"] == "good-code"
    assert exchange[1].query["grant_type"] == "fb_exchange_token"
    assert (
        "instagram_business_account{id,username}"
        in meta.sent("GET", r"/v24\.0/me/accounts")[0].query["fields"]
    )
    session = client.session
    assert LONG not in str(dict(session.items()))
    assert SHORT not in str(dict(session.items()))

    # The state is single-use: the same return again stores nothing more.
    again = client.get(reverse("connectors:oauth_callback"), {"code": "good-code", "state": state})
    assert again.status_code == 400
    assert Connection.objects.count() == 1


def test_an_instagram_account_is_found_by_its_username_and_keeps_its_pages_token(
    client: Client, cast: Cast, make_account: Any, meta: StandIn
) -> None:
    instagram = make_account(platform="instagram", name="KAU på Instagram", handle="@karlstadsuniversitet")
    login(client, cast, "communicator")
    state = _start(client, instagram)["state"]
    response = client.get(reverse("connectors:oauth_callback"), {"code": "good-code", "state": state})
    assert response.status_code == 302
    made = Connection.objects.get()
    assert (made.platform, made.external_id, made.token) == ("instagram", "17841400000000001", PAGE_TOKEN)
    assert made.name_on_platform == "karlstadsuniversitet"


@pytest.mark.parametrize("tamper", ["forged", "other_session", "cancelled", "bad_code", "stale_nonce"])
def test_a_wrong_state_or_a_refusal_is_a_clear_error_and_stores_nothing(
    client: Client, cast: Cast, account: Account, meta: StandIn, tamper: str
) -> None:
    in_english(login(client, cast, "communicator"))
    state = _start(client, account)["state"]
    query = {"code": "good-code", "state": state}
    if tamper == "forged":
        query["state"] = state[:-3] + ("AAA" if not state.endswith("AAA") else "BBB")
    elif tamper == "other_session":
        other = in_english(login(Client(), cast, "communicator"))
        response = other.get(reverse("connectors:oauth_callback"), query)
        assert response.status_code == 400
        assert "was not started here" in response.content.decode()
        assert not Connection.objects.exists()
        return
    elif tamper == "cancelled":
        query = {"error": "access_denied", "error_reason": "user_denied", "state": state}
    elif tamper == "bad_code":
        query["code"] = "bad"
    elif tamper == "stale_nonce":
        _start(client, account)  # a newer login replaces the earlier state
    response = client.get(reverse("connectors:oauth_callback"), query)
    assert response.status_code == 400
    assert "data-login-failed" in response.content.decode()
    assert not Connection.objects.exists()


def test_several_matching_pages_are_chosen_among_once(
    client: Client, cast: Cast, account: Account, meta: StandIn
) -> None:
    meta.pages.append(  # type: ignore[attr-defined]
        {"id": "300000000000003", "name": "karlstadsuniversitet", "access_token": "EAAThird", "tasks": []}
    )
    in_english(login(client, cast, "communicator"))
    state = _start(client, account)["state"]
    choose = client.get(reverse("connectors:oauth_callback"), {"code": "good-code", "state": state})
    assert choose.status_code == 200
    text = choose.content.decode()
    assert "More than one of the pages" in text
    assert "104857600123" in text
    assert "300000000000003" in text
    assert "Fysik vid KAU" not in text
    assert not Connection.objects.exists()
    assert PAGE_TOKEN not in text
    assert "EAAThird" not in text
    assert LONG not in str(dict(client.session.items()))
    refused = client.post(reverse("connectors:oauth_choose"), {"page": "200000000000002"})
    assert refused.status_code == 400
    assert not Connection.objects.exists()
    chosen = client.post(reverse("connectors:oauth_choose"), {"page": "300000000000003"})
    assert chosen.status_code == 302
    assert (Connection.objects.get().external_id, Connection.objects.get().token) == (
        "300000000000003",
        "EAAThird",
    )
    assert client.post(reverse("connectors:oauth_choose"), {"page": "300000000000003"}).status_code == 400


def test_with_no_page_by_name_the_person_chooses_among_all(
    client: Client, cast: Cast, make_account: Any, meta: StandIn
) -> None:
    unnamed = make_account(platform="facebook_page", name="Biblioteket", handle="kaubibliotek")
    in_english(login(client, cast, "communicator"))
    state = _start(client, unnamed)["state"]
    choose = client.get(reverse("connectors:oauth_callback"), {"code": "good-code", "state": state})
    assert choose.status_code == 200
    assert "None of the pages you manage" in choose.content.decode()
    assert client.post(reverse("connectors:oauth_choose"), {"page": "200000000000002"}).status_code == 302
    assert Connection.objects.get().token == OTHER_TOKEN


def test_a_user_who_manages_no_page_is_told(
    client: Client, cast: Cast, account: Account, meta: StandIn
) -> None:
    meta.pages.clear()  # type: ignore[attr-defined]
    in_english(login(client, cast, "communicator"))
    state = _start(client, account)["state"]
    response = client.get(reverse("connectors:oauth_callback"), {"code": "good-code", "state": state})
    assert response.status_code == 400
    assert "manages no page" in response.content.decode()
    assert not Connection.objects.exists()


def test_a_page_already_connected_elsewhere_is_refused_after_login(
    client: Client, cast: Cast, account: Account, make_account: Any, meta: StandIn
) -> None:
    from django.utils import timezone

    from connectors import services

    other = make_account(platform="facebook_page", name="Annan")
    services.connect(other, platform="facebook", external_id="104857600123", by=None, now=timezone.now())
    in_english(login(client, cast, "communicator"))
    state = _start(client, account)["state"]
    response = client.get(reverse("connectors:oauth_callback"), {"code": "good-code", "state": state})
    assert response.status_code == 400
    assert "another account" in response.content.decode()
    assert Connection.objects.count() == 1


def test_malformed_pages_from_meta_are_left_out() -> None:
    rows: list[Any] = [
        "text",
        {"id": "../me", "access_token": "x"},
        {"id": "1", "access_token": ""},
        {
            "id": "2",
            "access_token": "t",
            "instagram_business_account": {"id": "x/y", "username": "u"},
            "tasks": "MANAGE",
        },
    ]
    pages = [page for page in (oauth._page(row) for row in rows) if page is not None]
    assert [(page.id, page.instagram_id, page.tasks) for page in pages] == [("2", "", ())]
