"""The follow-up form pre-filled with the platform's figures (KAU-FOLLOWUP), against a stand-in Graph
API: followers from the platform, posts in the period from the account's publications; any failure
leaves the form empty, never an error page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors.models import Connection
from moderation.models import Publication
from tests.conftest import Cast
from tests.connectors.standin import Delay, stand_in
from tests.support import in_english

PAGE_ID = "104857600012345"
IG_ID = "17841405309211844"
TOKEN = "page-token-1"
NOTE = "filled in with the figures the platform gives"


@pytest.fixture
def graph(settings: Any) -> Any:
    with stand_in("/v24.0") as api:
        settings.META_GRAPH_URL = api.base_url
        settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
        yield api


def connect(account: Any, platform: str, external_id: str, *, token: str = TOKEN) -> Connection:
    connection = Connection(
        account=account, platform=platform, external_id=external_id, connected_at=timezone.now()
    )
    if token:
        connection.token = token
    connection.save()
    return connection


def form_page(client: Client, cast: Cast, account: Any) -> Any:
    client.force_login(cast["communicator"])
    in_english(client)
    response = client.get(reverse("accounts:followup", args=[account.pk]))
    assert response.status_code == 200
    return response


def initial(response: Any) -> dict[str, Any]:
    return response.context["form"].initial


@pytest.mark.django_db
def test_facebook_followers_and_the_posts_of_the_period_are_prefilled(
    client: Client, cast: Cast, make_account: Any, graph: Any
) -> None:
    """KAU-FOLLOWUP: pre-filled with the numbers the platform gives, with a note that they can be changed."""
    account = make_account(platform="facebook_page")
    connect(account, "facebook", PAGE_ID)
    graph.route(
        "GET", rf"/v24.0/{PAGE_ID}", (200, {"id": PAGE_ID, "followers_count": 4321, "fan_count": 4000})
    )
    now = timezone.now()
    for number, days_ago in enumerate((1, 10, 400)):
        Publication.objects.create(
            account=account,
            kind=Publication.Kind.POST,
            platform_id=f"{PAGE_ID}_{number}",
            text="Nyhet",
            published_at=now - timedelta(days=days_ago),
        )
    Publication.objects.create(
        account=account,
        kind=Publication.Kind.REPLY,
        platform_id=f"{PAGE_ID}_r",
        text="Svar",
        published_at=now,
    )
    response = form_page(client, cast, account)
    assert initial(response)["followers"] == 4321
    assert (
        initial(response)["posts"] == 2
    )  # the post of 400 days ago is before the period; replies are not posts
    assert NOTE in response.content.decode()
    (request,) = graph.sent("GET")
    assert request.query["access_token"] == "page-token-1"
    assert request.query["fields"] == "followers_count,fan_count"


@pytest.mark.django_db
def test_instagram_asks_for_its_own_fields(client: Client, cast: Cast, make_account: Any, graph: Any) -> None:
    account = make_account(platform="instagram")
    connect(account, "instagram", IG_ID)
    graph.route("GET", rf"/v24.0/{IG_ID}", (200, {"id": IG_ID, "followers_count": 980, "media_count": 77}))
    response = form_page(client, cast, account)
    assert initial(response)["followers"] == 980
    assert graph.sent("GET")[0].query["fields"] == "followers_count,media_count"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answer",
    [
        (500, {"error": {"message": "An unknown error occurred", "code": 1}}),
        (400, {"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}}),
        (200, {"id": PAGE_ID}),
        (200, {"id": PAGE_ID, "followers_count": "many"}),
        (200, {"id": PAGE_ID, "followers_count": -5}),
        (200, ["not", "an", "object"]),
        Delay(seconds=7),
    ],
)
def test_any_failure_leaves_the_form_empty(
    client: Client, cast: Cast, make_account: Any, graph: Any, answer: Any
) -> None:
    account = make_account(platform="facebook_page")
    connect(account, "facebook", PAGE_ID)
    graph.route("GET", rf"/v24.0/{PAGE_ID}", answer)
    response = form_page(client, cast, account)
    assert "followers" not in initial(response)
    assert "posts" not in initial(response)
    assert NOTE not in response.content.decode()


@pytest.mark.django_db
def test_no_token_and_no_connection_ask_nothing(
    client: Client, cast: Cast, make_account: Any, graph: Any
) -> None:
    without_token = make_account(platform="facebook_page")
    connect(without_token, "facebook", PAGE_ID, token="")
    not_connected = make_account(platform="facebook_page")
    for account in (without_token, not_connected):
        assert "followers" not in initial(form_page(client, cast, account))
    assert graph.sent() == []


@pytest.mark.django_db
def test_the_platform_is_never_reached_outside_the_allowed_networks(
    client: Client, cast: Cast, make_account: Any, graph: Any, settings: Any
) -> None:
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = []
    account = make_account(platform="facebook_page")
    connect(account, "facebook", PAGE_ID)
    graph.route("GET", rf"/v24.0/{PAGE_ID}", (200, {"followers_count": 1}))
    assert "followers" not in initial(form_page(client, cast, account))
    assert graph.sent() == []
