"""TikTok with the installation's app set (connectors.tiktok.auth): an account is connected with its
refresh token, the day-long access tokens are made from it before they expire and once more after a
refusal, a refresh token TikTok hands back replaces the one kept, a refresh token TikTok no longer takes
turns the connection to needs attention (KAU-RESP-DAILY), and no token or secret is ever shown."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from connectors import outgoing, polling, services
from connectors.models import Connection, Event, Outgoing
from moderation import services as moderation
from moderation.models import Item
from tests.connectors.tiktok_standin import (
    APP_ID,
    APP_SECRET,
    BUSINESS_ID,
    REFRESH_TOKEN,
    TOKEN,
    TikTokStandIn,
    tiktok_api,
)
from tests.support import in_english, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def tt(settings: Any) -> Iterator[TikTokStandIn]:
    with tiktok_api(settings, app=True) as stand_in:
        yield stand_in


@pytest.fixture
def account(make_account: Any) -> Any:
    return make_account(platform="tiktok", name="Karlstads universitet", handle="karlstadsuniversitet")


def connect(account: Any, cast: Any, token: str = REFRESH_TOKEN) -> Connection:
    return services.connect(
        account,
        platform="tiktok",
        external_id=BUSINESS_ID,
        token=token,
        by=cast["communicator"],
        now=timezone.now(),
    )


def poll(connection: Connection) -> Any:
    connection.refresh_from_db()
    return polling.poll_connection(connection, now=timezone.now())


def set_expiry(connection: Connection, expires_at: datetime) -> None:
    connection.refresh_from_db()
    connection.session = {**connection.session, "expires_at": expires_at.isoformat()}
    Connection.objects.filter(pk=connection.pk).update(session_encrypted=connection.session_encrypted)


def commented(tt: TikTokStandIn) -> str:
    video = tt.video(timezone.now() - timedelta(hours=5), "Välkommen!")
    comment = tt.comment(video, timezone.now() - timedelta(hours=2), "När öppnar anmälan?", name="Anna")
    return f"{video}_{comment}"


def answer(item: Item, cast: Any) -> str | None:
    moderation.answer_item(item, answer="Den 15 mars!", by=cast["communicator"], now=timezone.now())
    return outgoing.send(Outgoing.objects.get(item=item).pk, now=timezone.now())


def sent_tokens(tt: TikTokStandIn) -> list[str]:
    return [r.headers.get("access-token", "") for r in tt.sent(tail="business/.*")]


def test_connecting_exchanges_the_refresh_token_then_checks_the_account(
    tt: TikTokStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    [renewal] = tt.renewals()
    assert renewal.json == {
        "client_id": APP_ID,
        "client_secret": APP_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
    }
    assert sent_tokens(tt) == [tt.issued[0]]
    connection.refresh_from_db()
    assert connection.token == REFRESH_TOKEN
    assert connection.session["access_token"] == tt.issued[0]
    assert connection.session["username"] == "karlstadsuniversitet"
    assert connection.token_expires_at
    assert connection.token_expires_at > timezone.now() + timedelta(days=300)


def test_a_refresh_token_for_another_account_or_unknown_connects_nothing(
    tt: TikTokStandIn, account: Any, cast: Any
) -> None:
    tt.open_id = "another-account"
    with translation.override("en"), pytest.raises(Exception, match="another TikTok account"):
        connect(account, cast)
    tt.open_id = BUSINESS_ID
    with translation.override("en"), pytest.raises(Exception, match="refresh token"):
        connect(account, cast, token="rft.NotKnownHere000")
    assert not Connection.objects.filter(account=account, token_encrypted__gt="").exists()


def test_the_connection_page_asks_for_the_refresh_token(
    client: Client, cast: Any, tt: TikTokStandIn, account: Any
) -> None:
    in_english(login(client, cast, "communicator"))
    page = client.get(reverse("connectors:account", args=[account.pk])).content.decode()
    assert "Refresh token" in page
    assert 'data-tiktok-token="refresh"' in page
    response = client.post(
        reverse("connectors:connect", args=[account.pk]), {"external_id": BUSINESS_ID, "token": REFRESH_TOKEN}
    )
    assert response.status_code == 302
    page = client.get(reverse("connectors:account", args=[account.pk])).content.decode()
    for secret in (REFRESH_TOKEN, APP_SECRET, *tt.issued):
        assert secret not in page


def test_polls_and_answers_carry_the_refreshed_token_and_expiry_renews_it(
    tt: TikTokStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    pid = commented(tt)
    poll(connection)
    assert len(tt.renewals()) == 1  # the access token made at connecting serves
    assert set(sent_tokens(tt)) == {tt.issued[0]}
    # Within five minutes of its expiry: a new one first, kept in the session.
    set_expiry(connection, timezone.now() + timedelta(minutes=4))
    assert answer(Item.objects.get(platform_id=pid), cast) == "done"
    assert len(tt.renewals()) == 2
    assert sent_tokens(tt)[-1] == tt.issued[1]
    connection.refresh_from_db()
    assert connection.session["access_token"] == tt.issued[1]
    assert connection.session["username"] == "karlstadsuniversitet"
    assert datetime.fromisoformat(connection.session["expires_at"]) > timezone.now() + timedelta(hours=23)


def test_a_refused_access_token_gets_one_more_try_with_a_new_one(
    tt: TikTokStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    commented(tt)
    tt.expire()  # revoked before its time
    poll(connection)
    connection.refresh_from_db()
    assert connection.health == "active"
    assert len(tt.renewals()) == 2
    assert connection.session["access_token"] == tt.issued[-1]
    assert Item.objects.filter(account=account).count() == 1


def test_a_rotated_refresh_token_is_kept_as_the_connections_token(
    tt: TikTokStandIn, account: Any, cast: Any
) -> None:
    tt.rotate = True
    connection = connect(account, cast)
    first = tt.issued[1]  # the refresh token handed back at connecting
    connection.refresh_from_db()
    assert connection.session["refresh_token"] == first  # no connection to store it on yet
    set_expiry(connection, timezone.now())
    poll(connection)
    second = tt.renewals()[-1]
    assert second.json["refresh_token"] == first
    connection.refresh_from_db()
    assert connection.token == tt.issued[-1]  # the newest, encrypted as every token
    assert "refresh_token" not in connection.session
    assert tt.issued[-1] not in connection.token_encrypted
    kept = connection.token
    set_expiry(connection, timezone.now())
    poll(connection)
    assert tt.renewals()[-1].json["refresh_token"] == kept
    connection.refresh_from_db()
    assert connection.token == tt.issued[-1]
    assert connection.health == "active"


def test_an_invalid_refresh_token_needs_attention_kau_resp_daily(
    tt: TikTokStandIn, account: Any, cast: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    connection = connect(account, cast)
    pid = commented(tt)
    poll(connection)
    tt.refresh_tokens.clear()  # revoked, or a year old
    set_expiry(connection, timezone.now())
    with translation.override("en"):  # the reason is kept in the language of the run
        assert poll(connection) is None
    connection.refresh_from_db()
    assert connection.health == "attention"
    assert connection.cause == Connection.Cause.TOKEN_EXPIRED
    assert "refresh token" in connection.last_error
    assert answer(Item.objects.get(platform_id=pid), cast) == "failed"
    said = [
        caplog.text,
        connection.last_error,
        *(str(row.reason) + str(row.response) for row in Outgoing.objects.all()),
        *(str(event.payload) + event.error for event in Event.objects.all()),
        *(str(vars(row)) for row in Connection.history.all()),
    ]
    assert not [s for s in (REFRESH_TOKEN, APP_SECRET, *tt.issued) for text in said if s in text]


def test_a_renewal_echoing_the_secrets_keeps_them_out_of_the_error(
    tt: TikTokStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    tt.failing.append((200, {"code": 40102, "message": f"bad {REFRESH_TOKEN} {APP_SECRET}", "data": {}}))
    set_expiry(connection, timezone.now())
    poll(connection)
    connection.refresh_from_db()
    assert connection.health == "attention"
    assert REFRESH_TOKEN not in connection.last_error
    assert APP_SECRET not in connection.last_error
    assert "bad … …" in connection.last_error


def test_without_the_app_settings_the_access_token_is_pasted_as_before(
    settings: Any, account: Any, cast: Any, client: Client
) -> None:
    with tiktok_api(settings) as tt:
        connection = connect(account, cast, token=TOKEN)
        commented(tt)
        poll(connection)
        assert tt.renewals() == []
        assert set(sent_tokens(tt)) == {TOKEN}
        connection.refresh_from_db()
        assert connection.token == TOKEN
        assert "access_token" not in connection.session
        in_english(login(client, cast, "communicator"))
        page = client.get(reverse("connectors:account", args=[account.pk])).content.decode()
        assert 'data-tiktok-token="access"' in page


@pytest.mark.parametrize(
    ("env", "problem"),
    [({"TIKTOK_APP_ID": APP_ID}, "TIKTOK_APP_SECRET"), ({"TIKTOK_APP_SECRET": APP_SECRET}, "TIKTOK_APP_ID")],
)
def test_the_app_settings_are_set_together(env: dict[str, str], problem: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TIKTOK_")}
    started = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode != 0
    assert "EnvironmentConfigError" in started.stderr
    assert problem in started.stderr
